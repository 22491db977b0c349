/**
 * systemd's unit-file value syntax: how one list item must be written so that systemd reads back
 * exactly that item, and the reverse (a port of systemd's `extract_first_word`, src/basic/
 * extract-word.c, with the flags each option's parser passes: see `extractWords`).
 *
 * Specifiers: most exec options expand `%x` specifiers (unit name, home…), so a literal `%` must be
 * written `%%`, otherwise a path like `/srv/100%` would fail to load or silently change meaning.
 */

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

/** The `extract_first_word` flags hush needs to read values the way systemd's parsers do. */
export interface ExtractFlags {
  /** Separator characters (default: whitespace, as systemd's NULL). */
  separators?: string;
  /** EXTRACT_UNQUOTE: `'…'`/`"…"` group, anywhere in a word. */
  unquote?: boolean;
  /** EXTRACT_CUNESCAPE: `\n`, `\xHH`… are C escapes; without it a backslash takes the next char as is. */
  cunescape?: boolean;
  /** EXTRACT_DONT_COALESCE_SEPARATORS: every separator ends a word (two in a row give an empty one). */
  dontCoalesce?: boolean;
}

const SYSTEMD_WHITESPACE = ' \t\n\r';

/**
 * Splits a value into words as systemd's `extract_first_word` does with the given flags: the path
 * settings (ReadWritePaths=, DeviceAllow=, BindPaths=…) unquote but do NOT C-unescape (`\x41` stays
 * `x41`, a backslash only protects the next character); Exec lines and Environment= do both.
 * Unterminated quotes and a trailing backslash are errors, as in systemd (which then ignores the
 * rest of the assignment).
 */
export function extractWords(value: string, flags: ExtractFlags = {}): string[] {
  const separators = flags.separators ?? SYSTEMD_WHITESPACE;
  const isSep = (c: string): boolean => separators.includes(c);
  const words: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    if (!flags.dontCoalesce) while (i < n && isSep(value[i] as string)) i++;
    if (i >= n) break;
    let word = '';
    let quote: '"' | "'" | null = null;
    let ended = false;
    for (; i < n; i++) {
      const c = value[i] as string;
      if (c === '\\') {
        if (i + 1 >= n) throw new DropInSyntaxError(`trailing backslash in ${JSON.stringify(value)}`);
        if (flags.cunescape) {
          const [decoded, used] = cunescapeOne(value, i + 1);
          word += decoded;
          i += used;
        } else {
          word += value[i + 1] as string;
          i++;
        }
        continue;
      }
      if (quote !== null) {
        if (c === quote) quote = null;
        else word += c;
      } else if (flags.unquote && (c === '"' || c === "'")) {
        quote = c;
      } else if (isSep(c)) {
        i++;
        ended = true;
        break;
      } else {
        word += c;
      }
    }
    if (quote !== null) throw new DropInSyntaxError(`unterminated quote in ${JSON.stringify(value)}`);
    words.push(word);
    // A value ending in a separator has one more (empty) word when separators do not coalesce.
    if (ended && flags.dontCoalesce && i >= n) words.push('');
  }
  return words;
}

/**
 * Splits a value as the exec options do (EXTRACT_UNQUOTE | EXTRACT_CUNESCAPE): whitespace
 * separates, quotes group (also mid-word), C escapes inside and outside quotes.
 */
export function splitWords(value: string): string[] {
  return extractWords(value, { unquote: true, cunescape: true });
}
