/**
 * The `key=value` lines hush's host scripts print (and `systemctl show` prints): the first `=`
 * splits, a line without one (or starting with one) is not an entry, and a later line for the
 * same key wins. One reader for every script output that has no multi-valued or first-wins key.
 */
export function keyValueLines(text: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return kv;
}
