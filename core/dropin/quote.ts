/**
 * systemd's unit-file value syntax: how one list item must be written so that systemd reads back
 * exactly that item, and the reverse (a port of `extract_first_word(…, EXTRACT_UNQUOTE |
 * EXTRACT_CUNESCAPE)`, which the list-valued exec options use to split their values).
 *
 * Specifiers: most exec options expand `%x` specifiers (unit name, home…), so a literal `%` must be
 * written `%%`, otherwise a path like `/srv/100%` would fail to load or silently change meaning.
 */

const WHITESPACE = /[ \t\n\r]/;

/** Control characters (incl. newline) cannot be written in a unit file value at all. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export class DropInSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DropInSyntaxError';
  }
}

/** `%` → `%%` so that systemd's specifier expansion yields the literal text. */
export function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

/** The reverse of escapeSpecifiers (only `%%` is undone; other specifiers are left as written). */
export function unescapeSpecifiers(text: string): string {
  return text.replace(/%%/g, '%');
}

function assertWritable(text: string, what: string): void {
  if (CONTROL.test(text)) {
    throw new DropInSyntaxError(`${what} contains a control character, which a unit file cannot hold`);
  }
}

/**
 * One item of a space-separated list value. Items with whitespace, quotes or backslashes (or an
 * empty item) are double-quoted with `\\` and `\"` escaped; `%` is always doubled.
 */
export function quoteItem(item: string): string {
  assertWritable(item, `list item ${JSON.stringify(item)}`);
  const escaped = escapeSpecifiers(item);
  if (escaped !== '' && !/[\s"'\\]/.test(escaped)) return escaped;
  return '"' + escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/**
 * A single (non-list) value, written verbatim after `Option=`: systemd strips surrounding
 * whitespace and does not unquote scalar values, so only `%` is escaped.
 */
export function formatScalar(value: string): string {
  assertWritable(value, `value ${JSON.stringify(value)}`);
  if (value !== value.trim()) {
    throw new DropInSyntaxError(
      `value ${JSON.stringify(value)} has surrounding whitespace systemd would strip`,
    );
  }
  return escapeSpecifiers(value);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  s: ' ',
};

/** Decodes one C escape at text[i] (the char after the backslash); returns [decoded, chars consumed]. */
function cunescapeOne(text: string, i: number): [string, number] {
  const c = text[i];
  if (c === undefined) return ['\\', 0];
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [simple, 1];
  if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
    return [String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16)), 3];
  }
  if (/^[0-7]{3}$/.test(text.slice(i, i + 3)))
    return [String.fromCharCode(parseInt(text.slice(i, i + 3), 8)), 3];
  // Unknown escapes keep the character itself, as systemd's relaxed mode does.
  return [c, 1];
}

/**
 * Splits a value into words as systemd's list parsers do: whitespace separates, single and double
 * quotes group (and may appear mid-word), backslash escapes (C escapes) inside and outside quotes.
 * Unterminated quotes are an error, as in systemd (the whole assignment is ignored there).
 */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && WHITESPACE.test(value[i] as string)) i++;
    if (i >= n) break;
    let word = '';
    let quote: '"' | "'" | null = null;
    for (; i < n; i++) {
      const c = value[i] as string;
      if (quote === null && WHITESPACE.test(c)) break;
      if (c === '\\') {
        const [decoded, used] = cunescapeOne(value, i + 1);
        word += decoded;
        i += used;
        continue;
      }
      if (quote !== null) {
        if (c === quote) quote = null;
        else word += c;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else {
        word += c;
      }
    }
    if (quote !== null) throw new DropInSyntaxError(`unterminated quote in ${JSON.stringify(value)}`);
    words.push(word);
  }
  return words;
}
