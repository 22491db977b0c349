/**
 * How byte strings from the trace (file names, socket paths) become JS strings without losing or
 * confusing a byte: valid UTF-8 is decoded as UTF-8; every byte that is not part of a valid UTF-8
 * sequence becomes the lone surrogate U+DC80 + (byte - 0x80) ("surrogateescape", as in Python's
 * os.fsdecode). Lone surrogates never come out of a UTF-8 decode, so the mapping is one-to-one:
 * `/srv/caf\xe9` (latin1 é, not UTF-8) and `/srv/café` (UTF-8) stay two different paths, and
 * `bytesFromString` gives the exact bytes back. JSON keeps lone surrogates (`"\udce9"`), so a
 * profile carries them unchanged.
 *
 * Consumers that write paths somewhere (core/dropin) must treat such a path as "not UTF-8", which
 * systemd refuses in every path setting.
 */

const ESCAPE_BASE = 0xdc00;

/** Whether `s` holds an escaped byte (a lone surrogate in U+DC80..U+DCFF). */
export function hasEscapedBytes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff) return true;
  }
  return false;
}

/** Length of the valid UTF-8 sequence starting at buf[i] (1-4), or 0 when it is not one. */
function utf8SequenceAt(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean =>
    i + k < end && buf[i + k]! >= lo && buf[i + k]! <= hi;
  // Bounds per RFC 3629 table 3-7 (no overlongs, no surrogates, nothing above U+10FFFF).
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * Decodes bytes that are not valid UTF-8 as a whole: valid sequences as UTF-8, every other byte
 * escaped (see the module comment). Callers decode valid UTF-8 themselves (the fast path).
 */
export function stringFromInvalidUtf8(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  let runStart = start;
  let i = start;
  const flush = (to: number): void => {
    if (to > runStart)
      out += Buffer.from(buf.buffer, buf.byteOffset + runStart, to - runStart).toString('utf8');
  };
  while (i < end) {
    const n = utf8SequenceAt(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    flush(i);
    out += String.fromCharCode(ESCAPE_BASE + buf[i]!);
    i++;
    runStart = i;
  }
  flush(end);
  return out;
}

/** The bytes a decoded string stands for: UTF-8, with escaped bytes restored. */
export function bytesFromString(s: string): Buffer {
  if (!hasEscapedBytes(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff) continue;
    parts.push(Buffer.from(s.slice(runStart, i), 'utf8'), Buffer.of(c - ESCAPE_BASE));
    runStart = i + 1;
  }
  parts.push(Buffer.from(s.slice(runStart), 'utf8'));
  return Buffer.concat(parts);
}
