import type { Action } from '../summary/actions';
import { renderDropIn } from '../dropin';
import { resolve } from './index';
import { act, chosen, decision, facts252, facts257, profileOf, rejected, withUnit } from './testkit';
import type { HostFacts } from '../profile/hostFacts';
import type { Profile } from '../profile/schema';
import type { ResolveSettingsInput } from './settings';

function plan(
  actions: Action[] = [],
  opts: {
    facts?: HostFacts;
    settings?: ResolveSettingsInput;
    syscalls?: Record<string, number>;
    failed?: Record<string, number>;
  } = {},
) {
  return resolve(
    profileOf(actions, opts.syscalls ?? {}, opts.failed ?? {}),
    opts.facts ?? facts257(),
    opts.settings ?? {},
  );
}

/** Assert that `option`'s value `value` was rejected because of exactly `action` (its evidence). */
function expectBlockedBy(p: ReturnType<typeof plan>, option: string, value: string, action: Action): void {
  const r = rejected(p, option, value);
  expect(r).toBeDefined();
  expect(r!.blockedBy?.ev).toEqual(action.ev);
}

describe('the strictest plan for a quiet program', () => {
  const p = plan();
  it.each([
    ['NoNewPrivileges', 'yes'],
    ['PrivateTmp', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateDevices', 'yes'],
    ['DevicePolicy', 'closed'],
    ['PrivateMounts', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['ProtectKernelModules', 'yes'],
    ['ProtectKernelLogs', 'yes'],
    ['ProtectControlGroups', 'yes'],
    ['ProtectProc', 'invisible'],
    ['ProtectClock', 'yes'],
    ['ProtectHostname', 'yes'],
    ['PrivateIPC', 'yes'],
    ['KeyringMode', 'private'],
    ['UMask', '0077'],
    ['LockPersonality', 'yes'],
    ['RestrictRealtime', 'yes'],
    ['RestrictSUIDSGID', 'yes'],
    ['MemoryDenyWriteExecute', 'yes'],
    ['RestrictNamespaces', 'yes'],
    ['RestrictAddressFamilies', 'AF_UNIX'],
    ['IPAddressDeny', 'any'],
  ])('%s=%s', (option, value) => {
    expect(chosen(p, option)).toBe(value);
    expect(decision(p, option)!.reasons.length).toBeGreaterThan(0);
  });

  it('drops every capability of a root unit that only reads system files', () => {
    expect(chosen(p, 'CapabilityBoundingSet')).toMatch(/^~CAP_CHOWN /);
    expect(chosen(p, 'CapabilityBoundingSet')!.split(' ')).toHaveLength(41);
  });

  it('denies the privileged syscall groups with EPERM (conservative set)', () => {
    expect(chosen(p, 'SystemCallFilter')).toBe(
      '~@clock:EPERM @cpu-emulation:EPERM @debug:EPERM @module:EPERM @mount:EPERM @obsolete:EPERM @privileged:EPERM @raw-io:EPERM @reboot:EPERM @resources:EPERM @swap:EPERM',
    );
  });

  it('SocketBindDeny: conservative denies each unused family/protocol', () => {
    expect(chosen(p, 'SocketBindDeny')).toBe('ipv4:tcp ipv4:udp ipv6:tcp ipv6:udp');
  });

  it('leaves out what conservative mode does not emit, saying why', () => {
    expect(chosen(p, 'ProcSubset')).toBeUndefined();
    expect(rejected(p, 'ProcSubset')!.why).toMatch(/not in conservative mode/);
    expect(chosen(p, 'SystemCallArchitectures')).toBeUndefined();
    expect(chosen(p, 'PrivateNetwork')).toBeUndefined();
    expect(chosen(p, 'RemoveIPC')).toBeUndefined(); // root unit
  });
});

describe('ProtectSystem and ReadWritePaths', () => {
  it('a write to an existing file is whitelisted exactly', () => {
    const p = plan([act.path('write', '/var/lib/app/state.db')]);
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBe('-/var/lib/app/state.db');
  });

  it('creating a file whitelists its directory', () => {
    const p = plan([act.path('create', '/var/lib/app/new.tmp')]);
    expect(chosen(p, 'ReadWritePaths')).toBe('-/var/lib/app');
  });

  it('creating a file directly in /etc cannot be whitelisted: strict and full are rejected with the evidence', () => {
    const create = act.path('create', '/etc/app.lock');
    const p = plan([create]);
    expect(chosen(p, 'ProtectSystem')).toBe('yes');
    expectBlockedBy(p, 'ProtectSystem', 'strict', create);
    expectBlockedBy(p, 'ProtectSystem', 'full', create);
    expect(rejected(p, 'ProtectSystem', 'strict')!.why).toMatch(/sensitive/);
    expect(chosen(p, 'ReadWritePaths')).toBeUndefined();
  });

  it('a write to one file under /usr is whitelisted under strict', () => {
    const p = plan([act.path('write', '/usr/lib/app/cache')]);
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBe('-/usr/lib/app/cache');
  });

  it('creating a file directly in /usr/lib leaves ProtectSystem unset', () => {
    const c = act.path('create', '/usr/lib/app.lock');
    const p = plan([c]);
    expect(chosen(p, 'ProtectSystem')).toBeUndefined();
    expectBlockedBy(p, 'ProtectSystem', 'strict', c);
    expectBlockedBy(p, 'ProtectSystem', 'yes', c);
  });

  it('/tmp writes need no whitelist when PrivateTmp is chosen (interaction)', () => {
    const p = plan([act.path('create', '/tmp/x'), act.path('write', '/tmp/x')]);
    expect(chosen(p, 'PrivateTmp')).toBe('yes');
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBeUndefined();
  });

  it("the unit's StateDirectory= stays writable without a ReadWritePaths= entry", () => {
    const p = plan([act.path('create', '/var/lib/app/x')], { facts: withUnit({ StateDirectory: 'app' }) });
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBeUndefined();
  });

  it('many sibling paths are merged above the threshold, but never into /var/lib', () => {
    const writes = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => act.path('write', `/srv/app/data/${n}`));
    const p = plan([...writes, act.path('write', '/var/lib/one/x'), act.path('write', '/var/lib/two/y')], {
      settings: { mergePathsThreshold: 3 },
    });
    expect(chosen(p, 'ReadWritePaths')).toBe('-/srv/app/data -/var/lib/one/x -/var/lib/two/y');
    expect(decision(p, 'ReadWritePaths')!.reasons.join('\n')).toMatch(/merged into 3 entries/);
  });

  it('floor: a unit with ProtectSystem=strict keeps it even when the profile would need less', () => {
    const p = plan([act.path('create', '/etc/app.lock')], { facts: withUnit({ ProtectSystem: 'strict' }) });
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(decision(p, 'ProtectSystem')!.reasons.join(' ')).toMatch(/already sets/);
  });

  it('floor: a unit with ProtectSystem=full is not lowered to yes', () => {
    const p = plan([act.path('write', '/etc/app.conf')], { facts: withUnit({ ProtectSystem: 'full' }) });
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBe('-/etc/app.conf');
  });

  it('user override: extra writable paths become ReadWritePaths entries', () => {
    const p = plan([], { settings: { overrides: { writablePaths: ['/var/spool/app'] } } });
    expect(chosen(p, 'ReadWritePaths')).toBe('-/var/spool/app');
    expect(decision(p, 'ReadWritePaths')!.reasons[0]).toMatch(/user override/);
  });
});

describe('ProtectHome', () => {
  it('reading a file under /home allows read-only only', () => {
    const r = act.path('read', '/home/u/.apprc');
    const p = plan([r]);
    expect(chosen(p, 'ProtectHome')).toBe('read-only');
    expectBlockedBy(p, 'ProtectHome', 'yes', r);
    expectBlockedBy(p, 'ProtectHome', 'tmpfs', r);
  });

  it('listing /root itself allows tmpfs (an empty directory) but not yes', () => {
    const r = act.path('read', '/root', 'newfstatat');
    const p = plan([r]);
    expect(chosen(p, 'ProtectHome')).toBe('tmpfs');
    expectBlockedBy(p, 'ProtectHome', 'yes', r);
  });

  it('writing under /home leaves it unset', () => {
    expect(chosen(plan([act.path('write', '/home/u/log')]), 'ProtectHome')).toBeUndefined();
  });
});

describe('PrivateTmp (create before read)', () => {
  it('reading a file that existed before rejects it', () => {
    const r = act.path('read', '/tmp/shared.sock.lock');
    const p = plan([r]);
    expect(chosen(p, 'PrivateTmp')).toBeUndefined();
    expectBlockedBy(p, 'PrivateTmp', 'yes', r);
  });

  it('files created by the service, then read, are fine; so are nested dirs it created', () => {
    const p = plan([
      act.path('create', '/tmp/work', 'mkdirat'),
      act.path('create', '/tmp/work/f'),
      act.path('read', '/tmp/work/f'),
    ]);
    expect(chosen(p, 'PrivateTmp')).toBe('yes');
  });

  it('connecting to a unix socket in /tmp (X11, another service) rejects it', () => {
    const c = act.net('connect', 'AF_UNIX', '/tmp/.X11-unix/X0');
    expectBlockedBy(plan([c]), 'PrivateTmp', 'yes', c);
  });

  it('disconnected: aggressive mode on systemd 258+ only (257 transient units reject it)', () => {
    const at258 = plan([], { settings: { mode: 'aggressive' }, facts: facts257({ systemdVersion: 258 }) });
    expect(chosen(at258, 'PrivateTmp')).toBe('disconnected');
    const at257 = plan([], { settings: { mode: 'aggressive' } });
    expect(chosen(at257, 'PrivateTmp')).toBe('yes');
    expect(rejected(at257, 'PrivateTmp', 'disconnected')!.why).toMatch(/systemd ≥ 258/);
  });
});

describe('devices', () => {
  it('listing /dev rejects PrivateDevices (the private /dev lists differently)', () => {
    const ls = act.path('read', '/dev');
    const p = plan([ls]);
    expectBlockedBy(p, 'PrivateDevices', 'yes', ls);
    expect(chosen(p, 'DevicePolicy')).toBe('closed');
  });

  it('/dev/null and the pts devices keep PrivateDevices and need no DeviceAllow', () => {
    const p = plan([act.path('write', '/dev/null'), act.path('read', '/dev/pts/3')]);
    expect(chosen(p, 'PrivateDevices')).toBe('yes');
    expect(chosen(p, 'DeviceAllow')).toBeUndefined();
  });

  it('a real device rejects PrivateDevices and is listed in DeviceAllow with its access', () => {
    const open = act.path('read', '/dev/sda');
    const p = plan([open, act.path('write', '/dev/sda')]);
    expectBlockedBy(p, 'PrivateDevices', 'yes', open);
    expect(chosen(p, 'DevicePolicy')).toBe('closed');
    expect(chosen(p, 'DeviceAllow')).toBe('/dev/sda rw');
    // ProtectClock's implied device allow-list is satisfied by the DeviceAllow entry (interaction).
    expect(chosen(p, 'ProtectClock')).toBe('yes');
  });

  it('ProtectClock is rejected when the device allow-list cannot be emitted (DevicePolicy forbidden)', () => {
    const open = act.path('read', '/dev/ttyS0');
    const p = plan([open], { settings: { overrides: { forbid: ['DevicePolicy'] } } });
    expectBlockedBy(p, 'ProtectClock', 'yes', open);
    expect(chosen(p, 'DeviceAllow')).toBeUndefined();
  });

  it('stat of a device node is not a device access', () => {
    const p = plan([act.path('read', '/dev/sda', 'newfstatat')]);
    expect(chosen(p, 'DeviceAllow')).toBeUndefined();
  });

  it('creating device nodes rejects DevicePolicy and PrivateDevices; a fifo does not', () => {
    const dev = act.mknod('/tmp/null2', 'char');
    const p = plan([dev]);
    expect(chosen(p, 'DevicePolicy')).toBeUndefined();
    expectBlockedBy(p, 'DevicePolicy', 'closed', dev);
    expect(chosen(p, 'CapabilityBoundingSet')).not.toMatch(/CAP_MKNOD/);
    const fifo = plan([act.mknod('/run/app/fifo', 'fifo')]);
    expect(chosen(fifo, 'DevicePolicy')).toBe('closed');
    expect(chosen(fifo, 'CapabilityBoundingSet')).toMatch(/CAP_MKNOD/);
  });
});

describe('kernel surfaces', () => {
  it('reading /proc/kallsyms rejects ProtectKernelTunables and keeps CAP_SYSLOG', () => {
    const r = act.path('read', '/proc/kallsyms');
    const p = plan([r]);
    expectBlockedBy(p, 'ProtectKernelTunables', 'yes', r);
    expect(chosen(p, 'CapabilityBoundingSet')).not.toMatch(/CAP_SYSLOG/);
  });

  it('reading /proc/sys is fine, writing it is not', () => {
    expect(chosen(plan([act.path('read', '/proc/sys/net/core/somaxconn')]), 'ProtectKernelTunables')).toBe(
      'yes',
    );
    const w = act.path('write', '/proc/sys/vm/drop_caches');
    expectBlockedBy(plan([w]), 'ProtectKernelTunables', 'yes', w);
  });

  it('module loading rejects ProtectKernelModules', () => {
    const m = act.kernelModule();
    const p = plan([m], { syscalls: { finit_module: 1 } });
    expectBlockedBy(p, 'ProtectKernelModules', 'yes', m);
    expect(chosen(p, 'CapabilityBoundingSet')).not.toMatch(/CAP_SYS_MODULE/);
  });

  it('dmesg (syslog(2) or /dev/kmsg) rejects ProtectKernelLogs', () => {
    const k = act.simple('kernelLog', 'syslog');
    expectBlockedBy(plan([k]), 'ProtectKernelLogs', 'yes', k);
    const dev = act.path('read', '/dev/kmsg');
    expectBlockedBy(plan([dev]), 'ProtectKernelLogs', 'yes', dev);
  });

  it('cgroup writes reject ProtectControlGroups', () => {
    const w = act.path('write', '/sys/fs/cgroup/app/cgroup.procs');
    expectBlockedBy(plan([w]), 'ProtectControlGroups', 'yes', w);
  });

  it('setting the clock rejects ProtectClock and keeps CAP_SYS_TIME', () => {
    const c = act.simple('setClock', 'clock_settime');
    const p = plan([c], { syscalls: { clock_settime: 1 } });
    expectBlockedBy(p, 'ProtectClock', 'yes', c);
    expect(chosen(p, 'CapabilityBoundingSet')).not.toMatch(/CAP_SYS_TIME/);
    expect(chosen(p, 'SystemCallFilter')).not.toMatch(/@clock/);
  });
});

describe('/proc', () => {
  it("another process's /proc entry rejects ProtectProc; the service's own does not", () => {
    const other = act.path('read', '/proc/1/status');
    expectBlockedBy(plan([other]), 'ProtectProc', 'invisible', other);
    expect(
      chosen(
        plan([act.path('read', '/proc/self/status'), act.path('read', '/proc/100/stat')]),
        'ProtectProc',
      ),
    ).toBe('invisible');
  });

  it('ProcSubset=pid in standard mode, unless a non-pid entry is read', () => {
    expect(chosen(plan([], { settings: { mode: 'standard' } }), 'ProcSubset')).toBe('pid');
    const cpu = act.path('read', '/proc/cpuinfo');
    expectBlockedBy(plan([cpu], { settings: { mode: 'standard' } }), 'ProcSubset', 'pid', cpu);
  });

  // pg_ctlcluster (root) reads the postmaster's cmdline and cgroup to see whether its pid file is
  // current (postgresql@17-main on Debian 13); those files have no ptrace check in the kernel.
  it("reading another process's cmdline/stat/status/cgroup keeps no CAP_SYS_PTRACE while /proc is not hidepid", () => {
    const reads = ['/proc/411/cmdline', '/proc/411/cgroup', '/proc/411/stat', '/proc/411/task/412/status'];
    const p = plan(reads.map((r) => act.path('read', r)));
    expect(chosen(p, 'ProtectProc')).toBeUndefined();
    expect(chosen(p, 'CapabilityBoundingSet')!.split(' ')).toContain('CAP_SYS_PTRACE');
  });

  it('reading /proc/<pid>/environ or maps of another process, or writing its files, keeps CAP_SYS_PTRACE', () => {
    for (const a of [
      act.path('read', '/proc/411/environ'),
      act.path('read', '/proc/411/maps'),
      act.path('write', '/proc/411/oom_score_adj'),
    ]) {
      const p = plan([a]);
      expect(chosen(p, 'CapabilityBoundingSet')!.split(' ')).not.toContain('CAP_SYS_PTRACE');
      expectBlockedBy(p, 'CapabilityBoundingSet', 'CAP_SYS_PTRACE', a);
    }
  });

  it("under the unit's own ProtectProc=invisible (hidepid), even a cmdline read of another process keeps CAP_SYS_PTRACE", () => {
    const a = act.path('read', '/proc/411/cmdline');
    const p = plan([a], { facts: withUnit({ ProtectProc: 'invisible' }) });
    expect(chosen(p, 'CapabilityBoundingSet')!.split(' ')).not.toContain('CAP_SYS_PTRACE');
    expectBlockedBy(p, 'CapabilityBoundingSet', 'CAP_SYS_PTRACE', a);
  });

  it('kernel gate: ProtectProc needs 5.8', () => {
    const p = plan([], { facts: facts257({ kernelRelease: '5.4.0-150-generic' }) });
    expect(chosen(p, 'ProtectProc')).toBeUndefined();
    expect(rejected(p, 'ProtectProc')!.why).toMatch(/kernel ≥ 5\.8 \(target has 5\.4\)/);
  });
});

describe('SystemCallFilter=~@resources (scored by systemd-analyze security, so in the conservative set)', () => {
  it('a used call of the group (setpriority) keeps it out, with the reason', () => {
    const p = plan([], { syscalls: { setpriority: 2 } });
    expect(chosen(p, 'SystemCallFilter')).not.toMatch(/@resources/);
    expect(rejected(p, 'SystemCallFilter', '@resources')!.why).toMatch(/setpriority/);
  });

  it('prlimit64 (glibc getrlimit/setrlimit) is not in the group: the group is still denied', () => {
    expect(chosen(plan([], { syscalls: { prlimit64: 23 } }), 'SystemCallFilter')).toMatch(/@resources:EPERM/);
  });

  it('conservative mode also counts calls seen only failing', () => {
    const p = plan([], { failed: { sched_setaffinity: 1 } });
    expect(chosen(p, 'SystemCallFilter')).not.toMatch(/@resources/);
  });
});

describe('process-level options, each with the action that blocks it', () => {
  it.each<[string, string, () => Action]>([
    ['LockPersonality', 'yes', () => act.personality()],
    ['RestrictRealtime', 'yes', () => act.realtime()],
    ['RestrictSUIDSGID', 'yes', () => act.setuidBits('/usr/local/bin/tool')],
    ['MemoryDenyWriteExecute', 'yes', () => act.simple('mmapWX', 'mmap')],
    ['ProtectHostname', 'yes', () => act.simple('setHostname', 'sethostname')],
    ['PrivateIPC', 'yes', () => act.ipc()],
    ['KeyringMode', 'private', () => act.keyring()],
  ])('%s=%s is rejected by its action', (option, value, make) => {
    const a = make();
    const p = plan([a]);
    expectBlockedBy(p, option, value, a);
    expect(chosen(p, option)).not.toBe(value);
  });

  it('KeyringMode falls back to shared when the keyring is used', () => {
    expect(chosen(plan([act.keyring()]), 'KeyringMode')).toBe('shared');
  });

  it('RemoveIPC only for non-root units, rejected by SysV IPC', () => {
    const nonRoot = withUnit({ User: 'app' });
    expect(chosen(plan([], { facts: nonRoot }), 'RemoveIPC')).toBe('yes');
    const ipc = act.ipc();
    expectBlockedBy(plan([ipc], { facts: nonRoot }), 'RemoveIPC', 'yes', ipc);
  });
});

describe('UMask', () => {
  it('a filesystem socket for clients rejects 0077', () => {
    const b = act.net('bind', 'AF_UNIX', '/run/app/app.sock');
    expectBlockedBy(plan([b]), 'UMask', '0077', b);
  });

  it('conservative: any created file rejects it; standard: only files in shared places', () => {
    const c = act.path('create', '/var/lib/app/db');
    expectBlockedBy(plan([c]), 'UMask', '0077', c);
    expect(chosen(plan([c], { settings: { mode: 'standard' } }), 'UMask')).toBe('0077');
    const shared = act.path('create', '/run/app.pid');
    expectBlockedBy(plan([shared], { settings: { mode: 'standard' } }), 'UMask', '0077', shared);
  });

  it("keeps a unit's deliberate UMask", () => {
    const p = plan([], { facts: withUnit({ UMask: '0027' }) });
    expect(chosen(p, 'UMask')).toBeUndefined();
    expect(rejected(p, 'UMask')!.why).toMatch(/deliberately/);
  });
});

describe('RestrictNamespaces (per type)', () => {
  it('unsharing a net namespace denies every other type', () => {
    const ns = act.namespace('net');
    const p = plan([ns]);
    expect(chosen(p, 'RestrictNamespaces')).toBe('~cgroup ipc mnt pid user uts');
    expectBlockedBy(p, 'RestrictNamespaces', 'net', ns);
  });

  it('a user namespace also keeps... CAP_SYS_ADMIN is not needed for it', () => {
    const p = plan([act.namespace('user')]);
    expect(chosen(p, 'RestrictNamespaces')).toBe('~cgroup ipc net mnt pid uts');
    expect(chosen(p, 'CapabilityBoundingSet')).toMatch(/CAP_SYS_ADMIN/);
  });
});

describe('NoNewPrivileges', () => {
  it('executing a setuid binary rejects it', () => {
    const exec = act.path('exec', '/usr/bin/sudo');
    const facts = facts257();
    facts.binaries.push({ path: '/usr/bin/sudo', mode: 0o104755, fileCapabilities: '', interpreter: '' });
    const p = plan([exec], { facts });
    expectBlockedBy(p, 'NoNewPrivileges', 'yes', exec);
    expect(rejected(p, 'NoNewPrivileges')!.why).toMatch(/setuid/);
  });

  it('an executable whose mode is unknown cannot be proven safe', () => {
    const exec = act.path('exec', '/opt/x/bin/helper');
    expect(rejected(plan([exec]), 'NoNewPrivileges')!.why).toMatch(/unknown/);
  });

  it('file capabilities matter for a non-root unit only', () => {
    const exec = act.path('exec', '/usr/bin/ping');
    const facts = facts257();
    facts.binaries.push({
      path: '/usr/bin/ping',
      mode: 0o100755,
      fileCapabilities: 'cap_net_raw=ep',
      interpreter: '',
    });
    expect(chosen(plan([exec], { facts }), 'NoNewPrivileges')).toBe('yes');
    const nonRoot = { ...facts, unit: { name: 'app.service', properties: { User: 'app' }, dropIns: [] } };
    expect(rejected(plan([exec], { facts: nonRoot }), 'NoNewPrivileges')!.why).toMatch(/cap_net_raw/);
  });

  it('in a user manager, options that imply NoNewPrivileges are dropped when it cannot be set', () => {
    const exec = act.path('exec', '/opt/x/bin/helper');
    const p = plan([exec], { facts: facts257({ systemInstance: false }) });
    expect(chosen(p, 'RestrictRealtime')).toBeUndefined();
    expect(rejected(p, 'RestrictRealtime')!.why).toMatch(/implies NoNewPrivileges/);
    // Mount-namespace options are not available to a user manager at all.
    expect(rejected(p, 'ProtectSystem')!.why).toMatch(/mount namespace/);
  });
});

describe('network', () => {
  it('RestrictAddressFamilies lists the families used; aggressive drops the logging AF_UNIX', () => {
    const p = plan([act.socket('AF_INET'), act.socket('AF_NETLINK', 'SOCK_RAW', 'NETLINK_ROUTE')]);
    expect(chosen(p, 'RestrictAddressFamilies')).toBe('AF_INET AF_NETLINK AF_UNIX');
    // `none` is rejected by systemd 257's transient API: AF_UNIX alone is the portable strictest list.
    expect(chosen(plan([], { settings: { mode: 'aggressive' } }), 'RestrictAddressFamilies')).toBe('AF_UNIX');
  });

  it("floor: a family the unit's allow-list lacks is not re-allowed", () => {
    const p = plan([act.socket('AF_INET6')], {
      facts: withUnit({ RestrictAddressFamilies: 'AF_UNIX AF_INET' }),
    });
    expect(chosen(p, 'RestrictAddressFamilies')).toBe('AF_UNIX');
  });

  it('PrivateNetwork in aggressive mode only, and only without IP or netlink sockets', () => {
    expect(
      chosen(plan([act.socket('AF_UNIX')], { settings: { mode: 'aggressive' } }), 'PrivateNetwork'),
    ).toBe('yes');
    const s = act.socket('AF_INET6');
    expectBlockedBy(plan([s], { settings: { mode: 'aggressive' } }), 'PrivateNetwork', 'yes', s);
    expect(chosen(plan([], { settings: { mode: 'standard' } }), 'PrivateNetwork')).toBeUndefined();
  });

  it('binding port 80 keeps CAP_NET_BIND_SERVICE; 8080 does not', () => {
    const low = plan([act.socket('AF_INET'), act.net('bind', 'AF_INET', '0.0.0.0', 80, 'SOCK_STREAM')]);
    expect(chosen(low, 'CapabilityBoundingSet')).not.toMatch(/CAP_NET_BIND_SERVICE/);
    const high = plan([act.socket('AF_INET'), act.net('bind', 'AF_INET', '0.0.0.0', 8080, 'SOCK_STREAM')]);
    expect(chosen(high, 'CapabilityBoundingSet')).toMatch(/CAP_NET_BIND_SERVICE/);
  });

  it('SocketBindDeny=any with the ports seen (standard); conservative denies unused families', () => {
    const actions = [act.socket('AF_INET6'), act.net('bind', 'AF_INET6', '::', 8080, 'SOCK_STREAM')];
    const std = plan(actions, { settings: { mode: 'standard' } });
    expect(chosen(std, 'SocketBindDeny')).toBe('any');
    expect(chosen(std, 'SocketBindAllow')).toBe('ipv6:tcp:8080');
    expect(chosen(plan(actions), 'SocketBindDeny')).toBe('ipv4:tcp ipv4:udp ipv6:udp');
  });

  it('SocketBind* needs systemd 249 with the BPF framework (Debian 12 lacks it)', () => {
    const p = plan([], { facts: facts252() });
    expect(chosen(p, 'SocketBindDeny')).toBeUndefined();
    expect(rejected(p, 'SocketBindDeny')!.why).toMatch(/BPF_FRAMEWORK/);
  });

  it('IPAddressDeny: loopback-only traffic gets localhost, in every mode', () => {
    const actions = [act.socket('AF_INET', 'SOCK_DGRAM'), act.net('send', 'AF_INET', '127.0.0.1', 53)];
    for (const mode of ['conservative', 'standard'] as const) {
      const p = plan(actions, { settings: { mode } });
      expect(chosen(p, 'IPAddressDeny')).toBe('any');
      expect(chosen(p, 'IPAddressAllow')).toBe('localhost');
    }
    // a dual-stack daemon on 127.0.0.1 and ::1 with its clients (memcached, unbound…)
    const served = [
      act.net('bind', 'AF_INET', '127.0.0.1', 11211),
      act.net('bind', 'AF_INET6', '::1', 11211),
      act.net('accept', 'AF_INET6', '::1'),
    ];
    expect(chosen(plan(served), 'IPAddressAllow')).toBe('localhost');
    // a bind whose address the trace could not read proves nothing
    const unknown = act.net('bind', 'AF_INET6');
    expectBlockedBy(plan([unknown]), 'IPAddressDeny', 'any', unknown);
  });

  it('IPAddressDeny: remote peers are allowed by address in aggressive mode only; a wildcard bind blocks it', () => {
    const talk = [act.socket('AF_INET'), act.net('connect', 'AF_INET', '192.0.2.7', 443)];
    expect(chosen(plan(talk, { settings: { mode: 'aggressive' } }), 'IPAddressAllow')).toBe(
      'localhost 192.0.2.7',
    );
    const c = talk[1]!;
    expectBlockedBy(plan(talk, { settings: { mode: 'standard' } }), 'IPAddressDeny', 'any', c);
    const serve = act.net('bind', 'AF_INET', '0.0.0.0', 8080);
    expectBlockedBy(
      plan([act.socket('AF_INET'), serve], { settings: { mode: 'aggressive' } }),
      'IPAddressDeny',
      'any',
      serve,
    );
  });

  it('IPAddressDeny needs cgroup v2', () => {
    expect(rejected(plan([], { facts: facts257({ cgroupVersion: 1 }) }), 'IPAddressDeny')!.why).toMatch(
      /cgroup v2/,
    );
  });
});

describe('CapabilityBoundingSet (full model)', () => {
  it('setuid/setgid calls keep CAP_SETUID/CAP_SETGID', () => {
    const p = plan([act.setCredentials('setresuid'), act.setCredentials('setgroups')], {
      syscalls: { setresuid: 1, setgroups: 1, prctl: 1 },
    });
    const caps = chosen(p, 'CapabilityBoundingSet')!;
    expect(caps).not.toMatch(/CAP_SETUID/);
    expect(caps).not.toMatch(/CAP_SETGID/);
    // conservative: privilege droppers may trim their bounding set with prctl (PR_CAPBSET_DROP)
    expect(caps).not.toMatch(/CAP_SETPCAP/);
  });

  it('chown keeps CAP_CHOWN', () => {
    expect(
      chosen(plan([act.chown('/var/lib/app/x')], { syscalls: { fchownat: 1 } }), 'CapabilityBoundingSet'),
    ).not.toMatch(/CAP_CHOWN/);
  });

  it('root touching files outside the system trees keeps the DAC capabilities (ownership unknown)', () => {
    const caps = chosen(
      plan([act.path('read', '/var/lib/app/db'), act.path('write', '/srv/data/x')]),
      'CapabilityBoundingSet',
    )!;
    expect(caps).not.toMatch(/CAP_DAC_OVERRIDE/);
    expect(caps).not.toMatch(/CAP_DAC_READ_SEARCH/);
    expect(caps).toMatch(/CAP_FOWNER/);
  });

  it("a non-root unit's `!` commands run as root in the sandbox: their writes keep CAP_DAC_OVERRIDE", () => {
    // hush-testsvc-forking: `ExecStartPost=!mark-privileged /run/…/post-bang` writes into the
    // User='s RuntimeDirectory as root; without DAC_OVERRIDE every start failed (EACCES).
    const write = act.path('create', '/run/app/post-bang');
    const base = withUnit({ User: 'app' });
    const bang = {
      ...base,
      unit: {
        ...base.unit!,
        exec: [
          { directive: 'ExecStart', prefixes: '', command: '/usr/bin/app', argv: ['/usr/bin/app'] },
          {
            directive: 'ExecStartPost',
            prefixes: '!',
            command: '/usr/bin/mark /run/app/post-bang',
            argv: [],
          },
        ],
      },
    };
    const caps = chosen(plan([write], { facts: bang }), 'CapabilityBoundingSet')!;
    expect(caps).not.toMatch(/CAP_DAC_OVERRIDE/);
    expect(
      rejected(plan([write], { facts: bang }), 'CapabilityBoundingSet', 'CAP_DAC_OVERRIDE'),
    ).toBeDefined();
    expect(chosen(plan([write], { facts: base }), 'CapabilityBoundingSet')).toMatch(/CAP_DAC_OVERRIDE/);
  });

  it('a non-root unit whose binaries are plain needs no capability but its ambient ones', () => {
    const p = plan([act.net('bind', 'AF_INET', '0.0.0.0', 80)], {
      facts: withUnit({ User: 'www', AmbientCapabilities: 'cap_net_bind_service' }),
    });
    const caps = chosen(p, 'CapabilityBoundingSet')!.split(' ');
    expect(caps).toHaveLength(40);
    expect(caps).not.toContain('CAP_NET_BIND_SERVICE');
    expect(rejected(p, 'CapabilityBoundingSet', 'CAP_NET_BIND_SERVICE')!.why).toMatch(/AmbientCapabilities/);
  });
});

describe('SystemCallFilter', () => {
  it('a group with a used syscall is not denied, and the rejection names the call', () => {
    const m = act.mount(false);
    const p = plan([m], { syscalls: { mount: 1 } });
    expect(chosen(p, 'SystemCallFilter')).not.toMatch(/@mount/);
    expectBlockedBy(p, 'SystemCallFilter', '@mount', m);
  });

  it('conservative mode also keeps groups of calls that only failed (their errno must not change)', () => {
    const p = plan([], { failed: { swapon: 1 } });
    expect(chosen(p, 'SystemCallFilter')).not.toMatch(/@swap/);
    expect(
      chosen(plan([], { failed: { swapon: 1 }, settings: { mode: 'standard' } }), 'SystemCallFilter'),
    ).toMatch(/@swap/);
  });

  it('standard mode leaves out the high-breakage groups; aggressive adds an allow-list', () => {
    const std = chosen(plan([], { settings: { mode: 'standard' } }), 'SystemCallFilter')!;
    expect(std).toMatch(/@resources:EPERM/);
    expect(std).not.toMatch(/@timer|@signal|@sync|@io-event/);
    const agg = plan([], { settings: { mode: 'aggressive' }, syscalls: { arch_prctl: 1, kexec_load: 1 } });
    const allow = agg.chosen.filter((d) => d.option === 'SystemCallFilter')[0]!;
    expect(allow.value[0]).toBe('@system-service');
    expect(allow.value).toContain('kexec_load');
    expect(chosen(agg, 'SystemCallErrorNumber')).toBe('EPERM');
    // No per-entry errno after an allow-list (systemd 252 fails such a filter with EXIT_SECCOMP).
    const deny = agg.chosen.filter((d) => d.option === 'SystemCallFilter')[1]!;
    expect(deny.value[0]).toBe('~@aio');
    expect((deny.value as string[]).some((v) => v.includes(':'))).toBe(false);
  });

  it("over the unit's own allow-list, denied groups carry no per-entry errno (systemd fails such a unit)", () => {
    // Debian 13's redis-server.service: `~capset:EPERM` over this made every start fail (218).
    const p = plan([], {
      facts: withUnit({ SystemCallFilter: 'accept accept4 access brk capget capset close' }),
    });
    const value = chosen(p, 'SystemCallFilter')!;
    expect(value).toMatch(/^~@clock @cpu-emulation/);
    expect(value).not.toMatch(/:/);
    expect(
      chosen(plan([], { facts: withUnit({ SystemCallFilter: '~@mount' }) }), 'SystemCallFilter'),
    ).toMatch(/@privileged:EPERM/);
  });

  it('no allow-list over an existing filter (it would widen it)', () => {
    const agg = plan([], {
      settings: { mode: 'aggressive' },
      facts: withUnit({ SystemCallFilter: '~@mount' }),
    });
    expect(agg.chosen.filter((d) => d.option === 'SystemCallFilter')).toHaveLength(1);
    expect(chosen(agg, 'SystemCallFilter')).toMatch(/^~/);
  });

  it('uses the target groups: @sandbox only exists on 257', () => {
    expect(chosen(plan([], { settings: { mode: 'standard' } }), 'SystemCallFilter')).toMatch(/@sandbox/);
    expect(
      chosen(plan([], { settings: { mode: 'standard' }, facts: facts252() }), 'SystemCallFilter'),
    ).not.toMatch(/@sandbox/);
  });

  it('a systemd older than every bundled list gets no filter rather than a guess', () => {
    const p = plan([], { facts: facts252({ systemdVersion: 250 }) });
    expect(chosen(p, 'SystemCallFilter')).toBeUndefined();
    expect(rejected(p, 'SystemCallFilter')!.why).toMatch(/no syscall groups/);
  });
});

describe('version gates', () => {
  it('systemd 240: no ProtectKernelLogs (244), ProtectClock (245), ProtectProc (247), PrivateIPC (248)', () => {
    const p = plan([], { facts: facts252({ systemdVersion: 240 }) });
    for (const [option, v] of [
      ['ProtectKernelLogs', 244],
      ['ProtectClock', 245],
      ['ProtectProc', 247],
      ['PrivateIPC', 248],
      ['ProtectHostname', 242],
    ] as const) {
      expect(chosen(p, option)).toBeUndefined();
      expect(rejected(p, option)!.why).toContain(`systemd ≥ ${v}`);
    }
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
  });
});

describe('mount propagation', () => {
  it('a mount meant to reach the host rejects every mount-namespace option', () => {
    const m = act.mount(true);
    const p = plan([m], { syscalls: { mount: 1 } });
    for (const option of [
      'ProtectSystem',
      'ProtectHome',
      'PrivateTmp',
      'PrivateDevices',
      'PrivateMounts',
      'ProtectKernelTunables',
    ]) {
      expect(chosen(p, option)).toBeUndefined();
    }
    expect(rejected(p, 'PrivateMounts', 'yes')!.blockedBy!.ev).toEqual(m.ev);
  });
});

describe('overrides', () => {
  it('force replaces the chosen value, forbid removes the option and says so', () => {
    const p = plan([], {
      settings: { overrides: { force: { ProtectSystem: 'full', Foo: 'bar' }, forbid: ['PrivateDevices'] } },
    });
    expect(chosen(p, 'ProtectSystem')).toBe('full');
    expect(decision(p, 'ProtectSystem')!.reasons).toEqual(['forced by the user']);
    expect(chosen(p, 'PrivateDevices')).toBeUndefined();
    expect(rejected(p, 'PrivateDevices')!.why).toBe('forbidden by the user');
    expect(p.chosen[p.chosen.length - 1]).toMatchObject({ option: 'Foo', value: 'bar' });
  });

  it('a forced value brings its own companions: strict over a create in /etc keeps the other writes whitelisted', () => {
    const p = plan([act.path('write', '/var/lib/app/db'), act.path('create', '/etc/app.lock')], {
      settings: { overrides: { force: { ProtectSystem: 'strict' } } },
    });
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBe('-/var/lib/app/db');
    const full = plan([act.path('write', '/var/lib/app/db')], {
      settings: { overrides: { force: { ProtectSystem: 'full' } } },
    });
    expect(chosen(full, 'ReadWritePaths')).toBeUndefined();
  });
});

describe('determinism', () => {
  const actions = (): Action[] => [
    act.socket('AF_INET'),
    act.net('bind', 'AF_INET', '127.0.0.1', 8080, 'SOCK_STREAM'),
    act.path('create', '/var/lib/app/b'),
    act.path('create', '/var/lib/app/a'),
    act.path('write', '/srv/x/1'),
    act.path('read', '/dev/ttyS0'),
  ];

  it('same inputs give a byte-identical plan', () => {
    const profile = profileOf(actions());
    const a = JSON.stringify(resolve(profile, facts257(), { mode: 'aggressive' }));
    const b = JSON.stringify(resolve(structuredClone(profile), facts257(), { mode: 'aggressive' }));
    expect(a).toBe(b);
  });

  it('the order of the profile arrays and record keys does not matter, only seq does', () => {
    const profile = profileOf(actions(), { zzz: 1, aaa: 2 });
    const shuffled = {
      ...profile,
      actions: [...profile.actions].reverse(),
      syscalls: Object.fromEntries(Object.entries(profile.syscalls).reverse()),
    };
    const p1 = resolve(profile, facts257(), { mode: 'standard' });
    const p2 = resolve(shuffled, facts257(), { mode: 'standard' });
    expect({ ...p2, profileDigest: '' }).toEqual({ ...p1, profileDigest: '' });
    expect(JSON.stringify(p2.chosen)).toBe(JSON.stringify(p1.chosen));
  });
});

describe('filesystem whitelisting (aggressive)', () => {
  it('untouched trees become inaccessible; a tree only read becomes an empty tmpfs with read-only binds', () => {
    const p = plan(
      [act.path('read', '/opt/tool/share/data.bin'), act.path('exec', '/opt/tool/bin/tool', 'mmap')],
      {
        settings: { mode: 'aggressive' },
      },
    );
    expect(chosen(p, 'InaccessiblePaths')).toMatch(/-\/boot .*-\/srv/);
    expect(chosen(p, 'InaccessiblePaths')!.split(' ')).not.toContain('-/opt');
    expect(chosen(p, 'TemporaryFileSystem')).toBe('/opt:ro');
    expect(chosen(p, 'BindReadOnlyPaths')).toBe('-/opt/tool/bin/tool -/opt/tool/share/data.bin');
  });

  it('listing the tree, or creating an entry in it, keeps it as it is', () => {
    const agg = { settings: { mode: 'aggressive' as const } };
    const ls = act.path('read', '/srv');
    expectBlockedBy(plan([ls], agg), 'InaccessiblePaths', 'TemporaryFileSystem=/srv:ro', ls);
    const c = act.path('create', '/srv/new-entry');
    expectBlockedBy(plan([c], agg), 'InaccessiblePaths', 'TemporaryFileSystem=/srv:ro', c);
  });

  it('written paths below the tree are bound read-write (their directory for creates)', () => {
    const p = plan(
      [act.path('read', '/srv/www/index.html'), act.path('create', '/srv/www/logs/access.log')],
      {
        settings: { mode: 'aggressive' },
      },
    );
    expect(chosen(p, 'TemporaryFileSystem')).toBe('/srv:ro');
    expect(chosen(p, 'BindPaths')).toBe('-/srv/www/logs');
    expect(chosen(p, 'BindReadOnlyPaths')).toBe('-/srv/www/index.html');
  });

  it('NoExecPaths needs the interpreters of executed files to be known', () => {
    const facts = facts257({ binaries: [{ path: '/usr/bin/app', mode: 0o100755, fileCapabilities: '' }] });
    const p = plan([], { settings: { mode: 'aggressive' }, facts });
    expect(chosen(p, 'NoExecPaths')).toBeUndefined();
    expect(rejected(p, 'NoExecPaths')!.why).toMatch(/interpreter of \/usr\/bin\/app is unknown/);
    const ok = plan([], { settings: { mode: 'aggressive' } });
    expect(chosen(ok, 'ExecPaths')).toBe(
      '-/lib64/ld-linux-x86-64.so.2 -/usr/bin/app -/usr/lib/x86_64-linux-gnu/libc.so.6',
    );
  });
});

describe('floor of accumulating options', () => {
  it.each([
    ['DevicePolicy', { DevicePolicy: 'strict', DeviceAllow: '/dev/null rw' }],
    ['IPAddressDeny', { IPAddressDeny: '0.0.0.0/0 ::/0', IPAddressAllow: '127.0.0.0/8' }],
    ['SocketBindDeny', { SocketBindDeny: 'ipv4:tcp' }],
  ])('a unit that already sets %s gets no entries that would add to its lists', (option, props) => {
    const p = plan(
      [act.path('read', '/dev/ttyS0'), act.socket('AF_INET'), act.net('connect', 'AF_INET', '127.0.0.1', 80)],
      {
        facts: withUnit(props),
        settings: { mode: 'aggressive' },
      },
    );
    expect(chosen(p, option)).toBeUndefined();
    expect(rejected(p, option, '*')!.why).toMatch(/already sets/);
  });
});

describe('paths systemd cannot be told are folded to a nameable parent, with the reason (never a throw)', () => {
  it('a write under a name with a control character or non-UTF-8 bytes whitelists the nearest nameable parent', () => {
    const p = plan([
      act.path('write', '/var/lib/app/a\tb/state'),
      act.path('create', '/var/lib/app/caf\udce9/new'),
    ]);
    expect(chosen(p, 'ProtectSystem')).toBe('strict');
    expect(chosen(p, 'ReadWritePaths')).toBe('-/var/lib/app');
    expect(decision(p, 'ReadWritePaths')!.reasons.join('\n')).toMatch(
      /\/var\/lib\/app: write for \/var\/lib\/app\/a\\x09b\/state, which has a control character/,
    );
    expect(renderDropIn(p, { version: '0' })).toContain('ReadWritePaths=-/var/lib/app\n');
  });

  it('a fold never opens a sensitive tree: the option is rejected instead', () => {
    const p = plan([act.path('create', '/etc/caf\udce9/x')]);
    expect(chosen(p, 'ProtectSystem')).not.toBe('strict');
    expect(rejected(p, 'ProtectSystem', 'strict')!.why).toMatch(
      /\/etc\/caf\\xe9 has bytes that are not UTF-8/,
    );
  });

  it('bind paths under an empty tmpfs are folded within the tree, never to the tree itself', () => {
    const ok = plan([act.path('read', '/srv/x/a:/etc/shadow'), act.path('read', '/srv/y/a\nb')], {
      settings: { mode: 'aggressive' },
    });
    expect(chosen(ok, 'BindReadOnlyPaths')).toBe('-/srv/x/a:/etc/shadow -/srv/y');
    expect(renderDropIn(ok, { version: '0' })).toContain(
      'BindReadOnlyPaths="-/srv/x/a:/etc/shadow" -/srv/y\n',
    );
    const bad = plan([act.path('read', '/srv/\udcff')], { settings: { mode: 'aggressive' } });
    expect(chosen(bad, 'TemporaryFileSystem')).toBeUndefined();
    expect(rejected(bad, 'InaccessiblePaths', 'TemporaryFileSystem=/srv:ro')!.why).toMatch(
      /only \/srv could be named/,
    );
  });

  it('from systemd 255 a bind path holding a quote is folded to its nearest parent without one (the executor would not start the unit)', () => {
    const actions = [
      act.path('create', '/srv/app/names/q"uote\'s/f'),
      act.path('write', '/srv/app/names/100%n/f'),
      act.path('read', "/srv/app/it's/conf"),
      act.path('read', '/srv/app/x/a:/etc/shadow'),
    ];
    const at257 = plan(actions, { settings: { mode: 'aggressive' } });
    expect(chosen(at257, 'TemporaryFileSystem')).toBe('/srv:ro');
    expect(chosen(at257, 'BindPaths')).toBe('-/srv/app/names');
    // it's/conf folds to /srv/app, which covers the ':' name (a ':' is fine: it is escaped)
    expect(chosen(at257, 'BindReadOnlyPaths')).toBe('-/srv/app');
    const why = decision(at257, 'BindPaths')!.reasons.join('\n');
    expect(why).toContain(
      `/srv/app/names for /srv/app/names/q"uote's, which has a quote, which systemd 257's executor reads back as quoting`,
    );
    expect(renderDropIn(at257, { version: '0' })).not.toMatch(/^Bind.*(uote|it's)/m);
    // 252 forks the service from PID 1 (no executor): the quoted items stay exact
    const at252 = plan(actions, { settings: { mode: 'aggressive' }, facts: facts252() });
    expect(chosen(at252, 'BindPaths')).toBe('-/srv/app/names/100%n/f -/srv/app/names/q"uote\'s');
    expect(chosen(at252, 'BindReadOnlyPaths')).toBe("-/srv/app/it's/conf -/srv/app/x/a:/etc/shadow");
    expect(renderDropIn(at252, { version: '0' })).toContain(
      `BindPaths=-/srv/app/names/100%%n/f "-/srv/app/names/q\\"uote's"\n`,
    );
  });

  it('a device DeviceAllow= cannot name keeps DevicePolicy open; one with quotes is written quoted', () => {
    const odd = act.path('write', '/dev/a\u001bb');
    const p = plan([odd]);
    expect(chosen(p, 'DevicePolicy')).toBeUndefined();
    expect(rejected(p, 'DevicePolicy', 'closed')!.why).toMatch(
      /\/dev\/a\\x1bb, which DeviceAllow= cannot name/,
    );
    const q = plan([act.path('write', '/dev/sd"a"')]);
    expect(renderDropIn(q, { version: '0' })).toContain('DeviceAllow="/dev/sd\\"a\\"" w\n');
  });

  it('from systemd 255 a device path with whitespace keeps DevicePolicy open (the executor would not start the unit); 252 writes it quoted', () => {
    const spaced = act.path('write', '/dev/sp ace');
    const at257 = plan([spaced]);
    expect(chosen(at257, 'DevicePolicy')).toBeUndefined();
    expect(rejected(at257, 'DevicePolicy', 'closed')!.why).toMatch(
      /\/dev\/sp ace, which DeviceAllow= cannot name: it has whitespace, which systemd 257's executor cannot read back/,
    );
    const at252 = plan([spaced], { facts: facts252() });
    expect(chosen(at252, 'DevicePolicy')).toBe('closed');
    expect(renderDropIn(at252, { version: '0' })).toContain('DeviceAllow="/dev/sp ace" w\n');
    // a backslash reaches the executor whole
    expect(chosen(plan([act.path('write', '/dev/back\\slash')]), 'DeviceAllow')).toBe('/dev/back\\slash w');
  });
});

describe('SystemCallArchitectures rests on the ABIs the trace watched', () => {
  const withRun = (run: Partial<Profile['runs'][number]>): Profile => {
    const p = profileOf([]);
    return { ...p, runs: [{ ...p.runs[0]!, ...run }] };
  };
  const mode = (m: 'conservative' | 'standard' | 'aggressive') => ({ mode: m });

  it('conservative mode takes native when every run watched the ABI and saw no switch', () => {
    const p = resolve(withRun({ abiWatched: true }), facts257(), mode('conservative'));
    expect(chosen(p, 'SystemCallArchitectures')).toBe('native');
  });

  it('conservative mode withholds it when a run did not watch (older profile, other recorder)', () => {
    const p0 = profileOf([]);
    const mixed: Profile = { ...p0, runs: [{ ...p0.runs[0]!, abiWatched: true }, p0.runs[0]!] };
    const p = resolve(mixed, facts257(), mode('conservative'));
    expect(chosen(p, 'SystemCallArchitectures')).toBeUndefined();
    expect(rejected(p, 'SystemCallArchitectures')!.why).toMatch(/does not say which syscall ABIs/);
    // standard mode keeps taking it without the evidence, as before
    expect(chosen(resolve(mixed, facts257(), mode('standard')), 'SystemCallArchitectures')).toBe('native');
  });

  it.each(['conservative', 'standard', 'aggressive'] as const)(
    'a switch to another ABI blocks it in %s mode, naming the ABI',
    (m) => {
      const p = resolve(
        withRun({ abiWatched: true, abiSwitches: ['32 bit', '64 bit'] }),
        facts257(),
        mode(m),
      );
      expect(chosen(p, 'SystemCallArchitectures')).toBeUndefined();
      expect(rejected(p, 'SystemCallArchitectures')!.why).toMatch(
        /switch to another syscall ABI \(32 bit, 64 bit mode\)/,
      );
    },
  );

  it('the unit listing other architectures still wins', () => {
    const p = resolve(
      withRun({ abiWatched: true }),
      withUnit({ SystemCallArchitectures: 'native x86' }),
      mode('conservative'),
    );
    expect(chosen(p, 'SystemCallArchitectures')).toBeUndefined();
    expect(rejected(p, 'SystemCallArchitectures')!.why).toMatch(/lists architectures/);
  });
});
