/** Builders for resolver tests: small hand-made profiles and targets (pure-logic tests only). */
import type { HostFacts } from '../profile/hostFacts';
import { PROFILE_SCHEMA, type Profile } from '../profile/schema';
import type { Action, PathAccessKind } from '../summary/actions';
import type { Decision, Plan, Rejection } from './plan';

let line = 0;
export function ev(syscall: string, pid = 100): Action['ev'] {
  line += 1;
  return { pid, line, syscall };
}

const OPEN_FOR: Record<PathAccessKind, string> = {
  read: 'openat',
  write: 'openat',
  create: 'openat',
  exec: 'execve',
  remove: 'unlinkat',
  metadata: 'fchmodat',
};

export const act = {
  path: (access: PathAccessKind, path: string, syscall = OPEN_FOR[access]): Action => ({
    kind: 'path',
    access,
    path,
    ev: ev(syscall),
  }),
  socket: (family: string, type = 'SOCK_STREAM', protocol = '0'): Action => ({
    kind: 'socket',
    family,
    type,
    protocol,
    ev: ev('socket'),
  }),
  net: (
    op: 'bind' | 'connect' | 'accept' | 'listen' | 'send',
    family: string,
    address?: string,
    port?: number,
    type?: string,
  ): Action => ({
    kind: 'net',
    op,
    family,
    ...(address !== undefined ? { address } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(type ? { type } : {}),
    ev: ev(op),
  }),
  simple: (
    kind: 'mmapWX' | 'setClock' | 'wakeAlarm' | 'kernelLog' | 'setHostname' | 'ptrace',
    syscall: string = kind,
  ): Action => ({ kind, ev: ev(syscall) }) as Action,
  realtime: (): Action => ({ kind: 'realtime', policy: 'SCHED_FIFO', ev: ev('sched_setscheduler') }),
  namespace: (
    ns: 'net' | 'user' | 'mnt' | 'time',
    via: 'unshare' | 'clone' | 'setns' = 'unshare',
  ): Action => ({
    kind: 'namespace',
    ns,
    via,
    ev: ev(via),
  }),
  setuidBits: (path: string): Action => ({ kind: 'setuidBits', path, ev: ev('fchmodat') }),
  ipc: (): Action => ({ kind: 'ipc', mechanism: 'sysv-shm', ev: ev('shmget') }),
  mknod: (path: string, nodeType: 'fifo' | 'char' | 'block'): Action => ({
    kind: 'mknod',
    path,
    nodeType,
    ev: ev('mknodat'),
  }),
  mount: (propagatesToHost: boolean): Action => ({
    kind: 'mount',
    op: 'mount',
    propagatesToHost,
    ev: ev('mount'),
  }),
  kernelModule: (): Action => ({ kind: 'kernelModule', op: 'load', ev: ev('finit_module') }),
  keyring: (): Action => ({ kind: 'keyring', op: 'KEYCTL_JOIN_SESSION_KEYRING', ev: ev('keyctl') }),
  chown: (path: string): Action => ({ kind: 'chown', path, ev: ev('fchownat') }),
  setCredentials: (call: string): Action => ({ kind: 'setCredentials', call, ev: ev(call) }),
  personality: (): Action => ({ kind: 'personality', persona: 'PER_LINUX32', ev: ev('personality') }),
};

/** What any dynamically linked program does: exec itself, map libc, read a config. */
export const BASE_SYSCALLS: Record<string, number> = {
  execve: 1,
  brk: 3,
  mmap: 8,
  mprotect: 3,
  openat: 4,
  read: 4,
  write: 2,
  close: 4,
  newfstatat: 3,
  exit_group: 1,
  arch_prctl: 1,
  set_tid_address: 1,
  rt_sigaction: 2,
  pread64: 2,
  munmap: 1,
  getrandom: 1,
};

export function baseActions(): Action[] {
  return [
    act.path('exec', '/usr/bin/app'),
    act.path('read', '/etc/ld.so.cache'),
    act.path('exec', '/usr/lib/x86_64-linux-gnu/libc.so.6', 'mmap'),
    act.path('read', '/etc/app.conf'),
  ];
}

export function profileOf(
  actions: Action[],
  syscalls: Record<string, number> = {},
  failed: Record<string, number> = {},
): Profile {
  return {
    schema: PROFILE_SCHEMA,
    actions: [...baseActions(), ...actions].map((action, seq) => ({ seq, count: 1, action })),
    syscalls: { ...BASE_SYSCALLS, ...syscalls },
    failedSyscalls: failed,
    runs: [{ source: 'test', lines: 100, syscalls: 50, unparsable: 0, pids: 1 }],
  };
}

/** A Debian 13 target: systemd 257 with BPF framework, cgroup v2, kernel 6.12, a plain root unit. */
export function facts257(extra: Partial<HostFacts> = {}): HostFacts {
  return {
    systemdVersion: 257,
    kernelRelease: '6.12.48+deb13-amd64',
    arch: 'x86_64',
    cgroupVersion: 2,
    bpfFramework: true,
    systemInstance: true,
    unit: { name: 'app.service', properties: {}, dropIns: [] },
    binaries: [
      {
        path: '/usr/bin/app',
        mode: 0o100755,
        fileCapabilities: '',
        interpreter: '/lib64/ld-linux-x86-64.so.2',
      },
      { path: '/lib64/ld-linux-x86-64.so.2', interpreter: '' },
    ],
    ...extra,
  };
}

/** Debian 12: systemd 252 built without BPF framework. */
export function facts252(extra: Partial<HostFacts> = {}): HostFacts {
  return facts257({ systemdVersion: 252, kernelRelease: '6.1.0-41-amd64', bpfFramework: false, ...extra });
}

export function withUnit(props: Record<string, string>, base: HostFacts = facts257()): HostFacts {
  return { ...base, unit: { name: 'app.service', properties: props, dropIns: [] } };
}

export function chosen(plan: Plan, option: string): string | undefined {
  const ds = plan.chosen.filter((d: Decision) => d.option === option);
  if (ds.length === 0) return undefined;
  return ds.map((d) => (typeof d.value === 'string' ? d.value : d.value.join(' '))).join(' | ');
}

export function decision(plan: Plan, option: string): Decision | undefined {
  return plan.chosen.find((d) => d.option === option);
}

export function rejected(plan: Plan, option: string, value?: string): Rejection | undefined {
  return plan.rejected.find((r) => r.option === option && (value === undefined || r.value === value));
}
