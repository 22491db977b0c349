/**
 * High-level actions a traced service performed: the vocabulary between the summary stage and the
 * resolver. Defined once as zod schemas (the profile file is a boundary) and the TS types are
 * inferred from them.
 *
 * Every action carries the first evidence that proves it: pid, line and syscall (and a short
 * excerpt), so each hardening decision can point at the exact strace line that blocked it.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/*
 * Strings a profile carries are checked as strictly as their meaning allows: a profile may come
 * from anywhere (`hush resolve` on a file someone sent), and several fields end up in a drop-in or
 * in front of an operator. Free text (evidence excerpts) is escaped where it is shown.
 */

/** A syscall name as strace prints it (`openat`, `_llseek`, `syscall_0x1b3`); `hush-override` marks user input. */
export const SyscallName = z.string().regex(/^[a-z0-9_][a-z0-9_-]{0,63}$/, 'not a syscall name');

/** A constant or flag word as strace prints it (`AF_INET6`, `SOCK_STREAM|SOCK_CLOEXEC`, `IPPROTO_TCP`, `0`). */
export const Token = z.string().regex(/^[A-Za-z0-9_|+:-]{1,128}$/, 'not a constant name');

/**
 * A path as the summary records it: the kernel's bytes, non-UTF-8 ones as U+DC80+byte
 * (core/strace/bytes.ts). No NUL: no path holds one.
 */
export const PathText = z
  .string()
  .max(8192)
  .refine((p) => !p.includes('\0'), 'contains a NUL byte');
const AbsolutePath = PathText.refine((p) => p.startsWith('/'), 'must be an absolute path');

export const Evidence = z.object({
  pid: z.number().int(),
  /** 1-based line in the strace log of the run that produced it. */
  line: z.number().int(),
  syscall: SyscallName,
  /** A short human-readable excerpt, e.g. `openat(AT_FDCWD, "/etc/x", O_RDWR) = 3`. */
  text: z.string().optional(),
  /** Which run of a merged profile this came from (index into Profile.runs). */
  run: z.number().int().optional(),
});
export type Evidence = z.infer<typeof Evidence>;

const base = { ev: Evidence };

const IP_FAMILIES: ReadonlySet<string> = new Set(['AF_INET', 'AF_INET6']);

/** Filesystem access kinds. `remove` and `metadata` (chmod/chown/utime/xattr) need a writable mount like `write`. */
export const PathAccessKind = z.enum(['read', 'write', 'create', 'exec', 'remove', 'metadata']);
export type PathAccessKind = z.infer<typeof PathAccessKind>;

export const NamespaceType = z.enum(['cgroup', 'ipc', 'net', 'mnt', 'pid', 'user', 'uts', 'time']);
export type NamespaceType = z.infer<typeof NamespaceType>;

export const NodeType = z.enum(['fifo', 'socket', 'regular', 'char', 'block']);
export type NodeType = z.infer<typeof NodeType>;

export const Action = z.discriminatedUnion('kind', [
  /** A path read/written/created/executed/removed/changed (absolute, normalised). */
  z.object({ kind: z.literal('path'), access: PathAccessKind, path: AbsolutePath, ...base }),
  /** socket()/socketpair(): family AF_INET…, type SOCK_STREAM…, protocol as printed (IPPROTO_TCP, 0…). */
  z.object({
    kind: z.literal('socket'),
    family: Token,
    type: Token,
    protocol: Token,
    ...base,
  }),
  /** bind/connect/accept/listen/sendto/sendmsg with an address (AF_INET/AF_INET6/AF_UNIX…). */
  z
    .object({
      kind: z.literal('net'),
      op: z.enum(['bind', 'connect', 'accept', 'listen', 'send']),
      family: Token,
      /** SOCK_STREAM / SOCK_DGRAM… when the socket's type is known from the fd table. */
      type: Token.optional(),
      /** IP address or unix socket path (abstract sockets start with `@`). */
      address: PathText.optional(),
      port: z.number().int().min(0).max(65535).optional(),
      ...base,
    })
    // An IP address can end up in IPAddressAllow=: it must be one.
    .refine((a) => a.address === undefined || !IP_FAMILIES.has(a.family) || isIP(a.address) !== 0, {
      message: 'address is not an IP address',
      path: ['address'],
    }),
  /** A memory mapping that is (or becomes) writable and executable. */
  z.object({ kind: z.literal('mmapWX'), ...base }),
  /** Realtime scheduling: SCHED_FIFO/SCHED_RR/SCHED_DEADLINE. */
  z.object({ kind: z.literal('realtime'), policy: Token, ...base }),
  /** Setting the system clock (clock_settime, settimeofday, adjtimex/clock_adjtime with modes). */
  z.object({ kind: z.literal('setClock'), ...base }),
  /** Arming a wake-up alarm (CLOCK_*_ALARM timers). */
  z.object({ kind: z.literal('wakeAlarm'), ...base }),
  /** Creating or joining a namespace (clone/clone3/unshare flags, setns). */
  z.object({
    kind: z.literal('namespace'),
    ns: NamespaceType,
    via: z.enum(['clone', 'unshare', 'setns']),
    ...base,
  }),
  /** init_module/finit_module/delete_module. */
  z.object({ kind: z.literal('kernelModule'), op: z.enum(['load', 'unload']), ...base }),
  /** syslog(2) reads or /dev/kmsg access. */
  z.object({ kind: z.literal('kernelLog'), ...base }),
  /** sethostname/setdomainname. */
  z.object({ kind: z.literal('setHostname'), ...base }),
  /** chmod/fchmod(at) setting S_ISUID/S_ISGID, or creating such a file. */
  z.object({ kind: z.literal('setuidBits'), path: PathText, ...base }),
  /** SysV IPC (shmget/semget/msgget…) or POSIX message queues (mq_open). */
  z.object({
    kind: z.literal('ipc'),
    mechanism: z.enum(['sysv-shm', 'sysv-sem', 'sysv-msg', 'posix-mq']),
    ...base,
  }),
  /** mknod(at) of a node; char/block devices need CAP_MKNOD and DevicePolicy. */
  z.object({
    kind: z.literal('mknod'),
    path: AbsolutePath,
    nodeType: NodeType,
    major: z.number().int().optional(),
    minor: z.number().int().optional(),
    ...base,
  }),
  /** mount/umount2/pivot_root/chroot; `propagatesToHost` for MS_SHARED mounts. */
  z.object({
    kind: z.literal('mount'),
    op: z.enum(['mount', 'umount', 'pivot_root', 'chroot']),
    target: PathText.optional(),
    propagatesToHost: z.boolean(),
    ...base,
  }),
  /** ptrace/process_vm_readv/process_vm_writev on another process. */
  z.object({ kind: z.literal('ptrace'), ...base }),
  /** personality() changing the execution domain (anything but PER_LINUX / query). */
  z.object({ kind: z.literal('personality'), persona: Token, ...base }),
  /** keyctl/add_key/request_key: use of the kernel keyring (KeyringMode). */
  z.object({ kind: z.literal('keyring'), op: Token, ...base }),
  /** chown family: changing file ownership. */
  z.object({ kind: z.literal('chown'), path: PathText.optional(), ...base }),
  /** reboot(2), kexec_load/kexec_file_load. */
  z.object({ kind: z.literal('reboot'), op: z.enum(['reboot', 'kexec']), ...base }),
  /** swapon/swapoff. */
  z.object({ kind: z.literal('swap'), ...base }),
  /** mlock/mlockall/MAP_LOCKED/SHM_LOCK, and MAP_HUGETLB/MFD_HUGETLB (CAP_IPC_LOCK). */
  z.object({ kind: z.literal('memlock'), hugepages: z.boolean(), ...base }),
  /** kill/tgkill to a process that is not the tracee's own tree (or pid <= 0). */
  z.object({ kind: z.literal('killOther'), target: z.number().int(), signal: Token, ...base }),
  /** setuid/setgid/setgroups family changing credentials (CAP_SETUID/CAP_SETGID). */
  z.object({ kind: z.literal('setCredentials'), call: SyscallName, ...base }),
]);
export type Action = z.infer<typeof Action>;
export type ActionKind = Action['kind'];
