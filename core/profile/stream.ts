/**
 * A profile's JSON text in pieces, for writing it out without building it whole. The profile of a
 * file-heavy trace has 10^5 actions: `JSON.stringify` makes it one string of ~50 MB (twice that
 * as UTF-16 when a path is not latin1), and writing it to a stream encodes a second copy, so the
 * output, not the summary, set the peak memory of `hush summarize`. Measured on the files bench
 * log piped 4 times (2.4 GB, 74 MB of profile JSON): peak RSS 661 MiB writing JSON.stringify's
 * string, 359 MiB writing these pieces in 64 KiB batches; with bench/parser.ts's low-memory node
 * flags 465 -> 185 MiB. Same bytes out.
 *
 * The pieces joined are byte-identical to `JSON.stringify(profile, null, indent)`: every value
 * but the top-level arrays is stringified by JSON.stringify itself, and nested lines get the
 * indentation JSON.stringify would give them at that depth (no string holds a raw newline in
 * JSON, so re-indenting on '\n' is exact).
 */
import type { Profile } from './schema';

/** Stringify `value` as JSON.stringify would at `depth` (its own lines indented `depth` levels). */
function nested(value: unknown, gap: string, pad: string): string | undefined {
  const text = JSON.stringify(value, null, gap) as string | undefined;
  return text === undefined || gap === '' ? text : text.replace(/\n/g, '\n' + pad);
}

/**
 * `JSON.stringify(profile, null, indent)` as a sequence of strings (one per top-level member and
 * per element of a top-level array, e.g. per action). `indent` as JSON.stringify's: a number of
 * spaces (at most 10) or undefined for compact output.
 */
export function* profileJsonPieces(profile: Profile, indent?: number): Generator<string> {
  const gap = indent === undefined ? '' : ' '.repeat(Math.max(0, Math.min(10, Math.floor(indent))));
  const nl1 = gap === '' ? '' : '\n' + gap;
  const nl2 = gap === '' ? '' : '\n' + gap + gap;
  const colon = gap === '' ? ':' : ': ';
  let first = true;
  yield '{';
  for (const [key, value] of Object.entries(profile)) {
    if (value === undefined || typeof value === 'function') continue;
    const head = (first ? '' : ',') + nl1 + JSON.stringify(key) + colon;
    first = false;
    if (Array.isArray(value) && value.length > 0) {
      yield head + '[';
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        // as JSON.stringify: an array element that cannot be represented is null
        const text = nested(item, gap, gap + gap) ?? 'null';
        yield (i === 0 ? '' : ',') + nl2 + text;
      }
      yield nl1 + ']';
    } else {
      yield head + (nested(value, gap, gap) ?? 'null');
    }
  }
  yield first ? '}' : (gap === '' ? '' : '\n') + '}';
}

/** Joins pieces into writes of about `size` characters (one write per action would be slow). */
export function* batchPieces(pieces: Iterable<string>, size = 64 * 1024): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const p of pieces) {
    parts.push(p);
    length += p.length;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
