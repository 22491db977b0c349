/**
 * Path normalisation for the summary. Everything here uses only what the trace says: hush
 * summarizes on the controller, so the target's file system is never consulted (SHH walked
 * symlinks on the machine running it, and got /proc/self and chroots wrong).
 *
 * The rule (core/summary/README.md, "Paths"): a path enters the profile only as the kernel
 * resolved it. What the kernel printed (fd and `AT_FDCWD` decorations, getcwd) is its own
 * resolution and is taken as is; a path argument is the tracee's text, in which:
 *  - `.`, duplicate and trailing slashes are removed (the kernel ignores them);
 *  - `..` may cancel only a component of the base the kernel printed for that very call (the
 *    dirfd's or cwd's decoration, the root), never a name the argument itself supplied: whether
 *    `a/..` is the directory holding `a` depends on `a` existing and not being a symlink, which
 *    the trace does not show (`/nonexistent/../etc`, `link/../../..`). Such an argument is not
 *    resolvable (`climbArgument` returns undefined) and its action is left out;
 *  - `..` at the root stays at the root. Symlinks are not followed: the open family also records
 *    strace's `-y` decoration of the returned fd (the file actually opened).
 *
 * Other choices (documented because the resolver relies on them):
 *  - `/proc/<pid>/…` for a pid that belongs to the traced tree is recorded as `/proc/self/…`, and
 *    `/proc/self`, `/proc/thread-self` are kept as such. So an action under `/proc/self` means "the
 *    service looks at its own processes", which ProtectProc=invisible/ptraceable permits, while any
 *    other `/proc/<pid>` is a look at a foreign process. (strace's decorations always show the
 *    numeric pid, which is why the mapping is needed.)
 *  - fd decorations that do not start with `/` (`pipe:[…]`, `socket:[…]`, `anon_inode:[…]`,
 *    `net:[…]`, `TCP:[…]`) are pseudo files and never become paths; `/memfd:…` is pseudo too.
 *    A path *argument* like "pipe:[1]" is an ordinary relative file name (SHH's regex confused them).
 *  - decorations lose a trailing ` (deleted)` and the `<char 1:3>` device detail of `-yy`.
 *  - bytes that are not UTF-8 stay distinguishable (core/strace/bytes.ts).
 */

/**
 * Lexically normalise an absolute path the kernel printed (a decoration, getcwd, a configured cwd),
 * or one without `..` components. Returns '/' for the root.
 */
export function normalizeAbsolute(path: string): string {
  // Fast path: already clean (the common case for decorations and absolute arguments).
  if (
    path.length > 1 &&
    path.charCodeAt(0) === 47 &&
    path.charCodeAt(path.length - 1) !== 47 &&
    !path.includes('//') &&
    !path.includes('/.')
  ) {
    return path;
  }
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** The last base `joinPath` found already normalised (consecutive calls share their base string). */
let cleanBase = '/';

/** Join a relative path without `..` components (see `hasDotDot`) onto an absolute base and normalise. */
export function joinPath(base: string, rel: string): string {
  if (rel.startsWith('/')) return normalizeAbsolute(rel);
  if (rel === '' || rel === '.') return normalizeAbsolute(base);
  // The common case (`newfstatat(7</usr/share/pam>, "common-auth")`): one plain name onto a clean
  // base needs no normalising, and join() builds the result flat in one copy, where `+` would
  // build a rope that the next Map lookup flattens into a second string.
  if (rel !== '..' && rel.indexOf('/') < 0 && (base === cleanBase || normalizeAbsolute(base) === base)) {
    cleanBase = base;
    return base === '/' ? '/' + rel : [base, rel].join('/');
  }
  return normalizeAbsolute(base === '/' ? '/' + rel : base + '/' + rel);
}

/** Whether a path argument has a `..` component (the only case `climbArgument` is needed for). */
export function hasDotDot(path: string): boolean {
  for (let i = path.indexOf('..'); i >= 0; i = path.indexOf('..', i + 1)) {
    if (
      (i === 0 || path.charCodeAt(i - 1) === 47) &&
      (i + 2 === path.length || path.charCodeAt(i + 2) === 47)
    )
      return true;
  }
  return false;
}

/**
 * Resolve a path argument with `..` components against `base` (absolute, normalised; `/` for an
 * absolute argument) as far as the trace proves it (see the module comment): `..` cancels a base
 * component only when `baseClimbable` (the kernel printed the base for this call), and never one of
 * the argument's own names. Undefined when the argument climbs where the trace cannot follow.
 */
export function climbArgument(base: string, arg: string, baseClimbable: boolean): string | undefined {
  const out = base === '/' ? [] : base.slice(1).split('/');
  let own = 0;
  for (const part of arg.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') {
      out.push(part);
      own++;
    } else if (own > 0 || (out.length > 0 && !baseClimbable)) {
      return undefined;
    } else {
      // At the root `..` stays there, as in the kernel.
      out.pop();
    }
  }
  return '/' + out.join('/');
}

/** Apply a process root (after chroot) to an absolute path as the process sees it. */
export function underRoot(root: string, absPath: string): string {
  if (root === '/') return absPath;
  return absPath === '/' ? root : normalizeAbsolute(root + absPath);
}

export interface Decoration {
  /** The file path, or undefined for a pseudo file (pipe, socket, anon inode, memfd…). */
  path: string | undefined;
  /** True when `-yy` said the fd is a character device (`/dev/null<char 1:3>`). */
  charDevice: boolean;
  /** Socket family/type when `-yy` printed the protocol (`TCPv6:[…]`, `UNIX-STREAM:[…]`). */
  socket?: { family: string; type: string };
}

/** `-yy` socket protocol names → family and type (only the unambiguous ones). */
const SOCKET_PROTOCOLS: Readonly<Record<string, { family: string; type: string }>> = {
  TCP: { family: 'AF_INET', type: 'SOCK_STREAM' },
  TCPv6: { family: 'AF_INET6', type: 'SOCK_STREAM' },
  UDP: { family: 'AF_INET', type: 'SOCK_DGRAM' },
  UDPv6: { family: 'AF_INET6', type: 'SOCK_DGRAM' },
  UDPLITE: { family: 'AF_INET', type: 'SOCK_DGRAM' },
  UDPLITEv6: { family: 'AF_INET6', type: 'SOCK_DGRAM' },
  'UNIX-STREAM': { family: 'AF_UNIX', type: 'SOCK_STREAM' },
  'UNIX-DGRAM': { family: 'AF_UNIX', type: 'SOCK_DGRAM' },
  'UNIX-SEQPACKET': { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' },
};

const DEV_SUFFIX = /<(char|block) \d+:\d+>$/;
const DELETED_SUFFIX = ' (deleted)';

/** Interpret an fd decoration printed by `-y`/`-yy`. */
export function parseDecoration(text: string): Decoration {
  let path = text;
  let charDevice = false;
  if (path.endsWith('>')) {
    const m = DEV_SUFFIX.exec(path);
    if (m) {
      charDevice = m[1] === 'char';
      path = path.slice(0, m.index);
    }
  }
  if (path.endsWith(DELETED_SUFFIX)) path = path.slice(0, -DELETED_SUFFIX.length);
  if (path.charCodeAt(0) !== 47 || path.startsWith('/memfd:')) {
    const colon = path.indexOf(':[');
    const socket = colon > 0 ? SOCKET_PROTOCOLS[path.slice(0, colon)] : undefined;
    return socket ? { path: undefined, charDevice, socket } : { path: undefined, charDevice };
  }
  return { path: normalizeAbsolute(path), charDevice };
}

/**
 * The identity of a pseudo file in a `-y` decoration, when it has one that stays the same for the
 * object's lifetime: `socket:[128604]` (the socket's inode), `anon_inode:[pidfd]` (the kind only).
 * Undefined for paths and for `-yy` endpoints (`TCP:[127.0.0.1:80->…]`, which change on connect).
 */
export function pseudoObject(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return /^[a-z_]+:\[(\d+|pidfd)\]$/.test(text) ? text : undefined;
}

/** A new fd entry's identity from its `-y` decoration (FdEntry.object), as a spreadable field. */
export function objectOf(decoration: string | undefined): { object?: string } {
  const object = pseudoObject(decoration);
  return object === undefined ? {} : { object };
}

const PROC_PID = /^\/proc\/(\d+)(?=\/|$)/;

/**
 * Map `/proc/<pid>` of a traced process to `/proc/self` (see the module comment). `isTraced`
 * answers whether a pid belongs to the traced tree.
 */
export function stableProcPath(path: string, isTraced: (pid: number) => boolean): string {
  if (!path.startsWith('/proc/')) return path;
  const m = PROC_PID.exec(path);
  if (!m || !isTraced(Number(m[1]))) return path;
  return '/proc/self' + path.slice(m[0].length);
}
