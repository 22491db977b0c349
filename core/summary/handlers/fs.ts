/**
 * File-system handlers: what paths the service reads, writes, creates, executes, removes or
 * changes the metadata of, plus the per-process cwd/root and fd-table bookkeeping.
 */
import type { Arg } from '../../strace/types';
import { STANDARD_CHAR_DEVICES } from '../../systemd/devices';
import { flagNames, hasFlag, intBits, intValue, strValue } from '../argReaders';
import type { HandlerContext, HandlerTable } from '../handler';
import { joinPath, underRoot } from '../paths';
import { returnedOk } from '../success';
import type { NodeType } from '../actions';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/** Whether a mode argument sets S_ISUID or S_ISGID (printed as octal `04755` or as `S_ISUID|0755`). */
export function modeHasSetuidBits(mode: Arg | undefined): boolean {
  if (!mode) return false;
  if (hasFlag(mode, 'S_ISUID') || hasFlag(mode, 'S_ISGID')) return true;
  const bits = intBits(mode);
  return bits !== undefined && (bits & (S_ISUID | S_ISGID)) !== 0;
}

/** Paths whose access means reading the kernel log (ProtectKernelLogs makes them inaccessible). */
const KERNEL_LOG_PATHS = new Set(['/dev/kmsg', '/proc/kmsg']);
/** Writing these is sethostname/setdomainname by another door (ProtectHostname). */
const HOSTNAME_PATHS = new Set(['/proc/sys/kernel/hostname', '/proc/sys/kernel/domainname']);

/** RestrictSUIDSGID evidence; the path is '' when the trace does not let us resolve it (the bit still matters). */
function setuidBits(c: HandlerContext, path: string | undefined, mode: Arg | undefined): void {
  if (modeHasSetuidBits(mode)) c.emit({ kind: 'setuidBits', path: path ?? '' });
}

function specialPaths(c: HandlerContext, path: string | undefined, writes: boolean): void {
  if (path === undefined) return;
  if (KERNEL_LOG_PATHS.has(path)) c.emit({ kind: 'kernelLog' });
  if (writes && HOSTNAME_PATHS.has(path)) c.emit({ kind: 'setHostname' });
}

/**
 * The open family. `requested` is the resolved argument path, the returned fd's decoration (the
 * kernel's own resolution, symlinks followed) is the file actually opened: both are recorded when
 * they differ (the requested one as a read: its components had to be reachable).
 */
function open(
  c: HandlerContext,
  requested: string | undefined,
  flags: Arg | undefined,
  mode: Arg | undefined,
): void {
  const names = flagNames(flags);
  let read = true;
  let write = false;
  let create = false;
  let tmpfile = false;
  for (const n of names) {
    if (n === 'O_WRONLY') {
      write = true;
      read = false;
    } else if (n === 'O_RDWR') write = true;
    else if (n === 'O_TRUNC') write = true;
    else if (n === 'O_CREAT') create = true;
    else if (n === 'O_TMPFILE') tmpfile = true;
  }
  const dec = c.returnedDecoration();
  const target = dec?.path ?? requested;
  // Character devices are writable on read-only mounts: writing /dev/null is not a
  // write to the file system, and O_CREAT on it creates nothing. strace -yy says so; otherwise
  // only the devices every Linux has are known.
  const charDevice = dec?.charDevice === true || isStandardCharDevice(target);
  if (tmpfile) {
    // O_TMPFILE creates an unnamed file inside the directory: the directory must be writable.
    c.emitPath('write', target);
  } else {
    const writes = write && !charDevice;
    if (create && !charDevice) c.emitPath('create', target);
    if (writes) c.emitPath('write', target);
    // A device opened for writing still had to be reachable.
    if (read || !writes) c.emitPath('read', target);
  }
  if (requested !== undefined && requested !== target) c.emitPath('read', requested);
  if (create || tmpfile) setuidBits(c, target, mode);
  specialPaths(c, target, write);
  const fd = c.returnedFd();
  if (fd !== undefined) {
    const entry = { path: target, charDevice, cloexec: names.includes('O_CLOEXEC') };
    c.proc.files.set(fd, dec?.path === undefined && target !== undefined ? { ...entry, named: true } : entry);
  }
}

const STANDARD_CHAR_DEVICE_SET: ReadonlySet<string> = new Set(STANDARD_CHAR_DEVICES);

/** Character devices present on every Linux system (devtmpfs), by path. */
export function isStandardCharDevice(path: string | undefined): boolean {
  if (path === undefined || !path.startsWith('/dev/')) return false;
  return STANDARD_CHAR_DEVICE_SET.has(path) || /^\/dev\/(pts\/\d+|tty\d+|ttyS\d+)$/.test(path);
}

/** A mode's file type for mknod (no type bits = regular file). */
function nodeType(mode: Arg | undefined): NodeType {
  for (const n of flagNames(mode)) {
    if (n === 'S_IFCHR') return 'char';
    if (n === 'S_IFBLK') return 'block';
    if (n === 'S_IFIFO') return 'fifo';
    if (n === 'S_IFSOCK') return 'socket';
  }
  const bits = intBits(mode);
  if (bits !== undefined) {
    switch (bits & 0o170000) {
      case 0o020000:
        return 'char';
      case 0o060000:
        return 'block';
      case 0o010000:
        return 'fifo';
      case 0o140000:
        return 'socket';
    }
  }
  return 'regular';
}

function mknod(
  c: HandlerContext,
  path: string | undefined,
  mode: Arg | undefined,
  dev: Arg | undefined,
): void {
  c.emitPath('create', path);
  setuidBits(c, path, mode);
  if (path === undefined) return;
  const type = nodeType(mode);
  let major: number | undefined;
  let minor: number | undefined;
  if ((type === 'char' || type === 'block') && dev) {
    if (dev.t === 'call' && dev.fn === 'makedev') {
      major = intValue(dev.args[0]);
      minor = intValue(dev.args[1]);
    } else {
      const v = intValue(dev);
      if (v !== undefined) {
        // Linux's new_decode_dev layout.
        major = (v & 0xfff00) >>> 8;
        minor = (v & 0xff) | ((v >>> 12) & 0xfff00);
      }
    }
  }
  c.emit({
    kind: 'mknod',
    path,
    nodeType: type,
    ...(major !== undefined ? { major } : {}),
    ...(minor !== undefined ? { minor } : {}),
  });
}

function rename(
  c: HandlerContext,
  from: string | undefined,
  to: string | undefined,
  flags: Arg | undefined,
): void {
  if (hasFlag(flags, 'RENAME_EXCHANGE')) {
    // Both names keep existing but swap contents: each side is read and written.
    c.emitPath('read', from);
    c.emitPath('write', from);
    c.emitPath('read', to);
    c.emitPath('write', to);
    return;
  }
  c.emitPath('remove', from);
  c.emitPath('create', to);
  if (hasFlag(flags, 'RENAME_WHITEOUT') && from !== undefined) {
    // The source is replaced by an overlayfs whiteout: a 0:0 character device (CAP_MKNOD).
    c.emit({ kind: 'mknod', path: from, nodeType: 'char', major: 0, minor: 0 });
  }
}

function mkdir(c: HandlerContext, path: string | undefined, mode: Arg | undefined): void {
  c.emitPath('create', path);
  setuidBits(c, path, mode);
}

function chmod(c: HandlerContext, path: string | undefined, mode: Arg | undefined): void {
  c.emitPath('metadata', path);
  setuidBits(c, path, mode);
}

function chown(c: HandlerContext, path: string | undefined): void {
  c.emitPath('metadata', path);
  c.emit(path !== undefined ? { kind: 'chown', path } : { kind: 'chown' });
}

/** access(2) modes: W_OK needs a writable file system, X_OK executability, F_OK/R_OK reachability. */
function access(c: HandlerContext, path: string | undefined, mode: Arg | undefined): void {
  const names = flagNames(mode);
  const bits = intBits(mode) ?? 0;
  if (names.includes('W_OK') || (bits & 2) !== 0) c.emitPath('write', path);
  if (names.includes('X_OK') || (bits & 1) !== 0) c.emitPath('exec', path);
  c.emitPath('read', path);
}

/** chdir/fchdir: `named` when the new cwd is the tracee's text rather than the kernel's (paths.ts). */
function setCwd(c: HandlerContext, path: string | undefined, named: boolean): void {
  if (path === undefined || !returnedOk(c.sc.ret)) return;
  c.proc.fs.cwd = path;
  c.proc.fs.cwdNamed = named;
}

const CREAT_FLAGS: Arg = {
  t: 'flags',
  items: [
    { t: 'sym', name: 'O_WRONLY' },
    { t: 'sym', name: 'O_CREAT' },
    { t: 'sym', name: 'O_TRUNC' },
  ],
};

const atEmpty = (flags: Arg | undefined): boolean => hasFlag(flags, 'AT_EMPTY_PATH');

export const fsHandlers: HandlerTable = {
  open: (c) => open(c, c.resolvePath(c.args[0]), c.args[1], c.args[2]),
  openat: (c) => open(c, c.resolvePath(c.args[1], c.args[0]), c.args[2], c.args[3]),
  // creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
  creat: (c) => open(c, c.resolvePath(c.args[0]), CREAT_FLAGS, c.args[1]),
  openat2: (c) => {
    // openat2(dirfd, path, {flags=…, mode=…, resolve=…}, size)
    const how = c.args[2];
    const flags = how?.t === 'struct' ? how.fields['flags'] : undefined;
    const mode = how?.t === 'struct' ? how.fields['mode'] : undefined;
    open(c, c.resolvePath(c.args[1], c.args[0]), flags, mode);
  },
  open_by_handle_at: (c) => open(c, undefined, c.args[2], undefined),
  name_to_handle_at: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[4]))),

  // The stat family and other "look at it" calls: read.
  stat: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  lstat: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  fstat: (c) => c.emitPath('read', c.fdPath(c.args[0])),
  newfstatat: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[3]))),
  fstatat64: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[3]))),
  statx: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[2]))),
  statfs: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  fstatfs: (c) => c.emitPath('read', c.fdPath(c.args[0])),
  access: (c) => access(c, c.resolvePath(c.args[0]), c.args[1]),
  faccessat: (c) => access(c, c.resolvePath(c.args[1], c.args[0]), c.args[2]),
  faccessat2: (c) => access(c, c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[3])), c.args[2]),
  readlink: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  readlinkat: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], true)),
  getdents: (c) => c.emitPath('read', c.fdPath(c.args[0])),
  getdents64: (c) => c.emitPath('read', c.fdPath(c.args[0])),
  inotify_add_watch: (c) => c.emitPath('read', c.resolvePath(c.args[1])),

  execve: (c) => exec(c, c.resolvePath(c.args[0])),
  execveat: (c) => exec(c, c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[4]))),

  mkdir: (c) => mkdir(c, c.resolvePath(c.args[0]), c.args[1]),
  mkdirat: (c) => mkdir(c, c.resolvePath(c.args[1], c.args[0]), c.args[2]),
  mknod: (c) => mknod(c, c.resolvePath(c.args[0]), c.args[1], c.args[2]),
  // SHH read the pathname of mknodat as an fd: it is (dirfd, pathname, mode, dev).
  mknodat: (c) => mknod(c, c.resolvePath(c.args[1], c.args[0]), c.args[2], c.args[3]),

  unlink: (c) => c.emitPath('remove', c.resolvePath(c.args[0])),
  unlinkat: (c) => c.emitPath('remove', c.resolvePath(c.args[1], c.args[0])),
  rmdir: (c) => c.emitPath('remove', c.resolvePath(c.args[0])),
  rename: (c) => rename(c, c.resolvePath(c.args[0]), c.resolvePath(c.args[1]), undefined),
  renameat: (c) =>
    rename(c, c.resolvePath(c.args[1], c.args[0]), c.resolvePath(c.args[3], c.args[2]), undefined),
  renameat2: (c) =>
    rename(c, c.resolvePath(c.args[1], c.args[0]), c.resolvePath(c.args[3], c.args[2]), c.args[4]),
  link: (c) => {
    c.emitPath('read', c.resolvePath(c.args[0]));
    c.emitPath('create', c.resolvePath(c.args[1]));
  },
  linkat: (c) => {
    c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[4])));
    c.emitPath('create', c.resolvePath(c.args[3], c.args[2]));
  },
  // The link target text is not accessed by symlink(2); only the new name is created.
  symlink: (c) => c.emitPath('create', c.resolvePath(c.args[1])),
  symlinkat: (c) => c.emitPath('create', c.resolvePath(c.args[2], c.args[1])),
  truncate: (c) => c.emitPath('write', c.resolvePath(c.args[0])),
  ftruncate: (c) => {
    const e = c.fdEntry(c.args[0]);
    if (!e?.charDevice) c.emitPath('write', c.fdPath(c.args[0]));
  },

  chmod: (c) => chmod(c, c.resolvePath(c.args[0]), c.args[1]),
  fchmod: (c) => chmod(c, c.fdPath(c.args[0]), c.args[1]),
  fchmodat: (c) => chmod(c, c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[3])), c.args[2]),
  fchmodat2: (c) => chmod(c, c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[3])), c.args[2]),
  chown: (c) => chown(c, c.resolvePath(c.args[0])),
  lchown: (c) => chown(c, c.resolvePath(c.args[0])),
  fchown: (c) => chown(c, c.fdPath(c.args[0])),
  fchownat: (c) => chown(c, c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[4]))),
  utime: (c) => c.emitPath('metadata', c.resolvePath(c.args[0])),
  utimes: (c) => c.emitPath('metadata', c.resolvePath(c.args[0])),
  futimesat: (c) => c.emitPath('metadata', c.resolvePath(c.args[1], c.args[0])),
  // utimensat(fd, NULL, …) changes the fd's own file.
  utimensat: (c) => c.emitPath('metadata', c.resolvePath(c.args[1], c.args[0], true)),

  setxattr: (c) => c.emitPath('metadata', c.resolvePath(c.args[0])),
  lsetxattr: (c) => c.emitPath('metadata', c.resolvePath(c.args[0])),
  fsetxattr: (c) => c.emitPath('metadata', c.fdPath(c.args[0])),
  removexattr: (c) => c.emitPath('metadata', c.resolvePath(c.args[0])),
  lremovexattr: (c) => c.emitPath('metadata', c.resolvePath(c.args[0])),
  fremovexattr: (c) => c.emitPath('metadata', c.fdPath(c.args[0])),
  setxattrat: (c) => c.emitPath('metadata', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[2]))),
  removexattrat: (c) => c.emitPath('metadata', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[2]))),
  getxattr: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  lgetxattr: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  fgetxattr: (c) => c.emitPath('read', c.fdPath(c.args[0])),
  listxattr: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  llistxattr: (c) => c.emitPath('read', c.resolvePath(c.args[0])),
  flistxattr: (c) => c.emitPath('read', c.fdPath(c.args[0])),
  getxattrat: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[2]))),
  listxattrat: (c) => c.emitPath('read', c.resolvePath(c.args[1], c.args[0], atEmpty(c.args[2]))),

  chdir: (c) => {
    const path = c.resolvePath(c.args[0]);
    c.emitPath('read', path);
    setCwd(c, path, true);
  },
  fchdir: (c) => {
    const fd = c.args[0];
    const path = c.fdPath(fd);
    c.emitPath('read', path);
    setCwd(c, path, fd?.t !== 'fd' && c.fdEntry(fd)?.named === true);
  },
  getcwd: (c) => {
    // getcwd's buffer holds the cwd relative to the process root: authoritative, learn it.
    const cwd = strValue(c.args[0]);
    if (cwd !== undefined && cwd.startsWith('/') && returnedOk(c.sc.ret)) {
      c.proc.fs.cwd = underRoot(c.proc.fs.root, joinPath('/', cwd));
      c.proc.fs.cwdNamed = false;
    }
  },
  chroot: (c) => {
    const path = c.resolvePath(c.args[0]);
    c.emit(
      path !== undefined
        ? { kind: 'mount', op: 'chroot', target: path, propagatesToHost: false }
        : { kind: 'mount', op: 'chroot', propagatesToHost: false },
    );
    if (path !== undefined && returnedOk(c.sc.ret)) c.proc.fs.root = path;
  },

  // fd-table bookkeeping.
  close: (c) => {
    const fd = c.fdNumber(c.args[0]);
    // close releases the fd even when it reports EINTR; only EBADF means there was none.
    if (fd !== undefined) c.proc.files.close(fd);
  },
  close_range: (c) => {
    const first = intValue(c.args[0]);
    if (first === undefined) return;
    const lastArg = c.args[1];
    const last =
      lastArg?.t === 'int' && lastArg.value >= 0 && lastArg.value < 0xffffffff ? lastArg.value : Infinity;
    if (hasFlag(c.args[2], 'CLOSE_RANGE_UNSHARE')) c.proc.files = c.proc.files.copy();
    c.proc.files.closeRange(first, last, hasFlag(c.args[2], 'CLOSE_RANGE_CLOEXEC'));
  },
  dup: (c) => dupTo(c, c.returnedFd(), false),
  dup2: (c) => dupTo(c, c.returnedFd(), false),
  dup3: (c) => dupTo(c, c.returnedFd(), hasFlag(c.args[2], 'O_CLOEXEC')),
  fcntl: (c) => {
    const cmd = c.args[1];
    if (hasFlag(cmd, 'F_DUPFD')) dupTo(c, c.returnedFd(), false);
    else if (hasFlag(cmd, 'F_DUPFD_CLOEXEC')) dupTo(c, c.returnedFd(), true);
    else if (hasFlag(cmd, 'F_SETFD')) {
      const fd = c.fdNumber(c.args[0]);
      const e = fd !== undefined ? c.proc.files.get(fd) : undefined;
      if (e) e.cloexec = hasFlag(c.args[2], 'FD_CLOEXEC') || ((intBits(c.args[2]) ?? 0) & 1) === 1;
    }
  },
};

/** dup family: the returned fd names the same file as the first argument. */
function dupTo(c: HandlerContext, to: number | undefined, cloexec: boolean): void {
  if (to === undefined) return;
  const from = c.fdEntry(c.args[0]);
  c.proc.files.dup(from, to, cloexec);
}

/**
 * execve/execveat. The kernel also maps the ELF interpreter (ld.so) or runs the `#!` interpreter;
 * neither appears in the trace, and hush does not read the target's files here, so they come from
 * the caller (probed on the target) through `interpretersOf`.
 */
function exec(c: HandlerContext, path: string | undefined): void {
  c.emitPath('exec', path);
  if (path !== undefined) for (const interp of c.interpretersOf(path)) c.emitPath('exec', interp);
  // A successful execve unshares the fd table and drops close-on-exec fds.
  if (c.sc.ret.value === 0 && c.sc.ret.errno === undefined) c.proc.files = c.proc.files.afterExec();
}
