/**
 * Path items, written for the exact grammar of their setting and read back the way systemd reads
 * them (src/core/load-fragment.c; the same in systemd 252 and 257):
 *
 * | grammar     | settings                                              | how systemd reads an item |
 * |-------------|-------------------------------------------------------|---------------------------|
 * | `namespace` | ReadWritePaths, ReadOnlyPaths, InaccessiblePaths, ExecPaths, NoExecPaths | `extract_first_word(EXTRACT_UNQUOTE)`, then `-`/`+` prefixes, specifiers, `path_simplify_and_warn` |
 * | `bind`      | BindPaths, BindReadOnlyPaths                          | `extract_first_word(":" WHITESPACE, EXTRACT_UNQUOTE\|EXTRACT_DONT_COALESCE_SEPARATORS)`: an unquoted `:` starts the destination |
 * | `tmpfs`     | TemporaryFileSystem                                   | one word (EXTRACT_UNQUOTE), split at its first `:` into path and mount options |
 * | `device`    | DeviceAllow                                           | one word (EXTRACT_UNQUOTE), the rest is the rights (`rwm`) |
 *
 * None of them C-unescapes, so a backslash only protects the next character, and a control
 * character cannot be written at all; all of them expand `%` specifiers after unquoting, so `%` is
 * written `%%`. An item is double-quoted whenever it holds whitespace, a quote, a backslash or (bind)
 * a `:`, with `\` and `"` backslash-escaped inside. A path systemd cannot be told (not UTF-8,
 * control characters, not normalised: core/systemd `unnameablePath`) is refused here: the resolver
 * folds such paths to a nameable parent with the reason in the plan before they reach a drop-in.
 *
 * What the unit file says is not all: from systemd 255 PID 1 passes the parsed settings to
 * systemd-executor as text, and a bind path holding a quote does not survive that hand-over (the
 * unit cannot start). That depends on the target's version, so the resolver folds it
 * (core/systemd `unbindablePath`); the writing here stays exact for every version.
 */
import { unnameablePath } from '../systemd/paths';
import { DropInSyntaxError, escapeSpecifiers, extractWords, unescapeSpecifiers } from './quote';

export type PathGrammar = 'namespace' | 'bind' | 'tmpfs' | 'device';

const WHITESPACE = ' \t\n\r';

/** An item split into the path and what surrounds it: `-` / `+` prefixes, `:ro` options, ` rw` rights. */
export interface PathItem {
  prefix: string;
  path: string;
  suffix: string;
}

/** Device specifiers that are not paths (`char-rtc`, `block-loop`): vocabulary, written as is. */
const DEVICE_CLASS = /^(char|block)-[A-Za-z0-9_.+-]+$/;
const RIGHTS = /^[rwm]*$/;
const TMPFS_OPTIONS = /^[A-Za-z0-9,=_.-]*$/;

/** Splits a plan item (`-/srv/x`, `/dev/sda rw`, `/srv:ro`) into prefix, path and suffix. */
export function splitPathItem(grammar: PathGrammar, item: string): PathItem {
  switch (grammar) {
    case 'namespace': {
      const prefix = /^-?\+?/.exec(item)![0];
      return { prefix, path: item.slice(prefix.length), suffix: '' };
    }
    case 'bind': {
      const prefix = item.startsWith('-') ? '-' : '';
      return { prefix, path: item.slice(prefix.length), suffix: '' };
    }
    case 'tmpfs': {
      const colon = item.lastIndexOf(':');
      return colon < 0
        ? { prefix: '', path: item, suffix: '' }
        : { prefix: '', path: item.slice(0, colon), suffix: item.slice(colon) };
    }
    case 'device': {
      const space = item.lastIndexOf(' ');
      if (space < 0 || !RIGHTS.test(item.slice(space + 1))) return { prefix: '', path: item, suffix: '' };
      return { prefix: '', path: item.slice(0, space), suffix: item.slice(space) };
    }
  }
}

function quoteWord(word: string, mustQuote: RegExp): string {
  const escaped = escapeSpecifiers(word);
  if (escaped !== '' && !mustQuote.test(escaped)) return escaped;
  return '"' + escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

const QUOTE_NAMESPACE = /[\s"'\\]/;
const QUOTE_BIND = /[\s"'\\:]/;

/**
 * One item as written in the setting, so that systemd reads back exactly `item`. Throws
 * DropInSyntaxError for a path systemd cannot be told (the resolver folds those first) or a
 * malformed prefix/suffix.
 */
export function writePathItem(grammar: PathGrammar, item: string): string {
  const { prefix, path, suffix } = splitPathItem(grammar, item);
  if (grammar === 'device' && DEVICE_CLASS.test(path)) return path + suffix;
  const why = unnameablePath(path);
  if (why !== undefined)
    throw new DropInSyntaxError(`path ${JSON.stringify(path)} cannot be written in a unit file: it ${why}`);
  switch (grammar) {
    case 'namespace':
      return quoteWord(prefix + path, QUOTE_NAMESPACE);
    case 'bind':
      return quoteWord(prefix + path, QUOTE_BIND);
    case 'device':
      if (!RIGHTS.test(suffix.trim()))
        throw new DropInSyntaxError(`invalid device rights in ${JSON.stringify(item)}`);
      return quoteWord(path, QUOTE_NAMESPACE) + suffix;
    case 'tmpfs':
      // The path is split from its options at the first `:` after unquoting, with no way to
      // protect one: such a path (and a backslash, unquoted twice) cannot be written.
      if (/[:\\\s"']/.test(path) || !TMPFS_OPTIONS.test(suffix.slice(1)))
        throw new DropInSyntaxError(`TemporaryFileSystem= cannot hold ${JSON.stringify(item)}`);
      return escapeSpecifiers(path) + suffix;
  }
}

/**
 * The items systemd reads from one assignment's value, as plan items (`-/srv/x`, `/dev/sda rw`,
 * `/srv:ro`, and for bind settings `SRC:DST[:OPTIONS]`): the reverse of `writePathItem`, for
 * comparing drop-ins by what they mean. Specifiers other than `%%` are left as written.
 */
export function readPathItems(grammar: PathGrammar, value: string): string[] {
  if (grammar === 'device') {
    const [path = '', ...rest] = extractWords(value, { unquote: true });
    const rights = rest.join('');
    return [unescapeSpecifiers(path) + (rights ? ` ${rights}` : '')];
  }
  if (grammar !== 'bind') return extractWords(value, { unquote: true }).map(unescapeSpecifiers);
  return readBindMounts(value).map((b) =>
    [
      b.source,
      ...(b.destination !== undefined ? [b.destination] : []),
      ...(b.options !== undefined ? [b.options] : []),
    ].join(':'),
  );
}

/** One BindPaths=/BindReadOnlyPaths= item as systemd reads it (`-` kept on the source). */
export interface BindMount {
  source: string;
  destination?: string;
  options?: string;
}

/** BindPaths=: `SRC[:DST[:OPTIONS]]` items separated by whitespace, `:` only between the parts. */
export function readBindMounts(value: string): BindMount[] {
  const items: BindMount[] = [];
  // Walk the value once, tracking which separator ended each word (systemd looks at p[-1]).
  let rest = value.replace(/^[ \t\n\r]+/, '');
  while (rest !== '') {
    const parts: string[] = [];
    for (;;) {
      const { word, sep, after } = firstBindWord(rest);
      parts.push(unescapeSpecifiers(word));
      rest = after;
      if (sep !== ':' || parts.length === 3) break;
    }
    const [source = '', destination, options] = parts;
    items.push({
      source,
      ...(destination !== undefined ? { destination } : {}),
      ...(options !== undefined ? { options } : {}),
    });
    rest = rest.replace(/^[ \t\n\r]+/, '');
  }
  return items;
}

/** One word up to an unquoted `:` or whitespace, with the separator that ended it. */
function firstBindWord(text: string): { word: string; sep: string; after: string } {
  let word = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      if (i + 1 >= text.length) throw new DropInSyntaxError(`trailing backslash in ${JSON.stringify(text)}`);
      word += text[++i] as string;
    } else if (quote !== null) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ':' || WHITESPACE.includes(c)) return { word, sep: c, after: text.slice(i + 1) };
    else word += c;
  }
  if (quote !== null) throw new DropInSyntaxError(`unterminated quote in ${JSON.stringify(text)}`);
  return { word, sep: '', after: '' };
}
