/**
 * systemd's Exec command-line syntax, only as far as the wrapper needs it: taking the first words
 * of an existing command *verbatim* (so they can be moved around without being re-quoted), and
 * writing hush's own words so that systemd reads them back unchanged.
 */

/**
 * The first `n` words of a systemd command line as raw tokens (quotes and escapes as written),
 * and the untouched rest. Follows systemd's word splitting: whitespace separates words; `"…"` and
 * `'…'` group (a word may mix quoted and bare parts); a backslash escapes the next character.
 */
export function takeRawWords(command: string, n: number): { words: string[]; rest: string } {
  const words: string[] = [];
  let i = 0;
  const len = command.length;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n';
  while (words.length < n) {
    while (i < len && isSpace(command[i])) i++;
    if (i >= len) break;
    const start = i;
    let quote: string | undefined;
    while (i < len) {
      const c = command[i];
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (isSpace(c)) {
        break;
      }
      i++;
    }
    if (quote) throw new Error(`unbalanced ${quote} in command: ${command}`);
    words.push(command.slice(start, Math.min(i, len)));
  }
  while (i < len && isSpace(command[i])) i++;
  return { words, rest: command.slice(i) };
}

const BARE_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * Writes one word of hush's own (a path, a strace flag) for an Exec line so that systemd passes
 * it through unchanged: `%` is doubled (specifiers are always expanded), `$` is doubled unless the
 * command has the `:` prefix (which turns variable expansion off, so `$$` would stay `$$`), and
 * anything not plainly safe is double-quoted with C escapes.
 */
export function execWord(word: string, opts: { envExpansion: boolean }): string {
  if (word.includes('\0') || word.includes('\n')) throw new Error('Exec word contains NUL or newline');
  let w = word.replace(/%/g, '%%');
  if (opts.envExpansion) w = w.replace(/\$/g, '$$$$');
  if (BARE_WORD.test(w)) return w;
  return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
