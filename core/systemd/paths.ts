/** Path helpers shared by option declarations and the resolver: lexical, no filesystem access. */

/** Whether `path` is `base` or below it (`/var/lib` is under `/var`, `/varx` is not). */
export function isUnder(path: string, base: string): boolean {
  if (base === '/') return path.startsWith('/');
  return path === base || path.startsWith(base.endsWith('/') ? base : base + '/');
}

/** The directory holding `path` (`/` for top-level entries and for `/` itself). */
export function parentDir(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * Directories whose own write access would expose far more than any one service needs: a path list
 * is never widened to one of these (nor to `/`), and a file created directly in one cannot be
 * whitelisted (the whole directory would have to become writable).
 */
export const SENSITIVE_ROOTS: readonly string[] = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/efi',
  '/etc',
  '/home',
  '/lib',
  '/lib64',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/run/user',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/lib',
  '/usr/lib64',
  '/usr/local',
  '/usr/sbin',
  '/usr/share',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/var/spool',
  '/var/tmp',
];
const SENSITIVE = new Set(SENSITIVE_ROOTS);

export function isSensitiveRoot(path: string): boolean {
  return SENSITIVE.has(path);
}

/** Whether `path` is one of the sensitive roots or contains one (`/` contains them all). */
export function coversSensitiveRoot(path: string): boolean {
  return SENSITIVE_ROOTS.some((root) => isUnder(root, path));
}

/** Sort, and drop paths already covered by another path in the list (O(n · depth)). */
export function minimalCover(paths: Iterable<string>): string[] {
  const all = new Set(paths);
  const out: string[] = [];
  for (const p of [...all].sort()) {
    let covered = all.has('/') && p !== '/';
    for (let q = parentDir(p); !covered && q !== '/'; q = parentDir(q)) covered = all.has(q);
    if (!covered) out.push(p);
  }
  return out;
}

/**
 * Shorten a path list to at most `threshold` entries by replacing siblings with their common parent,
 * like SHH's merge_similar_paths, but never merging into a sensitive root: /var/lib/a and /var/lib/b
 * stay two entries rather than opening /var/lib. Deterministic: at each step the parent with the most
 * children wins, ties broken by path order. The result may stay above the threshold.
 */
export function mergePaths(paths: Iterable<string>, threshold: number): string[] {
  let list = minimalCover(paths);
  while (list.length > threshold) {
    const byParent = new Map<string, number>();
    for (const p of list) {
      const parent = parentDir(p);
      if (parent === p || isSensitiveRoot(parent)) continue;
      byParent.set(parent, (byParent.get(parent) ?? 0) + 1);
    }
    const best = [...byParent.entries()]
      .filter(([, n]) => n >= 2)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0];
    // Nothing left to fold without opening a sensitive root: stay above the threshold.
    if (!best) break;
    list = minimalCover([...list.filter((p) => parentDir(p) !== best[0]), best[0]]);
  }
  return list;
}

/** PATH_MAX and NAME_MAX as systemd checks them (path_is_valid): bytes, including the final NUL. */
const PATH_MAX = 4096;
const NAME_MAX = 255;

/**
 * Why a path cannot be named in a systemd path setting (ReadWritePaths=, BindPaths=, DeviceAllow=…),
 * or undefined when it can. Paths are the profile's strings: bytes that are not UTF-8 are lone
 * surrogates U+DC80..U+DCFF (core/strace/bytes.ts). systemd's path_simplify_and_warn ignores a path
 * that is not valid UTF-8 (which for systemd also excludes the noncharacters U+FDD0..U+FDEF and
 * U+xFFFE/U+xFFFF), not absolute, not normalised, or too long; hush adds control characters (C0,
 * DEL, C1), which no path setting can write escaped (they do not C-unescape), a raw CR or LF would
 * end the line, and a raw ESC would reach the terminal of whoever reads the drop-in.
 */
export function unnameablePath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'is not absolute';
  if (path !== '/' && (path.endsWith('/') || path.includes('//'))) return 'is not normalised';
  let bytes = 0;
  let component = 0;
  for (const ch of path) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) return 'has bytes that are not UTF-8';
    if (cp >= 0xd800 && cp <= 0xdfff) return 'is not a valid string (lone surrogate)';
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return 'has a control character';
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'has a Unicode noncharacter';
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    bytes += n;
    component = cp === 0x2f ? 0 : component + n;
    if (component > NAME_MAX) return `has a name longer than ${NAME_MAX} bytes`;
  }
  if (bytes >= PATH_MAX) return `is longer than ${PATH_MAX - 1} bytes`;
  if (path.split('/').some((c) => c === '.' || c === '..')) return 'is not normalised';
  return undefined;
}

/**
 * The first systemd that hands a unit's execution context to systemd-executor as text
 * (src/core/execute-serialize.c) instead of forking the service from PID 1 with it in memory.
 */
export const EXECUTOR_SYSTEMD = 255;

/**
 * Why a path cannot be a BindPaths=/BindReadOnlyPaths= item on systemd `version`, or undefined when
 * it can: what unnameablePath says, and from systemd 255 on a quote. PID 1 writes a bind mount's
 * source and destination for systemd-executor with shell_escape (a backslash before `\`, `:` and
 * whitespace, quotes left as they are) and the executor reads them back with
 * extract_first_word(EXTRACT_UNQUOTE): a `"` or `'` starts a quoted section, so an unbalanced one
 * makes every start fail ("systemd-executor: Failed to deserialize: Invalid argument", the unit
 * never runs) and a balanced pair is dropped (`a"b"c` would mount `abc`, another path). The unit
 * file, `systemctl show` and D-Bus all read the item right; only the start shows it (seen on
 * Debian 13's 257). Every other path setting goes to the executor C-escaped and comes back whole.
 */
export function unbindablePath(path: string, version: number): string | undefined {
  const why = unnameablePath(path);
  if (why !== undefined || version < EXECUTOR_SYSTEMD) return why;
  return /["']/.test(path)
    ? `has a quote, which systemd ${version}'s executor reads back as quoting (a bind mount naming it fails every start)`
    : undefined;
}

/**
 * Why a device path cannot be a DeviceAllow= item on systemd `version`, or undefined when it can:
 * what unnameablePath says, and from systemd 255 on whitespace. PID 1 hands the item to
 * systemd-executor as `PATH RIGHTS` unescaped and the executor splits it at the first space, so
 * `/dev/sp ace rw` is read as the path `/dev/sp` with the rights `ace`: every start fails
 * ("Failed to deserialize: Invalid argument", seen on Debian 13's 257). A backslash passes.
 */
export function unallowableDevice(path: string, version: number): string | undefined {
  const why = unnameablePath(path);
  if (why !== undefined || version < EXECUTOR_SYSTEMD) return why;
  return /\s/.test(path)
    ? `has whitespace, which systemd ${version}'s executor cannot read back in DeviceAllow= (the unit would not start)`
    : undefined;
}

/**
 * The nearest path systemd can be told for `path`: itself, or its closest ancestor that is
 * nameable (`why` then says what was wrong), so a sandbox entry never has to be dropped silently.
 * Callers decide whether the wider ancestor is acceptable (it grants more than the original).
 */
export function nameablePath(
  path: string,
  problem: (path: string) => string | undefined = unnameablePath,
): { path: string; why?: string } {
  const why = problem(path);
  if (why === undefined) return { path };
  let p = path.startsWith('/') ? path : '/';
  // The first ancestor without the problem: cut at the first bad component.
  const parts = p.split('/').filter((c) => c !== '');
  let ok = '/';
  for (const part of parts) {
    const next = ok === '/' ? `/${part}` : `${ok}/${part}`;
    if (part === '.' || part === '..' || problem(next) !== undefined) break;
    ok = next;
  }
  p = ok;
  return { path: p, why };
}

/**
 * Text for people (a path in a reason, a drop-in comment, an error): control characters, bytes that
 * are not UTF-8 and line/format separators escaped as `\xHH`/`\uHHHH` (and `\` doubled), so nothing
 * the traced service named can end a comment line or reach a terminal as a control sequence.
 */
export function printableText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) out += `\\x${(cp - 0xdc00).toString(16).padStart(2, '0')}`;
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff)
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else if (ch === '\\') out += '\\\\';
    else out += ch;
  }
  return out;
}
