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
