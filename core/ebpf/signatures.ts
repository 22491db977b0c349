/**
 * What the in-kernel recorder decodes, per syscall: the argument kinds of every call the summary
 * has a handler for (core/summary HANDLED_SYSCALLS), in strace's argument order. From one table
 * come both the kernel's plan (`sigLines`: which arguments are path strings, fds, socket
 * addresses, and which are part of a call's identity for the in-kernel dedup) and the argument
 * trees events.ts builds from a record, so the two can never disagree.
 *
 * Not decoded (counted by number only), for the reason decision tracing leaves them out
 * (core/tracing UNTRACED): close and close_range (an fd table entry is never read for a decorated
 * fd), and every syscall without a handler.
 */
import { X86_64_SYSCALLS } from '../denials/syscallNumbers.generated';

/** How one argument is read and printed. */
export type ArgKind =
  | 'fd' // decorated fd
  | 'dirfd' // decorated fd or AT_FDCWD</cwd>
  | 'path' // a path string read at entry
  | 'cwdbuf' // getcwd's buffer, read at exit
  | 'int' // a value that is part of the call's identity
  | 'len' // a value that is not (lengths, offsets, addresses)
  | 'ptr' // a pointer to data no handler reads
  | 'argv' // execve's argument/environment arrays (never read)
  | 'open'
  | 'at'
  | 'amode'
  | 'family'
  | 'socktype'
  | 'proto'
  | 'clone'
  | 'prot'
  | 'mapflags'
  | 'rename'
  | 'clock'
  | 'mount'
  | 'mfd'
  | 'shmget'
  | 'shmat'
  | 'sched'
  | 'signal'
  | 'fcntl'
  | 'movemount'
  | 'sockaddr' // a socket address read at entry (with the next 'salen')
  | 'sockout' // accept's peer address, read at exit (with 'salenp')
  | 'salen'
  | 'salenp'
  | 'openhow'
  | 'cloneargs'
  | 'msghdr'
  | 'mmsghdr'
  | 'sockopt'
  | 'optval'
  | 'pair'
  | 'schedattr'
  | 'mountattr';

export interface Signature {
  args: readonly ArgKind[];
  /** The returned value is an fd to decorate. */
  retFd?: boolean;
  /** Every call is a record (process creation and exec: the summary follows the process tree). */
  noDedup?: boolean;
  /** accept: the returned socket is decorated but is not part of the identity. */
  retNotInKey?: boolean;
}

const S = (args: string, more: Omit<Signature, 'args'> = {}): Signature => ({
  args: args.split(' ').filter(Boolean) as ArgKind[],
  ...more,
});
const FD = { retFd: true };

/** Every decoded syscall. Names are x86_64's. */
export const SIGNATURES: Readonly<Record<string, Signature>> = {
  open: S('path open int', FD),
  openat: S('dirfd path open int', FD),
  creat: S('path int', FD),
  openat2: S('dirfd path openhow len', FD),
  open_by_handle_at: S('fd ptr open', FD),
  name_to_handle_at: S('dirfd path ptr ptr at'),
  stat: S('path ptr'),
  lstat: S('path ptr'),
  fstat: S('fd ptr'),
  newfstatat: S('dirfd path ptr at'),
  statx: S('dirfd path at int ptr'),
  statfs: S('path ptr'),
  fstatfs: S('fd ptr'),
  access: S('path amode'),
  faccessat: S('dirfd path amode'),
  faccessat2: S('dirfd path amode at'),
  readlink: S('path ptr len'),
  readlinkat: S('dirfd path ptr len'),
  getdents: S('fd ptr len'),
  getdents64: S('fd ptr len'),
  inotify_add_watch: S('fd path int'),
  execve: S('path argv argv', { noDedup: true }),
  execveat: S('dirfd path argv argv at', { noDedup: true }),
  mkdir: S('path int'),
  mkdirat: S('dirfd path int'),
  mknod: S('path int int'),
  mknodat: S('dirfd path int int'),
  unlink: S('path'),
  unlinkat: S('dirfd path at'),
  rmdir: S('path'),
  rename: S('path path'),
  renameat: S('dirfd path dirfd path'),
  renameat2: S('dirfd path dirfd path rename'),
  link: S('path path'),
  linkat: S('dirfd path dirfd path at'),
  symlink: S('ptr path'),
  symlinkat: S('ptr dirfd path'),
  truncate: S('path len'),
  ftruncate: S('fd len'),
  chmod: S('path int'),
  fchmod: S('fd int'),
  fchmodat: S('dirfd path int at'),
  fchmodat2: S('dirfd path int at'),
  chown: S('path int int'),
  lchown: S('path int int'),
  fchown: S('fd int int'),
  fchownat: S('dirfd path int int at'),
  utime: S('path ptr'),
  utimes: S('path ptr'),
  futimesat: S('dirfd path ptr'),
  utimensat: S('dirfd path ptr at'),
  setxattr: S('path ptr ptr len int'),
  lsetxattr: S('path ptr ptr len int'),
  fsetxattr: S('fd ptr ptr len int'),
  removexattr: S('path ptr'),
  lremovexattr: S('path ptr'),
  fremovexattr: S('fd ptr'),
  getxattr: S('path ptr ptr len'),
  lgetxattr: S('path ptr ptr len'),
  fgetxattr: S('fd ptr ptr len'),
  listxattr: S('path ptr len'),
  setxattrat: S('dirfd path at ptr ptr len'),
  removexattrat: S('dirfd path at ptr'),
  getxattrat: S('dirfd path at ptr ptr len'),
  listxattrat: S('dirfd path at ptr len'),
  llistxattr: S('path ptr len'),
  flistxattr: S('fd ptr len'),
  chdir: S('path'),
  fchdir: S('fd'),
  getcwd: S('cwdbuf len'),
  chroot: S('path'),
  dup: S('fd', FD),
  dup2: S('fd int', FD),
  dup3: S('fd int open', FD),
  fcntl: S('fd fcntl int', FD),

  socket: S('family socktype proto', FD),
  socketpair: S('family socktype proto pair'),
  bind: S('fd sockaddr salen'),
  connect: S('fd sockaddr salen'),
  accept: S('fd sockout salenp', { retFd: true, retNotInKey: true }),
  accept4: S('fd sockout salenp socktype', { retFd: true, retNotInKey: true }),
  listen: S('fd int'),
  sendto: S('fd ptr len int sockaddr salen'),
  sendmsg: S('fd msghdr int'),
  sendmmsg: S('fd mmsghdr len int'),
  setsockopt: S('fd sockopt sockopt optval len'),

  clone: S('clone len ptr ptr len', { noDedup: true }),
  clone3: S('cloneargs len', { noDedup: true }),
  fork: S('', { noDedup: true }),
  vfork: S('', { noDedup: true }),
  unshare: S('clone'),
  setns: S('fd clone'),
  kill: S('int signal'),
  tkill: S('int signal'),
  tgkill: S('int int signal'),
  rt_sigqueueinfo: S('int signal ptr'),
  rt_tgsigqueueinfo: S('int int signal ptr'),
  pidfd_open: S('int int', FD),
  pidfd_send_signal: S('fd signal ptr int'),
  setuid: S('int'),
  setgid: S('int'),
  setreuid: S('int int'),
  setregid: S('int int'),
  setresuid: S('int int int'),
  setresgid: S('int int int'),
  setfsuid: S('int'),
  setfsgid: S('int'),
  setgroups: S('int ptr'),
  ptrace: S('int int ptr ptr'),
  process_vm_readv: S('int ptr len ptr len int'),
  process_vm_writev: S('int ptr len ptr len int'),
  pidfd_getfd: S('fd int int', FD),

  mmap: S('len len prot mapflags fd len'),
  mprotect: S('len len prot'),
  pkey_mprotect: S('len len prot int'),
  mlock: S('len len'),
  mlock2: S('len len int'),
  mlockall: S('int'),
  memfd_create: S('ptr mfd'),
  sched_setscheduler: S('int sched ptr'),
  sched_setattr: S('int schedattr int'),
  clock_settime: S('clock ptr'),
  settimeofday: S('ptr ptr'),
  adjtimex: S('ptr'),
  clock_adjtime: S('clock ptr'),
  timer_create: S('clock ptr ptr'),
  timerfd_create: S('clock int'),
  personality: S('int'),
  init_module: S('ptr len ptr'),
  finit_module: S('fd ptr int'),
  delete_module: S('ptr int'),
  syslog: S('int ptr len'),
  sethostname: S('ptr len'),
  setdomainname: S('ptr len'),
  shmget: S('int len shmget'),
  shmat: S('int ptr shmat'),
  shmctl: S('int int ptr'),
  shmdt: S('ptr'),
  semget: S('int int int'),
  semop: S('int ptr len'),
  semtimedop: S('int ptr len ptr'),
  semctl: S('int int int'),
  msgget: S('int int'),
  msgsnd: S('int ptr len int'),
  msgrcv: S('int ptr len len int'),
  msgctl: S('int int ptr'),
  mq_open: S('ptr int int ptr'),
  mq_unlink: S('ptr'),
  mq_timedsend: S('int ptr len int ptr'),
  mq_timedreceive: S('int ptr len ptr ptr'),
  mq_notify: S('int ptr'),
  mq_getsetattr: S('int ptr ptr'),
  keyctl: S('int len len len len'),
  add_key: S('ptr ptr ptr len int'),
  request_key: S('ptr ptr ptr int'),
  mount: S('ptr path ptr mount ptr'),
  umount2: S('path int'),
  pivot_root: S('path path'),
  move_mount: S('dirfd path dirfd path movemount'),
  mount_setattr: S('dirfd path at mountattr len'),
  reboot: S('int int int ptr'),
  kexec_load: S('len len ptr int'),
  kexec_file_load: S('fd fd len ptr int'),
  swapon: S('path int'),
  swapoff: S('path'),
};

/**
 * Numbers after the generated table's end (Linux 6.5-6.17 on x86_64: 451-469). The *xattrat
 * numbers were checked on a 6.18 kernel (463 sets, 464 gets, 465 lists, 466 removes).
 */
const NEWER: readonly string[] = [
  'cachestat',
  'fchmodat2',
  'map_shadow_stack',
  'futex_wake',
  'futex_wait',
  'futex_requeue',
  'statmount',
  'listmount',
  'lsm_get_self_attr',
  'lsm_set_self_attr',
  'lsm_list_modules',
  'mseal',
  'setxattrat',
  'getxattrat',
  'listxattrat',
  'removexattrat',
  'open_tree_attr',
  'file_getattr',
  'file_setattr',
];
const NAMES: readonly string[] = [...X86_64_SYSCALLS, ...NEWER];
if (X86_64_SYSCALLS.length !== 451) throw new Error('the x86_64 table changed: update NEWER');

/** The name strace prints for a number (`syscall_0x1b3` for one without a name). */
export function syscallNameOf(nr: number): string {
  const n = NAMES[nr];
  return n ? n : `syscall_0x${nr.toString(16)}`;
}

/** Every x86_64 syscall name this side knows. */
export const ALL_SYSCALL_NAMES: readonly string[] = NAMES.filter((n) => n !== '');

/** x86_64 numbers by name. */
export const SYSCALL_NUMBERS: ReadonlyMap<string, number> = new Map(
  NAMES.map((n, i) => [n, i] as const).filter(([n]) => n !== ''),
);

// record.h: flags and special readers
const SIG_DECODE = 1;
const SIG_RET_FD = 2;
const SIG_NO_DEDUP = 4;
const SIG_SA_OUT = 16;
const SIG_STR0_OUT = 32;
const SIG_RET_NOT_IN_KEY = 64;
const SIG_NEED_SA = 128;
const SPECIAL: Partial<Record<ArgKind, number>> = {
  openhow: 1,
  cloneargs: 2,
  msghdr: 3,
  mmsghdr: 4,
  optval: 5,
  pair: 6,
  schedattr: 8,
  mountattr: 9,
  fcntl: 10,
};
const NONE = 0xff;
/** Argument kinds whose value is part of a call's identity (everything by value but lengths). */
const IN_KEY: ReadonlySet<ArgKind> = new Set<ArgKind>([
  'int',
  'open',
  'at',
  'amode',
  'family',
  'socktype',
  'proto',
  'clone',
  'prot',
  'mapflags',
  'rename',
  'clock',
  'mount',
  'mfd',
  'shmget',
  'shmat',
  'sched',
  'signal',
  'fcntl',
  'movemount',
  'sockopt',
]);

/** The kernel's plan: one line `nr flags special str0 str1 fd0 fd1 sa salen keymask` per syscall. */
export function sigLines(): string {
  const lines: string[] = [];
  for (const [name, sig] of Object.entries(SIGNATURES)) {
    const nr = SYSCALL_NUMBERS.get(name);
    if (nr === undefined) throw new Error(`no x86_64 number for ${name}`);
    const k = sig.args;
    const at = (pred: (a: ArgKind) => boolean): number[] => k.flatMap((a, i) => (pred(a) ? [i] : []));
    const strs = at((a) => a === 'path' || a === 'cwdbuf');
    const fds = at((a) => a === 'fd' || a === 'dirfd');
    if (strs.length > 2 || fds.length > 2) throw new Error(`${name}: more than two strings or fds`);
    const sa = at((a) => a === 'sockaddr' || a === 'sockout')[0] ?? NONE;
    const salen = at((a) => a === 'salen' || a === 'salenp')[0] ?? NONE;
    let flags = SIG_DECODE;
    if (sig.retFd) flags |= SIG_RET_FD;
    if (sig.noDedup) flags |= SIG_NO_DEDUP;
    if (sig.retNotInKey) flags |= SIG_RET_NOT_IN_KEY;
    if (k.includes('sockout')) flags |= SIG_SA_OUT;
    if (k[0] === 'cwdbuf') flags |= SIG_STR0_OUT;
    if (name === 'sendto') flags |= SIG_NEED_SA;
    const special = k.map((a) => SPECIAL[a]).find((x) => x !== undefined) ?? 0;
    let keymask = 0;
    k.forEach((a, i) => {
      if (IN_KEY.has(a)) keymask |= 1 << i;
    });
    lines.push(
      [
        nr,
        flags,
        special,
        strs[0] ?? NONE,
        strs[1] ?? NONE,
        fds[0] ?? NONE,
        fds[1] ?? NONE,
        sa,
        salen,
        keymask,
      ].join(' '),
    );
  }
  return lines.join('\n') + '\n';
}
