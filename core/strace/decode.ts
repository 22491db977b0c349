/**
 * Decoding of strace's quoted strings and fd decorations.
 *
 * The parser works on latin1 strings (one char per input byte), so a decoded byte sequence is
 * rebuilt exactly: `\xHH` escapes (hush runs strace with -xx), the C escapes strace uses without
 * -xx (`\n`, `\t`, `\\`, `\"`, octal `\123`), and literal bytes. The bytes go into one reusable
 * scratch buffer; the result is UTF-8 when the bytes are valid UTF-8, else UTF-8 with every other
 * byte escaped as a lone surrogate (bytes.ts: one-to-one, so a latin1 `\xe9` never reads as `é`).
 */
import { isUtf8 } from 'node:buffer';
import { stringFromInvalidUtf8 } from './bytes';

let scratch = Buffer.allocUnsafe(4096);

type Latin1Sliceable = { latin1Slice?: (start: number, end: number) => string };

/**
 * Buffer bytes as a latin1 string. Node's `latin1Slice` skips `toString`'s argument handling
 * (measurable at one call per string); `toString` is the fallback should it ever go away.
 */
export const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Latin1Sliceable).latin1Slice === 'function'
    ? (buf, start, end) => (buf as unknown as Required<Latin1Sliceable>).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/** Result slot of the last decode (avoids allocating a result object per string). */
export const decoded = { value: '', end: 0 };

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

function hexVal(c: number): number {
  return c < 256 ? HEX[c]! : -1;
}

function simpleEscape(c: number): number {
  switch (c) {
    case 110: // n
      return 10;
    case 116: // t
      return 9;
    case 114: // r
      return 13;
    case 118: // v
      return 11;
    case 102: // f
      return 12;
    case 97: // a
      return 7;
    case 98: // b
      return 8;
    case 92: // backslash
    case 34: // "
    case 39: // '
    case 62: // >
    case 60: // <
      return c;
    default:
      return -1;
  }
}

/**
 * Decodes escaped text in `s` from `start` up to (not including) the first unescaped `stop`
 * char code (`"` for strings, `>` for decorations; pass -1 with `limit` to decode a whole range).
 * On success sets `decoded.value` / `decoded.end` (index of the stop char) and returns true;
 * returns false on a malformed escape or when `stop` is not found before `limit`.
 */
export function decodeEscaped(s: string, start: number, stop: number, limit: number): boolean {
  let n = 0;
  let high = false;
  let i = start;
  if (scratch.length < (limit - start) >> 2) scratch = Buffer.allocUnsafe(((limit - start) >> 2) + 64);
  for (;;) {
    // fast path: a run of `\xHH` (every byte of every string with -xx)
    while (i + 3 < limit && s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 120 && n < scratch.length) {
      const h1 = HEX[s.charCodeAt(i + 2) & 0xff]!;
      const h2 = HEX[s.charCodeAt(i + 3) & 0xff]!;
      if ((h1 | h2) < 0 || s.charCodeAt(i + 2) > 0xff || s.charCodeAt(i + 3) > 0xff) break;
      const b = (h1 << 4) | h2;
      scratch[n++] = b;
      if (b >= 0x80) high = true;
      i += 4;
    }
    if (i >= limit) {
      if (stop !== -1) return false;
      break;
    }
    let c = s.charCodeAt(i);
    if (c === stop && (stop !== 62 || isDecorationEnd(s, i + 1, limit))) break;
    if (c === 92) {
      const c2 = s.charCodeAt(i + 1);
      if (c2 === 120) {
        const h1 = hexVal(s.charCodeAt(i + 2));
        const h2 = hexVal(s.charCodeAt(i + 3));
        if (h1 < 0 || h2 < 0) return false;
        c = h1 * 16 + h2;
        i += 4;
      } else if (c2 >= 48 && c2 <= 55) {
        // octal: up to three digits
        c = c2 - 48;
        i += 2;
        for (let k = 0; k < 2; k++) {
          const d = s.charCodeAt(i);
          if (d >= 48 && d <= 55) {
            c = c * 8 + (d - 48);
            i++;
          } else break;
        }
        c &= 0xff;
      } else {
        const e = simpleEscape(c2);
        if (e < 0) return false;
        c = e;
        i += 2;
      }
    } else {
      // One char per byte in latin1 input; a char above 0xff (text handed in as a JS string) is
      // outside that model: keep its low byte rather than fail.
      c &= 0xff;
      i++;
    }
    if (n === scratch.length) {
      const bigger = Buffer.allocUnsafe(scratch.length * 2);
      scratch.copy(bigger, 0, 0, n);
      scratch = bigger;
    }
    scratch[n++] = c;
    if (c >= 0x80) high = true;
  }
  decoded.end = i;
  if (n === 0) decoded.value = '';
  else if (!high) decoded.value = latin1(scratch, 0, n);
  else
    decoded.value = isUtf8(scratch.subarray(0, n))
      ? scratch.toString('utf8', 0, n)
      : stringFromInvalidUtf8(scratch, 0, n);
  return true;
}

/**
 * An fd decoration `3<…>` ends at a `>` followed by a delimiter. Plain `>` inside is possible in
 * `-yy` socket details (`TCP:[1.2.3.4:5->6.7.8.9:10]`); path bytes are always escaped by strace.
 */
export function isDecorationEnd(s: string, i: number, limit: number): boolean {
  if (i >= limit) return true;
  const c = s.charCodeAt(i);
  return c === 32 || c === 44 || c === 41 || c === 93 || c === 125 || c === 10 || c === 13;
}

/**
 * The last few fd decorations seen, raw and decoded: the same `<\x2f…>` (the cwd of every *at
 * call, the directory being listed, the file being read) comes back line after line, and
 * comparing in place (startsWith) costs no allocation while decoding does.
 */
const DECO_SLOTS = 8;
const decoRaw: string[] = new Array<string>(DECO_SLOTS).fill('\u0000');
const decoValue: string[] = new Array<string>(DECO_SLOTS).fill('');
let decoNext = 0;

/**
 * Decodes the decoration whose text starts at `start` (after `<`), up to its closing `>`.
 * Same contract as {@link decodeEscaped} with stop `>`.
 */
export function decodeDecoration(s: string, start: number, limit: number): boolean {
  for (let k = 0; k < DECO_SLOTS; k++) {
    const raw = decoRaw[k]!;
    const after = start + raw.length;
    if (
      after < limit &&
      s.charCodeAt(after) === 62 &&
      s.startsWith(raw, start) &&
      isDecorationEnd(s, after + 1, limit)
    ) {
      decoded.value = decoValue[k]!;
      decoded.end = after;
      return true;
    }
  }
  if (!decodeEscaped(s, start, 62, limit)) return false;
  const len = decoded.end - start;
  if (len > 0 && len <= 1024) {
    // a copy, so the cache does not pin the input chunk the text was cut from
    decoRaw[decoNext] = Buffer.from(s.slice(start, decoded.end), 'latin1').toString('latin1');
    decoValue[decoNext] = decoded.value;
    decoNext = (decoNext + 1) % DECO_SLOTS;
  }
  return true;
}

/**
 * Decodes the text of a decoration cut out earlier (a lazy fd's `<…>`), through the same cache as
 * {@link decodeDecoration}: `close(3</usr/lib/…>)`, `fcntl(3</usr/lib/…>, …)`, `newfstatat(3<…>`
 * name the same directory line after line.
 */
export function decodeDecorationText(text: string): string {
  for (let k = 0; k < DECO_SLOTS; k++) if (decoRaw[k] === text) return decoValue[k]!;
  const value = decodeText(text);
  if (text.length > 0 && text.length <= 1024) {
    decoRaw[decoNext] = Buffer.from(text, 'latin1').toString('latin1');
    decoValue[decoNext] = value;
    decoNext = (decoNext + 1) % DECO_SLOTS;
  }
  return value;
}

/** Decodes a whole escaped text (e.g. an fd path taken from a return value). */
export function decodeText(s: string): string {
  return decodeEscaped(s, 0, -1, s.length) ? decoded.value : s;
}
