/**
 * The path actions of a summary, the bulk of a profile (10^5 on a file-heavy trace): one entry per
 * (access, path) with its first evidence and a count.
 *
 * Why a column store: every object a summary keeps until `finish` is copied by the young-generation
 * collector and then marked by every full collection, and on a file walk 10^5 of them arrive
 * interleaved with the parser's short-lived garbage. An entry here is one path string (the key,
 * needed anyway) and a slot in typed arrays that the collector never looks into; its evidence text
 * is kept in pieces that are shared (head and tail, see `formatSyscallPieces`) or derived from the
 * path at `finish` (the shown string argument is, in the common case, the path's own last part:
 * `newfstatat(7</usr/share/pam>, "common-auth", …)` for /usr/share/pam/common-auth).
 */
import type { PathAccessKind } from './actions';
import { formatStringArg } from './evidence';

/** The evidence of a call, as an entry keeps it (see `EvidencePieces` in the summarizer). */
export interface EntryEvidence {
  pid: number;
  line: number;
  /** Index of the syscall name in the caller's name list. */
  syscall: number;
  /** Ids of the shared head and tail (`PieceTable`). */
  head: number;
  tail: number;
  /** The shown string argument as formatted (`"common-auth"`), '' when the call shows none. */
  mid: string;
  /** The shown string argument's value when `mid` is exactly its plain formatting, else undefined. */
  midValue: string | undefined;
}

/** One path entry as `finish` reads it back (its mid derived again where it was not kept). */
export interface PathEntryView extends Omit<EntryEvidence, 'midValue'> {
  access: PathAccessKind;
  path: string;
  order: number;
  count: number;
}

/** Where an entry's mid comes from: NO_MID, OWN_MID (kept in `ownMids`), or an offset into its path. */
const NO_MID = -1;
const OWN_MID = -2;

/** How many entries from the last one found `find` compares before asking the map. */
const NEAR = 4;

const ACCESS_KINDS: readonly PathAccessKind[] = ['read', 'write', 'create', 'exec', 'remove', 'metadata'];

export class PathActionTable {
  /** Per access kind, path → entry index; kinds in the order they first appeared. */
  private readonly byAccess = new Map<PathAccessKind, Map<string, number>>();
  private paths: string[] = [];
  private access = new Uint8Array(1024);
  private order = new Float64Array(1024);
  private count = new Float64Array(1024);
  private pid = new Int32Array(1024);
  private line = new Float64Array(1024);
  private syscall = new Int32Array(1024);
  private head = new Int32Array(1024);
  private tail = new Int32Array(1024);
  private midFrom = new Int32Array(1024);
  /** Where `find` looks first. */
  private lastFound = 0;
  /** Mids that are not derivable from their entry's path (an open's requested name on its target). */
  private readonly ownMids = new Map<number, string>();

  get size(): number {
    return this.paths.length;
  }

  /**
   * The entry of (access, path), or -1. Lookups run in walk order: a later walk of a tree (tar, ls
   * after find) meets its paths in the order the first walk added them, and consecutive calls name
   * the same path (open, then fstat of its fd). So the entry found last and the few after it are
   * compared first (exact string equality), before the table: on a file-heavy trace that spares
   * the big map (a few cache misses per lookup) nine lookups in ten.
   */
  find(access: PathAccessKind, path: string): number {
    const kind = ACCESS_KINDS.indexOf(access);
    const end = Math.min(this.lastFound + NEAR, this.paths.length);
    for (let i = this.lastFound; i < end; i++) {
      if (this.access[i] === kind && this.paths[i] === path) return (this.lastFound = i);
    }
    const i = this.byAccess.get(access)?.get(path);
    if (i === undefined) return -1;
    return (this.lastFound = i);
  }

  pathOf(i: number): string {
    return this.paths[i]!;
  }

  orderOf(i: number): number {
    return this.order[i]!;
  }

  /** One more occurrence of entry i. */
  bump(i: number): void {
    this.count[i]!++;
  }

  /** A new entry (count 1); its path string is kept as given. */
  add(access: PathAccessKind, path: string, order: number, ev: EntryEvidence): number {
    let index = this.byAccess.get(access);
    if (index === undefined) this.byAccess.set(access, (index = new Map()));
    const i = this.paths.length;
    if (i === this.access.length) this.grow();
    this.paths.push(path);
    index.set(path, i);
    this.access[i] = ACCESS_KINDS.indexOf(access);
    this.count[i] = 1;
    this.setFirst(i, order, ev);
    return i;
  }

  /** An occurrence of entry i that comes first in the log (held calls delivered late): its evidence wins. */
  setFirst(i: number, order: number, ev: EntryEvidence): void {
    this.order[i] = order;
    this.pid[i] = ev.pid;
    this.line[i] = ev.line;
    this.syscall[i] = ev.syscall;
    this.head[i] = ev.head;
    this.tail[i] = ev.tail;
    this.ownMids.delete(i);
    if (ev.mid === '') this.midFrom[i] = NO_MID;
    else {
      const path = this.paths[i]!;
      const v = ev.midValue;
      if (v !== undefined && path.endsWith(v)) this.midFrom[i] = path.length - v.length;
      else {
        this.midFrom[i] = OWN_MID;
        this.ownMids.set(i, ev.mid);
      }
    }
  }

  /** Access kinds in the order their first entry appeared (the profile's tie order). */
  kinds(): PathAccessKind[] {
    return [...this.byAccess.keys()];
  }

  /** Entry indexes of one access kind, in insertion order. */
  entriesOf(access: PathAccessKind): IterableIterator<number> {
    return (this.byAccess.get(access) ?? new Map<string, number>()).values();
  }

  view(i: number): PathEntryView {
    const path = this.paths[i]!;
    const from = this.midFrom[i]!;
    const mid =
      from === NO_MID
        ? ''
        : from === OWN_MID
          ? this.ownMids.get(i)!
          : formatStringArg(path.slice(from), false, false);
    return {
      access: ACCESS_KINDS[this.access[i]!]!,
      path,
      order: this.order[i]!,
      count: this.count[i]!,
      pid: this.pid[i]!,
      line: this.line[i]!,
      syscall: this.syscall[i]!,
      head: this.head[i]!,
      tail: this.tail[i]!,
      mid,
    };
  }

  private grow(): void {
    const n = this.access.length * 2;
    const grown = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.access = grown(this.access, (k) => new Uint8Array(k));
    this.order = grown(this.order, (k) => new Float64Array(k));
    this.count = grown(this.count, (k) => new Float64Array(k));
    this.pid = grown(this.pid, (k) => new Int32Array(k));
    this.line = grown(this.line, (k) => new Float64Array(k));
    this.syscall = grown(this.syscall, (k) => new Int32Array(k));
    this.head = grown(this.head, (k) => new Int32Array(k));
    this.tail = grown(this.tail, (k) => new Int32Array(k));
    this.midFrom = grown(this.midFrom, (k) => new Int32Array(k));
  }
}

/**
 * Evidence heads (or tails), one copy each, by id. A file walk's path actions are 10^5 calls like
 * `newfstatat(7</usr/share/pam>, "common-auth", {...}, AT_SYMLINK_NOFOLLOW) = 0`: only the name is
 * their own; the rest repeats from call to call (consecutive calls most of all, hence the check
 * against the last piece before the map). Pieces stay until the end: each was the evidence of
 * some entry.
 */
export class PieceTable {
  private readonly pieces: string[] = [];
  private readonly ids = new Map<string, number>();
  private lastPiece = '\u0000';
  private lastId = -1;

  id(piece: string): number {
    if (piece === this.lastPiece) return this.lastId;
    let id = this.ids.get(piece);
    if (id === undefined) {
      id = this.pieces.length;
      this.pieces.push(piece);
      this.ids.set(piece, id);
    }
    this.lastPiece = piece;
    this.lastId = id;
    return id;
  }

  text(id: number): string {
    return this.pieces[id]!;
  }
}
