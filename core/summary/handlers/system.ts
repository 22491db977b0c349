/**
 * System-wide handlers: memory protections and locking, scheduling, clocks and alarms, kernel
 * modules and logs, hostname, IPC, keyrings, mounts, reboot/kexec, swap, personality.
 */
import { field, flagNames, hasFlag, symText } from '../argReaders';
import { formatArg } from '../evidence';
import type { HandlerContext, HandlerTable } from '../handler';

const REALTIME_POLICIES = new Set(['SCHED_FIFO', 'SCHED_RR', 'SCHED_DEADLINE']);
const ALARM_CLOCKS = new Set(['CLOCK_REALTIME_ALARM', 'CLOCK_BOOTTIME_ALARM']);

function realtime(c: HandlerContext, policy: string[]): void {
  for (const p of policy) if (REALTIME_POLICIES.has(p)) c.emit({ kind: 'realtime', policy: p });
}

function mmap(c: HandlerContext): void {
  // mmap(addr, length, prot, flags, fd, offset)
  const prot = flagNames(c.args[2]);
  const flags = flagNames(c.args[3]);
  if (flags.includes('MAP_HUGETLB')) c.emit({ kind: 'memlock', hugepages: true });
  if (flags.includes('MAP_LOCKED')) c.emit({ kind: 'memlock', hugepages: false });
  if (prot.includes('PROT_EXEC')) {
    // Mapping a file executable is executing it (shared libraries: ExecPaths/NoExecPaths).
    c.emitPath('exec', c.fdPath(c.args[4]));
    if (prot.includes('PROT_WRITE')) c.emit({ kind: 'mmapWX' });
  }
}

/**
 * MemoryDenyWriteExecute's filter refuses any mprotect/pkey_mprotect that adds PROT_EXEC, writable
 * or not (systemd seccomp_memory_deny_write_execute), so that alone needs the action.
 */
function mprotect(c: HandlerContext): void {
  if (hasFlag(c.args[2], 'PROT_EXEC')) c.emit({ kind: 'mmapWX' });
}

const shm = (c: HandlerContext): void => c.emit({ kind: 'ipc', mechanism: 'sysv-shm' });
const sem = (c: HandlerContext): void => c.emit({ kind: 'ipc', mechanism: 'sysv-sem' });
const msg = (c: HandlerContext): void => c.emit({ kind: 'ipc', mechanism: 'sysv-msg' });
const mq = (c: HandlerContext): void => c.emit({ kind: 'ipc', mechanism: 'posix-mq' });
/** ProtectClock filters the whole @clock group, so read-only adjtimex (modes=0) needs it too. */
const setClock = (c: HandlerContext): void => c.emit({ kind: 'setClock' });
const memlock = (c: HandlerContext): void => c.emit({ kind: 'memlock', hugepages: false });
const alarm = (c: HandlerContext): void => {
  const clock = symText(c.args[0]);
  if (clock !== undefined && ALARM_CLOCKS.has(clock)) c.emit({ kind: 'wakeAlarm' });
};

export const systemHandlers: HandlerTable = {
  mmap,
  mmap2: mmap,
  mprotect,
  pkey_mprotect: mprotect,
  mlock: memlock,
  mlock2: memlock,
  mlockall: memlock,
  memfd_create: (c) => {
    if (hasFlag(c.args[1], 'MFD_HUGETLB')) c.emit({ kind: 'memlock', hugepages: true });
  },

  sched_setscheduler: (c) => realtime(c, flagNames(c.args[1])),
  sched_setattr: (c) => realtime(c, flagNames(field(c.args[1], 'sched_policy'))),

  clock_settime: setClock,
  settimeofday: setClock,
  stime: setClock,
  adjtimex: setClock,
  clock_adjtime: setClock,
  timer_create: alarm,
  timerfd_create: alarm,

  personality: (c) => {
    // personality(0xffffffff) only queries; PER_LINUX is the default persona LockPersonality keeps.
    const a = c.args[0];
    if (!a) return;
    if (a.t === 'int' && (a.value === 0xffffffff || a.value === -1 || a.value === 0)) return;
    if (a.t === 'sym' && a.name === 'PER_LINUX') return;
    c.emit({ kind: 'personality', persona: formatArg(a) });
  },

  init_module: (c) => c.emit({ kind: 'kernelModule', op: 'load' }),
  finit_module: (c) => c.emit({ kind: 'kernelModule', op: 'load' }),
  delete_module: (c) => c.emit({ kind: 'kernelModule', op: 'unload' }),
  syslog: (c) => c.emit({ kind: 'kernelLog' }),
  sethostname: (c) => c.emit({ kind: 'setHostname' }),
  setdomainname: (c) => c.emit({ kind: 'setHostname' }),

  shmget: (c) => {
    shm(c);
    if (hasFlag(c.args[2], 'SHM_HUGETLB')) c.emit({ kind: 'memlock', hugepages: true });
  },
  shmat: (c) => {
    shm(c);
    if (hasFlag(c.args[2], 'SHM_EXEC')) c.emit({ kind: 'mmapWX' });
  },
  shmctl: (c) => {
    shm(c);
    if (hasFlag(c.args[1], 'SHM_LOCK')) c.emit({ kind: 'memlock', hugepages: false });
  },
  shmdt: shm,
  semget: sem,
  semop: sem,
  semtimedop: sem,
  semctl: sem,
  msgget: msg,
  msgsnd: msg,
  msgrcv: msg,
  msgctl: msg,
  mq_open: mq,
  mq_unlink: mq,
  mq_timedsend: mq,
  mq_timedreceive: mq,
  mq_notify: mq,
  mq_getsetattr: mq,

  keyctl: (c) => c.emit({ kind: 'keyring', op: symText(c.args[0]) ?? 'keyctl' }),
  add_key: (c) => c.emit({ kind: 'keyring', op: 'add_key' }),
  request_key: (c) => c.emit({ kind: 'keyring', op: 'request_key' }),

  mount: (c) => {
    // mount(source, target, fstype, flags, data); MS_SHARED makes later mounts propagate to the host.
    const target = c.resolvePath(c.args[1]);
    c.emit({
      kind: 'mount',
      op: 'mount',
      ...(target !== undefined ? { target } : {}),
      propagatesToHost: hasFlag(c.args[3], 'MS_SHARED'),
    });
  },
  umount: (c) => umount(c),
  umount2: (c) => umount(c),
  pivot_root: (c) => {
    const target = c.resolvePath(c.args[0]);
    c.emit({
      kind: 'mount',
      op: 'pivot_root',
      ...(target !== undefined ? { target } : {}),
      propagatesToHost: false,
    });
  },
  move_mount: (c) => {
    // move_mount(from_dfd, from_path, to_dfd, to_path, flags): attaches a (new) mount.
    const target = c.resolvePath(c.args[3], c.args[2], hasFlag(c.args[4], 'MOVE_MOUNT_T_EMPTY_PATH'));
    c.emit({
      kind: 'mount',
      op: 'mount',
      ...(target !== undefined ? { target } : {}),
      propagatesToHost: false,
    });
  },
  mount_setattr: (c) => {
    const target = c.resolvePath(c.args[1], c.args[0], hasFlag(c.args[2], 'AT_EMPTY_PATH'));
    const shared = hasFlag(field(c.args[3], 'propagation'), 'MS_SHARED');
    c.emit({
      kind: 'mount',
      op: 'mount',
      ...(target !== undefined ? { target } : {}),
      propagatesToHost: shared,
    });
  },

  reboot: (c) => c.emit({ kind: 'reboot', op: 'reboot' }),
  kexec_load: (c) => c.emit({ kind: 'reboot', op: 'kexec' }),
  kexec_file_load: (c) => c.emit({ kind: 'reboot', op: 'kexec' }),
  swapon: (c) => c.emit({ kind: 'swap' }),
  swapoff: (c) => c.emit({ kind: 'swap' }),
};

function umount(c: HandlerContext): void {
  const target = c.resolvePath(c.args[0]);
  c.emit({
    kind: 'mount',
    op: 'umount',
    ...(target !== undefined ? { target } : {}),
    propagatesToHost: false,
  });
}
