/**
 * Evidence excerpts: the short strace-like text an action carries (`openat(AT_FDCWD, "/etc/x",
 * O_RDWR) = 3`), secrets elided (EVIDENCE_STRINGS), built from the parsed call.
 *
 * On a file-heavy trace 10^5 calls bring a new path action, each needing its excerpt; those calls
 * come in runs that differ only in their file name (`newfstatat(7</usr/share/pam>, "common-auth",
 * {...}, AT_SYMLINK_NOFOLLOW) = 0`), so `EvidenceFormatter` keeps the excerpt in three pieces and
 * reuses the previous call's head and tail when everything but the name formats the same.
 */
import type { Arg, Syscall } from '../strace/types';
import { ENTRY_CHANGING_CALLS } from './success';

const MAX_EVIDENCE_TEXT = 200;

/**
 * Evidence excerpts end up in profiles and Pulumi state, so they must not carry data that may be a
 * secret: command lines and environments (execve), payloads (sendto, sendmsg), key material
 * (add_key), xattr values, mount options. Strings are shown only where they are path names: the
 * argument positions listed here ('all' = every string of the call is a path or a name); every
 * other string prints as "…", arrays of strings as their length.
 */
const EVIDENCE_STRINGS: Readonly<Record<string, readonly number[] | 'all'>> = {
  execve: [0],
  execveat: [1],
  setxattr: [0, 1],
  lsetxattr: [0, 1],
  fsetxattr: [1],
  getxattr: [0, 1],
  lgetxattr: [0, 1],
  fgetxattr: [1],
  setxattrat: [1, 3],
  getxattrat: [1, 3],
  mount: [0, 1, 2],
  ...Object.fromEntries(
    [
      'open',
      'openat',
      'openat2',
      'name_to_handle_at',
      'stat',
      'lstat',
      'newfstatat',
      'fstatat64',
      'statx',
      'statfs',
      'access',
      'faccessat',
      'faccessat2',
      'readlink',
      'readlinkat',
      'inotify_add_watch',
      ...ENTRY_CHANGING_CALLS,
      'truncate',
      'chmod',
      'fchmodat',
      'fchmodat2',
      'chown',
      'lchown',
      'fchownat',
      'utime',
      'utimes',
      'futimesat',
      'utimensat',
      'removexattr',
      'lremovexattr',
      'fremovexattr',
      'removexattrat',
      'listxattr',
      'llistxattr',
      'listxattrat',
      'chdir',
      'getcwd',
      'chroot',
      'umount',
      'umount2',
      'pivot_root',
      'move_mount',
      'mount_setattr',
      'swapon',
      'swapoff',
      'delete_module',
      'memfd_create',
      'mq_open',
      'mq_unlink',
    ].map((n) => [n, 'all' as const]),
  ),
};

/** A string argument as evidence shows it: quoted, cut to `budget` chars (`...` when cut or truncated). */
export function formatStringArg(value: string, truncated: boolean, abstract: boolean, budget = 80): string {
  const v = value.length > budget ? value.slice(0, budget) : value;
  return (abstract ? '@' : '') + JSON.stringify(v) + (truncated || v.length < value.length ? '...' : '');
}

/** Renders an argument back to strace-like text, for evidence excerpts (bounded; see EVIDENCE_STRINGS). */
export function formatArg(a: Arg, budget = 80, showStrings = true): string {
  switch (a.t) {
    case 'int':
      return a.raw;
    case 'sym':
      return a.name;
    case 'flags':
      return a.items.map((i) => formatArg(i, budget, showStrings)).join('|');
    case 'str':
      return showStrings ? formatStringArg(a.value, a.truncated, a.abstract === true, budget) : '"…"';
    case 'fd':
      return `${a.fd}<${a.path}>`;
    case 'call':
      return `${a.fn}(${a.args.map((x) => formatArg(x, 40, showStrings || a.fn.startsWith('inet_'))).join(', ')})`;
    case 'op':
      return `${formatArg(a.left, budget, showStrings)}${a.op === '=' ? '=' : ` ${a.op} `}${formatArg(a.right, budget, showStrings)}`;
    case 'array': {
      if (!showStrings && a.items.some((x) => x.t === 'str'))
        return `[/* ${a.items.length}${a.truncated ? '+' : ''} items */]`;
      const items = a.items.slice(0, 4).map((x) => formatArg(x, 40, showStrings));
      if (a.items.length > 4 || a.truncated) items.push('...');
      return `[${items.join(', ')}]`;
    }
    case 'set':
      return `${a.negated ? '~' : ''}[${a.items.join(' ')}]`;
    case 'struct': {
      const parts: string[] = [];
      let more = a.truncated;
      for (const k in a.fields) {
        if (parts.length === 4) {
          more = true;
          break;
        }
        const c = k.charCodeAt(0);
        const label = c >= 48 && c <= 57 ? '' : `${k}=`;
        // A socket path is an address, not data: always shown.
        parts.push(label + formatArg(a.fields[k]!, 40, showStrings || k === 'sun_path'));
      }
      if (more) parts.push('...');
      return `{${parts.join(', ')}}`;
    }
    case 'inout':
      return `[${formatArg(a.in, 40, showStrings)} => ${formatArg(a.out, 40, showStrings)}]`;
    case 'null':
      return 'NULL';
    case 'raw':
      return a.text;
  }
}

/**
 * Calls whose structs identify what was done (addresses, open flags, clone flags, policies). Other
 * structs (stat buffers, timespecs…) print as `{...}`: they say nothing a reader needs, and the
 * parser builds them lazily, so not touching them keeps evidence cheap.
 */
const EVIDENCE_STRUCTS: ReadonlySet<string> = new Set([
  'bind',
  'connect',
  'accept',
  'accept4',
  'sendto',
  'sendmsg',
  'sendmmsg',
  'openat2',
  'clone',
  'clone3',
  'sched_setattr',
  'mount_setattr',
]);

/**
 * The excerpt of a call (see {@link formatSyscall}) in three pieces, `head + mid + tail` before
 * truncation: `mid` is the first string argument shown (a file name, the part unique to the call),
 * `head` and `tail` what surrounds it. Consecutive calls on one directory share their head
 * (`newfstatat(7</usr/share/pam>, `) and most calls their tail (`, {...}, AT_SYMLINK_NOFOLLOW) = 0`),
 * so a summary keeps one copy of those (core/summary/pathActions.ts). Without a shown string
 * argument, `mid` and `tail` are empty and `midArg` is -1. Each piece is a string of its own: no
 * slice of a log chunk (which would keep the chunk alive) ends up in one.
 */
export interface EvidencePieces {
  head: string;
  mid: string;
  tail: string;
  /** Index of the argument `mid` shows (a `str`), or -1. */
  midArg: number;
}

/**
 * Builds evidence pieces, reusing the previous call's head and tail (the same string objects) when
 * every other part of the call formats to the same text: the name, each argument outside `mid`,
 * the return. Nothing is compared but the texts the excerpt is made of, so the result is the one
 * a fresh formatting gives.
 */
export class EvidenceFormatter {
  private texts: string[] = [];
  private lastTexts: string[] = [];
  private last: EvidencePieces | undefined = undefined;
  private lastSc: {
    name: string;
    shown: number;
    midArg: number;
    raw: string;
    fdPath?: string;
    errno?: string;
  } = {
    name: '',
    shown: -1,
    midArg: -1,
    raw: '',
  };
  /** The last fd text (`7</usr/share/pam>`) and what it was made of: the same directory, call after call. */
  private fdText = { fd: NaN, path: '', text: '' };

  pieces(sc: Syscall): EvidencePieces {
    const policy = EVIDENCE_STRINGS[sc.name];
    const structs = EVIDENCE_STRUCTS.has(sc.name);
    const texts = this.texts;
    let shown = 0;
    let mid = '';
    let midArg = -1;
    const args = sc.args;
    if (args) {
      let len = 0;
      for (let i = 0; i < args.length && len < MAX_EVIDENCE_TEXT; i++) {
        const show = policy === 'all' || (policy !== undefined && policy.includes(i));
        const arg = args[i]!;
        const text = arg.t === 'struct' && !structs ? '{...}' : this.argText(arg, show);
        if (midArg < 0 && show && arg.t === 'str') {
          mid = text;
          midArg = i;
        }
        texts[shown++] = text;
        len += text.length + 2;
      }
    } else shown = -1;
    const ret = sc.ret;
    const last = this.last;
    const l = this.lastSc;
    if (
      last !== undefined &&
      l.name === sc.name &&
      l.shown === shown &&
      l.midArg === midArg &&
      l.raw === ret.raw &&
      l.fdPath === ret.fdPath &&
      l.errno === ret.errno &&
      this.sameTexts(shown, midArg)
    ) {
      return { head: last.head, mid, tail: last.tail, midArg };
    }
    const pieces = joinPieces(sc, texts, shown, midArg);
    this.last = pieces;
    this.lastSc = { name: sc.name, shown, midArg, raw: ret.raw, fdPath: ret.fdPath, errno: ret.errno };
    this.texts = this.lastTexts;
    this.lastTexts = texts;
    return pieces;
  }

  private sameTexts(shown: number, midArg: number): boolean {
    const a = this.texts;
    const b = this.lastTexts;
    for (let i = 0; i < shown; i++) if (i !== midArg && a[i] !== b[i]) return false;
    return true;
  }

  private argText(arg: Arg, show: boolean): string {
    if (arg.t !== 'fd') return formatArg(arg, 80, show);
    const memo = this.fdText;
    const path = arg.path;
    if (memo.fd !== arg.fd || memo.path !== path) {
      memo.fd = arg.fd;
      memo.path = path;
      memo.text = formatArg(arg, 80, show);
    }
    return memo.text;
  }
}

/** The pieces from the argument texts (the mid's text at `midArg`, which the pieces take as is). */
function joinPieces(sc: Syscall, texts: readonly string[], shown: number, midArg: number): EvidencePieces {
  const before: string[] = [sc.name, '('];
  const after: string[] = [];
  if (shown < 0) before.push('…');
  for (let i = 0; i < shown; i++) {
    const into = midArg >= 0 && i > midArg ? after : before;
    if (i > 0) into.push(', ');
    if (i !== midArg) into.push(texts[i]!);
  }
  after.push(') = ', sc.ret.raw);
  if (sc.ret.fdPath !== undefined) after.push('<', sc.ret.fdPath, '>');
  if (sc.ret.errno) after.push(' ', sc.ret.errno);
  // join() copies into one flat string: the pieces outlive the event, and must not keep what
  // they were cut from (some are slices of a 64 KiB log chunk) alive with them
  if (midArg < 0) return { head: before.concat(after).join(''), mid: '', tail: '', midArg };
  // formatArg of a string is JSON.stringify's fresh string: nothing of the event is kept
  return { head: before.join(''), mid: texts[midArg]!, tail: after.join(''), midArg };
}

/** The pieces of one call, without reuse ({@link EvidenceFormatter} for many). */
export function formatSyscallPieces(sc: Syscall): EvidencePieces {
  return new EvidenceFormatter().pieces(sc);
}

/** The excerpt from its pieces ({@link formatSyscallPieces}), bounded to MAX_EVIDENCE_TEXT chars. */
export function joinSyscallPieces(head: string, mid: string, tail: string): string {
  const text = mid === '' && tail === '' ? head : [head, mid, tail].join('');
  return text.length > MAX_EVIDENCE_TEXT ? [text.slice(0, MAX_EVIDENCE_TEXT - 1), '…'].join('') : text;
}

/** A short strace-like excerpt of a call: `openat(AT_FDCWD, "/etc/x", O_RDWR) = 3`, secrets elided; a flat string of its own. */
export function formatSyscall(sc: Syscall): string {
  const { head, mid, tail } = formatSyscallPieces(sc);
  return joinSyscallPieces(head, mid, tail);
}
