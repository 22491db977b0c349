/**
 * Line-level pieces: the columns before the call (pid, timestamps) and the `= …` return value.
 *
 * Everything works on a latin1 string with explicit [start, end) bounds so a whole input chunk is
 * scanned in place; results go into reused slots rather than fresh objects.
 */
import type { SyscallReturn } from './types';
import { decodeDecoration, decoded } from './decode';
import { Interner } from './intern';

/** errno names and their texts (`ENOENT`, `(No such file or directory)`): a few dozen per log. */
const returnTexts = new Interner(10);
/** Texts of the small return values (0, 1, 832…): one string each instead of a slice per line. */
const SMALL_RETURNS = 1024;
const SMALL_RETURN_TEXT: string[] = Array.from({ length: SMALL_RETURNS }, (_, n) => String(n));
/**
 * The return objects of those values when nothing follows them (`= 0`, `= 1`, `read(…) = 42`: most
 * lines of a service's trace), one shared object each instead of one per line. Nothing writes to a
 * SyscallReturn after parseReturn made it (parseReturn only fills in the fresh ones).
 */
const SMALL_RETURN: SyscallReturn[] = SMALL_RETURN_TEXT.map((raw, value) => ({ value, raw }));

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Result slot of {@link parsePrefix}. */
export const head = {
  /** The pid column, 0 when absent. */
  pid: 0,
  hasPid: false,
  /** Timestamp in seconds, NaN when the line has none. */
  ts: NaN,
};

/**
 * Parses the columns strace prints before the call and returns the index where the call text
 * starts. Accepted, in order, each optional:
 *   `12345 ` (with -f and -o) or `[pid 12345] ` (with -f on stderr);
 *   a timestamp: `23:58:22` (-t), `23:58:22.293344` (-tt), `1795910302.314534` (-ttt or
 *   --absolute-timestamps=unix,…), `     0.000495` (-r), then ` (+     0.000566)` when -t and -r
 *   are combined (the absolute one is kept);
 *   `[00007f1d7ae82740] ` (-i, instruction pointer; skipped).
 * A column only counts when a space follows it, so a continuation line that starts with a
 * number (`0x7ffc…, WNOHANG, NULL) = 0`) is not mistaken for a pid.
 */
export function parsePrefix(s: string, start: number, end: number): number {
  head.pid = 0;
  head.hasPid = false;
  head.ts = NaN;
  let i = start;
  let c = s.charCodeAt(i);
  if (c === 91 /* [ */ && s.startsWith('[pid', i)) {
    let k = i + 4;
    while (s.charCodeAt(k) === 32) k++;
    let pid = 0;
    const d = k;
    while (k < end && isDigit(s.charCodeAt(k))) pid = pid * 10 + (s.charCodeAt(k++) - 48);
    if (k > d && s.charCodeAt(k) === 93 /* ] */) {
      head.pid = pid;
      head.hasPid = true;
      i = k + 1;
      while (i < end && s.charCodeAt(i) === 32) i++;
    }
  } else if (isDigit(c)) {
    let k = i;
    let pid = 0;
    while (k < end && isDigit(s.charCodeAt(k))) pid = pid * 10 + (s.charCodeAt(k++) - 48);
    if (s.charCodeAt(k) === 32 && k - i <= 10) {
      head.pid = pid;
      head.hasPid = true;
      i = k;
      while (i < end && s.charCodeAt(i) === 32) i++;
    }
  }
  // timestamp: leading spaces belong to -r's right-aligned column
  let k = i;
  while (k < end && s.charCodeAt(k) === 32) k++;
  c = s.charCodeAt(k);
  if (isDigit(c)) {
    const t = parseTimestamp(s, k, end);
    if (t >= 0) {
      i = t;
      while (i < end && s.charCodeAt(i) === 32) i++;
      if (s.charCodeAt(i) === 40 /* ( */ && s.charCodeAt(i + 1) === 43 /* + */) {
        const close = s.indexOf(')', i);
        if (close > 0 && close < end) {
          i = close + 1;
          while (i < end && s.charCodeAt(i) === 32) i++;
        }
      }
    }
  }
  if (s.charCodeAt(i) === 91 /* [ */ && i + 1 < end && s.charCodeAt(i + 1) !== 112 /* p */) {
    // -i: `[00007f…] `
    let m = i + 1;
    while (m < end && isHexDigit(s.charCodeAt(m))) m++;
    if (m > i + 1 && s.charCodeAt(m) === 93 && s.charCodeAt(m + 1) === 32) {
      i = m + 1;
      while (i < end && s.charCodeAt(i) === 32) i++;
    }
  }
  return i;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Parses `HH:MM:SS[.frac]` or `SECONDS.frac` at k; needs a following space. Sets head.ts and
 * returns the index after the timestamp, or -1 when the text is not a timestamp column.
 */
function parseTimestamp(s: string, k: number, end: number): number {
  let value = 0;
  let part = 0;
  let colons = 0;
  let sawDot = false;
  let frac = 0;
  let scale = 1;
  let m = k;
  for (; m < end; m++) {
    const c = s.charCodeAt(m);
    if (isDigit(c)) {
      if (sawDot) {
        frac = frac * 10 + (c - 48);
        scale *= 10;
      } else part = part * 10 + (c - 48);
    } else if (c === 58 /* : */ && !sawDot) {
      value = (value + part) * 60;
      part = 0;
      colons++;
    } else if (c === 46 /* . */ && !sawDot) {
      sawDot = true;
    } else break;
  }
  if (s.charCodeAt(m) !== 32) return -1;
  // a bare integer followed by a space is a pid, handled before; here we need `:` or `.`
  if (!sawDot && colons === 0) return -1;
  if (colons > 2) return -1;
  head.ts = value + part + frac / scale;
  return m;
}

const C_Q = 63; // ?

/**
 * Parses a return value `s[a, b)` (the text after `= `, without a -T duration):
 *   `0`, `-1`, `0x7f1d7b070000`, `?`, `3</etc/passwd>`, then an optional errno and free text:
 *   `-1 ENOENT (No such file or directory)`, `? ERESTARTSYS (To be restarted …)`,
 *   `0x1 (flags FD_CLOEXEC)`, `1 (in [3])`, `? <unavailable>`.
 * Returns null when the text does not start with a number or `?`.
 */
export function parseReturn(s: string, a: number, b: number): SyscallReturn | null {
  let i = a;
  let value: number | null;
  let small = false;
  const c = s.charCodeAt(i);
  if (c === C_Q) {
    value = null;
    i++;
  } else {
    let neg = false;
    if (c === 45 /* - */) {
      neg = true;
      i++;
    }
    const digits = i;
    small = !neg;
    if (s.charCodeAt(i) === 48 && s.charCodeAt(i + 1) === 120 /* x */) {
      i += 2;
      const h = i;
      while (i < b && isHexDigit(s.charCodeAt(i))) i++;
      if (i === h) return null;
      value = parseInt(s.slice(h, i), 16);
      small = false;
    } else {
      let v = 0;
      while (i < b && isDigit(s.charCodeAt(i))) v = v * 10 + (s.charCodeAt(i++) - 48);
      if (i === digits) return null;
      value = i - digits > 15 ? Number(s.slice(digits, i)) : v;
      if (small && (v >= SMALL_RETURNS || (i - digits > 1 && s.charCodeAt(digits) === 48))) small = false;
    }
    if (neg) value = -value;
  }
  if (small && i >= b) return SMALL_RETURN[value!]!;
  const raw =
    small && value !== null ? SMALL_RETURN_TEXT[value]! : value === -1 && i - a === 2 ? '-1' : s.slice(a, i);
  const ret: SyscallReturn = { value, raw };
  if (i < b && s.charCodeAt(i) === 60 /* < */ && value !== null) {
    if (!decodeDecoration(s, i + 1, b)) return null;
    ret.fdPath = decoded.value;
    i = decoded.end + 1;
  }
  if (i >= b) return ret;
  if (s.charCodeAt(i) !== 32) return null;
  i++;
  // errno: an E-name (E???, ERESTARTSYS…) followed by the end or " (…)"
  if (s.charCodeAt(i) === 69 /* E */) {
    let k = i + 1;
    for (; k < b; k++) {
      const d = s.charCodeAt(k);
      if (!((d >= 65 && d <= 90) || isDigit(d) || d === 95 || d === C_Q)) break;
    }
    if (k === b || s.charCodeAt(k) === 32) {
      ret.errno = returnTexts.intern(s, i, k);
      if (k < b) ret.comment = returnTexts.intern(s, k + 1, b);
      return ret;
    }
  }
  if (i < b) ret.comment = s.slice(i, b);
  return ret;
}

/**
 * Finds the -T duration ` <0.000012>` at the end of `s[from, end)`; returns its start index
 * (where the return value text ends) and sets `tail.duration`, or returns `end` when absent.
 */
export const tail = { duration: NaN };

export function stripDuration(s: string, from: number, end: number): number {
  tail.duration = NaN;
  if (s.charCodeAt(end - 1) !== 62 /* > */) return end;
  // scan back over digits and dots only: the search must stay inside this line
  let k = end - 2;
  let sawDigit = false;
  for (; k > from; k--) {
    const c = s.charCodeAt(k);
    if (isDigit(c)) sawDigit = true;
    else if (c !== 46) break;
  }
  if (!sawDigit || s.charCodeAt(k) !== 60 /* < */ || s.charCodeAt(k - 1) !== 32 || k - 1 < from) return end;
  tail.duration = Number(s.slice(k + 1, end - 1));
  return k - 1;
}
