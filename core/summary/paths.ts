/**
 * Path normalisation for the summary. Everything here is lexical and uses only what the trace says:
 * hush summarizes on the controller, so the target's file system is never consulted (SHH walked
 * symlinks on the machine running it, shh.md §3.3, and got /proc/self and chroots wrong).
 *
 * Choices (documented because the resolver relies on them):
 *  - `.` and `..` are removed lexically; `..` at the root stays at the root; duplicate and trailing
 *    slashes go. Symlinks are not followed: the open family uses strace's `-y` decoration of the
 *    returned fd (the kernel's resolved path) in addition to the requested path.
 *  - `/proc/<pid>/…` for a pid that belongs to the traced tree is recorded as `/proc/self/…`, and
 *    `/proc/self`, `/proc/thread-self` are kept as such. So an action under `/proc/self` means "the
 *    service looks at its own processes", which ProtectProc=invisible/ptraceable permits, while any
 *    other `/proc/<pid>` is a look at a foreign process. (strace's decorations always show the
 *    numeric pid, which is why the mapping is needed.)
 *  - fd decorations that do not start with `/` (`pipe:[…]`, `socket:[…]`, `anon_inode:[…]`,
 *    `net:[…]`, `TCP:[…]`) are pseudo files and never become paths; `/memfd:…` is pseudo too.
 *    A path *argument* like "pipe:[1]" is an ordinary relative file name (SHH's regex confused them).
 *  - decorations lose a trailing ` (deleted)` and the `<char 1:3>` device detail of `-yy`.
 */

/** Lexically normalise an absolute path. Returns '/' for the root. */
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

/** Join a relative path onto an absolute base and normalise. */
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
