/**
 * The capability model behind CapabilityBoundingSet=: every Linux capability (0–40), each with the
 * observed actions that show the service needs it. A capability nothing needs is removed
 * (`CapabilityBoundingSet=~CAP_…`; a deny list, because drop-in deny lists AND with the unit's own
 * bounding set, so the unit's floor is kept automatically).
 *
 * Rules worth stating (they are the model's assumptions, not systemd's):
 * - A non-root service has no effective capabilities unless AmbientCapabilities= grants them or it
 *   executes a setuid/file-capability binary; the bounding set then only limits what those execs can
 *   gain. So for a non-root unit whose executed binaries are all proven plain, every capability except
 *   the ambient ones is dropped.
 * - DAC_OVERRIDE / DAC_READ_SEARCH / FOWNER (root only): root is the owner of the system trees
 *   (/usr, /etc, /lib…, /boot, /root, /run/systemd, and the API filesystems), so touching files there
 *   needs no override. A root service that reads (DAC_READ_SEARCH), writes (DAC_OVERRIDE) or changes
 *   metadata (FOWNER) anywhere else — /var/lib/<daemon>, /home, /srv, a shared /tmp — may be touching
 *   files another user owns, and file ownership is not in the trace, so the capability is kept.
 *   A non-root unit with `!` commands (root, sandboxed) is a root service here: a trace does not say
 *   which process touched a path as which user, so every process's accesses count.
 *   Conservative mode keeps FOWNER for any metadata change at all.
 * - NET_BIND_SERVICE: a bind to a port below 1024 (ip_unprivileged_port_start's default).
 * - SETUID / SETGID: the setuid/setgid/setgroups family (even to the same id: cheaper than proving it).
 * - Capabilities the kernel grants silently without (BLOCK_SUSPEND's EPOLLWAKEUP is ignored) or that no
 *   kernel path checks any more (NET_BROADCAST) are dropped unless a specific access shows them.
 */
import type { Action } from '../summary/actions';
import type { ElementDecl, Effect, TargetView } from './model';
import { WRITE_ACCESSES } from './model';
import { isSensitiveRoot, isUnder } from './paths';
import { ALL_CAPABILITIES, type Capability } from './capabilityNames';

export { ALL_CAPABILITIES, type Capability };

/** Trees root owns on a Debian system: DAC checks there pass as owner. */
const ROOT_OWNED_TREES = [
  '/usr',
  '/lib',
  '/lib64',
  '/bin',
  '/sbin',
  '/boot',
  '/etc',
  '/root',
  '/run/systemd',
];
const API_TREES = ['/proc', '/sys', '/dev'];

/** /tmp and /var/tmp count as the service's own when they are private to it. */
function privateTmp(t: TargetView): boolean {
  const v = t.effective('PrivateTmp');
  return v !== undefined && v !== 'no' && v !== 'false';
}

/** Whether a root service touching `path` may be touching a file owned by someone else. */
export function mayBeForeignOwned(path: string, t: TargetView): boolean {
  if (isSensitiveRoot(path)) return false; // the directories themselves are root's
  if ([...ROOT_OWNED_TREES, ...API_TREES].some((b) => isUnder(path, b))) return false;
  if (privateTmp(t) && (isUnder(path, '/tmp') || isUnder(path, '/var/tmp'))) return false;
  return true;
}

/** Some process of the unit runs as root within the sandbox (the unit's User=, or `!` commands). */
const ROOT_ONLY = (t: TargetView): boolean => t.runsAsRoot || t.rootCommands.length > 0;

function family(a: Action): string | undefined {
  return a.kind === 'socket' || a.kind === 'net' ? a.family : undefined;
}

/** Per capability: what keeps it. `root` effects only count when the process runs as root. */
const NEEDS: Record<Capability, (t: TargetView) => Effect[]> = {
  CAP_CHOWN: () => [
    { kind: 'denyAction', action: 'chown' },
    { kind: 'denySyscalls', names: ['@chown'] },
  ],
  CAP_DAC_OVERRIDE: (t) =>
    ROOT_ONLY(t)
      ? [{ kind: 'pathAccess', accesses: WRITE_ACCESSES, paths: { test: mayBeForeignOwned } }]
      : [],
  CAP_DAC_READ_SEARCH: (t) =>
    ROOT_ONLY(t)
      ? [
          { kind: 'pathAccess', accesses: ['read', 'exec'], paths: { test: mayBeForeignOwned } },
          { kind: 'denySyscalls', names: ['name_to_handle_at', 'open_by_handle_at'] },
        ]
      : [],
  CAP_FOWNER: (t) =>
    ROOT_ONLY(t)
      ? [
          { kind: 'pathAccess', accesses: ['metadata'], paths: { test: mayBeForeignOwned } },
          { kind: 'pathAccess', accesses: ['metadata'], paths: { under: ['/'] }, modes: ['conservative'] },
        ]
      : [],
  CAP_FSETID: () => [
    { kind: 'denyAction', action: 'setuidBits' },
    { kind: 'denyAction', action: 'chown' },
  ],
  CAP_KILL: () => [{ kind: 'denyAction', action: 'killOther' }],
  CAP_SETGID: () => [
    {
      kind: 'denyAction',
      action: 'setCredentials',
      where: (a) => a.kind === 'setCredentials' && /gid|groups/.test(a.call),
    },
    { kind: 'denySyscalls', names: ['setgid', 'setregid', 'setresgid', 'setgroups', 'setfsgid'] },
  ],
  CAP_SETUID: () => [
    {
      kind: 'denyAction',
      action: 'setCredentials',
      where: (a) => a.kind === 'setCredentials' && /uid/.test(a.call),
    },
    { kind: 'denySyscalls', names: ['setuid', 'setreuid', 'setresuid', 'setfsuid'] },
  ],
  CAP_SETPCAP: () => [
    { kind: 'denySyscalls', names: ['capset'] },
    // Daemons that drop privileges often also trim their bounding set (prctl(PR_CAPBSET_DROP)) or
    // set securebits, which need SETPCAP and are invisible in prctl's name alone. Both go through
    // prctl: a service that changes credentials but never calls prctl did neither.
    {
      kind: 'denyAction',
      action: 'setCredentials',
      modes: ['conservative'],
      where: (_a, t) => t.syscalls.has('prctl') || t.failedSyscalls.has('prctl'),
    },
  ],
  CAP_LINUX_IMMUTABLE: () => [
    // FS_IOC_SETFLAGS hides inside ioctl: conservative mode keeps the capability whenever ioctl is used
    // together with a write-kind access.
    {
      kind: 'custom',
      describe: 'ioctl with file writes (chattr-like)',
      modes: ['conservative'],
      check: (t) => {
        if (!t.syscalls.has('ioctl')) return undefined;
        const w = t.paths.find((p) => p.access === 'metadata');
        return w
          ? { action: w.action, why: 'ioctl is used and file metadata is changed (FS_IOC_SETFLAGS?)' }
          : undefined;
      },
    },
  ],
  CAP_NET_BIND_SERVICE: () => [
    {
      kind: 'denyAction',
      action: 'net',
      where: (a) =>
        a.kind === 'net' &&
        a.op === 'bind' &&
        (a.family === 'AF_INET' || a.family === 'AF_INET6') &&
        a.port !== undefined &&
        a.port > 0 &&
        a.port < 1024,
    },
  ],
  CAP_NET_BROADCAST: () => [],
  CAP_NET_ADMIN: () => [
    {
      // Netlink configuration (routes, addresses, firewall) and /proc/sys/net writes. NETLINK_ROUTE
      // reads (getaddrinfo's AI_ADDRCONFIG) cannot be told from writes by the socket alone: kept.
      kind: 'denyAction',
      action: 'socket',
      where: (a) =>
        a.kind === 'socket' &&
        a.family === 'AF_NETLINK' &&
        !['NETLINK_KOBJECT_UEVENT', 'NETLINK_AUDIT', 'NETLINK_SOCK_DIAG', 'NETLINK_INET_DIAG'].includes(
          a.protocol,
        ),
    },
    { kind: 'pathAccess', accesses: WRITE_ACCESSES, paths: { under: ['/proc/sys/net'] } },
  ],
  CAP_NET_RAW: () => [
    {
      kind: 'denyAction',
      action: 'socket',
      where: (a) =>
        a.kind === 'socket' &&
        (a.family === 'AF_PACKET' || (a.type.includes('SOCK_RAW') && a.family !== 'AF_NETLINK')),
    },
  ],
  CAP_IPC_LOCK: () => [
    { kind: 'denyAction', action: 'memlock' },
    { kind: 'denySyscalls', names: ['@memlock'] },
  ],
  CAP_IPC_OWNER: () => [
    { kind: 'denyAction', action: 'ipc', where: (a) => a.kind === 'ipc' && a.mechanism.startsWith('sysv') },
  ],
  CAP_SYS_MODULE: () => [
    { kind: 'denyAction', action: 'kernelModule' },
    { kind: 'denySyscalls', names: ['@module'] },
  ],
  CAP_SYS_RAWIO: () => [
    { kind: 'denySyscalls', names: ['@raw-io'] },
    {
      kind: 'pathAccess',
      accesses: ['read', 'write'],
      paths: { exact: ['/dev/mem', '/dev/kmem', '/dev/port'] },
    },
    // Raw block-device I/O (SG_IO, FIBMAP): any device node beyond the terminals and pseudo devices.
    { kind: 'pathAccess', accesses: ['read', 'write'], paths: { test: (p) => isRawDeviceCandidate(p) } },
  ],
  CAP_SYS_CHROOT: () => [
    { kind: 'denyAction', action: 'mount', where: (a) => a.kind === 'mount' && a.op === 'chroot' },
    { kind: 'denyAction', action: 'namespace', where: (a) => a.kind === 'namespace' && a.via === 'setns' },
    { kind: 'denySyscalls', names: ['chroot'] },
  ],
  CAP_SYS_PTRACE: () => [
    { kind: 'denyAction', action: 'ptrace' },
    {
      kind: 'denySyscalls',
      names: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd'],
    },
    { kind: 'pathAccess', accesses: ['write', 'exec'], paths: { test: isOtherProcessProc } },
    {
      kind: 'pathAccess',
      accesses: ['read'],
      paths: { test: (p, t) => isOtherProcessProc(p, t) && !(procUnhidden(t) && isPtraceFreeProcRead(p)) },
    },
  ],
  CAP_SYS_PACCT: () => [{ kind: 'denySyscalls', names: ['acct'] }],
  CAP_SYS_ADMIN: () => [
    // chroot(2) checks CAP_SYS_CHROOT only (kernel fs/open.c): daemons that chroot their workers
    // (haproxy, postfix, unbound…) keep CAP_SYS_CHROOT, not CAP_SYS_ADMIN.
    { kind: 'denyAction', action: 'mount', where: (a) => a.kind === 'mount' && a.op !== 'chroot' },
    { kind: 'denyAction', action: 'namespace', where: (a) => a.kind === 'namespace' && a.ns !== 'user' },
    { kind: 'denyAction', action: 'setHostname' },
    { kind: 'denyAction', action: 'swap' },
    {
      kind: 'denyAction',
      action: 'keyring',
      where: (a) => a.kind === 'keyring' && /setperm|instantiate|chown/i.test(a.op),
    },
    {
      kind: 'denySyscalls',
      names: [
        // @mount without chroot (see above)
        'mount',
        'umount',
        'umount2',
        'pivot_root',
        'fsopen',
        'fsconfig',
        'fsmount',
        'fspick',
        'move_mount',
        'open_tree',
        'mount_setattr',
        '@swap',
        'quotactl',
        'quotactl_fd',
        'setns',
        'fanotify_init',
        'lookup_dcookie',
        'bpf',
        'perf_event_open',
        'sethostname',
        'setdomainname',
        'iopl',
        'ioperm',
      ],
    },
    {
      kind: 'pathAccess',
      accesses: WRITE_ACCESSES,
      paths: { under: ['/proc/sys', '/sys'], except: ['/proc/sys/net'] },
    },
  ],
  CAP_SYS_BOOT: () => [
    { kind: 'denyAction', action: 'reboot' },
    { kind: 'denySyscalls', names: ['@reboot'] },
  ],
  CAP_SYS_NICE: () => [
    { kind: 'denyAction', action: 'realtime' },
    {
      kind: 'denySyscalls',
      names: [
        'nice',
        'setpriority',
        'ioprio_set',
        'sched_setattr',
        'sched_setscheduler',
        'mbind',
        'migrate_pages',
        'move_pages',
        'set_mempolicy',
      ],
    },
  ],
  CAP_SYS_RESOURCE: () => [
    { kind: 'denySyscalls', names: ['setrlimit', 'prlimit64'] },
    {
      kind: 'pathAccess',
      accesses: WRITE_ACCESSES,
      paths: { under: ['/proc/sys/fs', '/proc/sys/kernel', '/proc/sys/vm'] },
    },
  ],
  CAP_SYS_TIME: () => [
    { kind: 'denyAction', action: 'setClock' },
    { kind: 'denySyscalls', names: ['@clock'] },
  ],
  CAP_SYS_TTY_CONFIG: () => [{ kind: 'denySyscalls', names: ['vhangup'] }],
  CAP_MKNOD: () => [
    {
      kind: 'denyAction',
      action: 'mknod',
      where: (a) => a.kind === 'mknod' && (a.nodeType === 'char' || a.nodeType === 'block'),
    },
  ],
  CAP_LEASE: () => [{ kind: 'denySyscalls', names: ['fcntl', 'fcntl64'], modes: ['conservative'] }],
  CAP_AUDIT_WRITE: () => [
    {
      kind: 'denyAction',
      action: 'socket',
      where: (a) => family(a) === 'AF_NETLINK' && a.kind === 'socket' && a.protocol === 'NETLINK_AUDIT',
    },
  ],
  CAP_AUDIT_CONTROL: () => [
    {
      kind: 'denyAction',
      action: 'socket',
      where: (a) => family(a) === 'AF_NETLINK' && a.kind === 'socket' && a.protocol === 'NETLINK_AUDIT',
    },
  ],
  CAP_AUDIT_READ: () => [
    {
      kind: 'denyAction',
      action: 'socket',
      where: (a) => family(a) === 'AF_NETLINK' && a.kind === 'socket' && a.protocol === 'NETLINK_AUDIT',
    },
  ],
  CAP_SETFCAP: () => [
    {
      kind: 'denySyscalls',
      names: ['setxattr', 'lsetxattr', 'fsetxattr', 'removexattr', 'lremovexattr', 'fremovexattr'],
    },
  ],
  CAP_MAC_OVERRIDE: () => [
    {
      kind: 'pathAccess',
      accesses: WRITE_ACCESSES,
      paths: { under: ['/sys/kernel/security'], test: isProcAttr },
    },
  ],
  CAP_MAC_ADMIN: () => [
    {
      kind: 'pathAccess',
      accesses: WRITE_ACCESSES,
      paths: { under: ['/sys/kernel/security'], test: isProcAttr },
    },
  ],
  CAP_SYSLOG: () => [
    { kind: 'denyAction', action: 'kernelLog' },
    { kind: 'denySyscalls', names: ['syslog'] },
    // kptr_restrict: /proc/kallsyms reads succeed without it but print zeros instead of addresses.
    {
      kind: 'pathAccess',
      accesses: ['read'],
      paths: { exact: ['/proc/kallsyms', '/proc/kmsg', '/dev/kmsg'] },
    },
  ],
  CAP_WAKE_ALARM: () => [{ kind: 'denyAction', action: 'wakeAlarm' }],
  CAP_BLOCK_SUSPEND: () => [
    {
      kind: 'pathAccess',
      accesses: WRITE_ACCESSES,
      paths: { exact: ['/sys/power/wake_lock', '/sys/power/wake_unlock'] },
    },
  ],
  CAP_PERFMON: () => [{ kind: 'denySyscalls', names: ['perf_event_open', 'bpf'] }],
  CAP_BPF: () => [{ kind: 'denySyscalls', names: ['bpf'] }],
  // No syscall of its own (capabilities(7)): it gates writing ns_last_pid, clone3's set_tid and
  // reading other processes' /proc/PID/map_files links; the ns_last_pid write is what a profile shows.
  CAP_CHECKPOINT_RESTORE: () => [
    { kind: 'pathAccess', accesses: WRITE_ACCESSES, paths: { exact: ['/proc/sys/kernel/ns_last_pid'] } },
  ],
};

/** `/proc/<pid>/…` of a process that is not one of the traced ones. */
export function isOtherProcessProc(path: string, t: TargetView): boolean {
  const m = /^\/proc\/(\d+)(?:\/|$)/.exec(path);
  return m !== null && !t.pids.has(Number(m[1]));
}

/**
 * Whether /proc shows every process to the service (ProtectProc= unset or `default`, from the plan or the
 * unit). With `invisible`, `noaccess` or `ptraceable` (hidepid), /proc/<pid> of a process the service may
 * not ptrace is hidden, so reading even its world-readable files needs CAP_SYS_PTRACE for root.
 * Assumption: the host's own /proc mount has no hidepid= either (not in the host facts; Debian and
 * systemd mount it without), since with ProtectProc=default the service sees the host's /proc.
 */
function procUnhidden(t: TargetView): boolean {
  const v = t.effective('ProtectProc');
  return v === undefined || v === '' || v === 'default';
}

/**
 * /proc/<pid> entries (and their task/<tid> twins) the kernel lets anyone read without a ptrace access
 * check: the directory itself and the 0444 files whose show functions never call ptrace_may_access()
 * (fs/proc/base.c: cmdline, comm, stat (which only blanks a few fields without it), statm, status,
 * cgroup). Reading them from another process needs no CAP_SYS_PTRACE: e.g. pg_ctlcluster reading the
 * postmaster's cmdline and cgroup to see whether its pid file is current. environ, maps, mem, fd/,
 * exe/cwd/root and the rest do check, and keep the capability.
 */
export function isPtraceFreeProcRead(path: string): boolean {
  return /^\/proc\/\d+(?:\/task\/\d+)?(?:\/(?:cmdline|comm|stat|statm|status|cgroup))?\/?$/.test(path);
}

function isProcAttr(path: string): boolean {
  return /^\/proc\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/attr(?:\/|$)/.test(path);
}

/** Device nodes that are not terminals or the pseudo devices every process may use. */
function isRawDeviceCandidate(path: string): boolean {
  if (!path.startsWith('/dev/')) return false;
  return /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|loop|dm-|md|sr|sg|nbd|mapper\/|disk\/|block\/)/.test(path);
}

/** Capabilities AmbientCapabilities= grants: never removed from the bounding set. */
function ambient(t: TargetView): Set<string> {
  const raw = t.unitProps.AmbientCapabilities ?? '';
  return new Set(
    raw
      .split(/\s+/)
      .filter(Boolean)
      .map((c) => c.toUpperCase()),
  );
}

/**
 * The capability elements for the resolver. Non-root units that never execute a privileged binary
 * need none of them (see the header); `privilegedExec` is that proof, computed by the option.
 */
export function capabilityElements(t: TargetView, privilegedExec: boolean): ElementDecl[] {
  const keep = ambient(t);
  return ALL_CAPABILITIES.map((cap) => {
    const effects: Effect[] = [];
    if (keep.has(cap)) {
      effects.push({
        kind: 'custom',
        describe: 'AmbientCapabilities',
        check: () => ({ why: `the unit grants ${cap} through AmbientCapabilities=` }),
      });
    }
    if (ROOT_ONLY(t) || privilegedExec) effects.push(...NEEDS[cap](t));
    return { item: cap, effects };
  });
}
