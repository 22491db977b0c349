/**
 * Interning of the short texts every line repeats: syscall names, errno names, the errno's text.
 *
 * A log of a million lines names a few dozen syscalls. Slicing the name out of each line costs an
 * allocation, and every Map/Set lookup keyed by a fresh string hashes it again; an interned name
 * is one string per distinct name, with its hash cached by V8, so the parser's per-name decision
 * (full parse or name-only, a Map keyed by the name) costs a cheap lookup, not a callback per line.
 *
 * The table is bounded: hostile input with endless distinct names gets fresh strings (and no
 * slot) once it is half full, so memory stays flat.
 */

/** Texts longer than this are never interned (they are not the repeated kind). */
const MAX_INTERNED_LENGTH = 64;

export class Interner {
  private readonly keys: (string | undefined)[];
  private readonly mask: number;
  private size = 0;
  /**
   * The table slot of the string the last `intern` returned, or -1 when it has none (too long, or
   * the table full): a caller may keep per-string data in an array indexed by it.
   */
  slot = -1;

  /** `bits`: the table has 2^bits slots, of which at most half are used. */
  /** The number of slots (a bound for {@link slot}). */
  get capacity(): number {
    return this.keys.length;
  }

  constructor(bits = 10) {
    this.keys = new Array<string | undefined>(1 << bits).fill(undefined);
    this.mask = (1 << bits) - 1;
  }

  /** The one string equal to `s[start, end)`: the stored copy when seen before, else a new one. */
  intern(s: string, start: number, end: number): string {
    const len = end - start;
    this.slot = -1;
    if (len > MAX_INTERNED_LENGTH) return s.slice(start, end);
    // FNV-1a over the char codes: names are short, a multiply per char is cheap
    let h = 0x811c9dc5 ^ len;
    for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    let slot = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      const k = this.keys[slot];
      if (k === undefined) break;
      if (k.length === len && s.startsWith(k, start)) {
        this.slot = slot;
        return k;
      }
      slot = (slot + 1) & this.mask;
    }
    const own = ownCopy(s.slice(start, end));
    if (this.size * 2 < this.keys.length) {
      this.keys[slot] = own;
      this.size++;
      this.slot = slot;
    }
    return own;
  }
}

/**
 * A copy that does not keep the text it was cut from alive (V8 keeps a slice of 13 or more chars
 * as a view of its parent: here a 64 KiB chunk of the log).
 */
export function ownCopy(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'latin1').toString('latin1');
}
