/**
 * The `hush run` loop inside real systemd VMs (Debian 12/systemd 252 and Debian 13/systemd 257):
 * each small program is run once plainly as a transient service, once under strace in the same
 * kind of transient service, the trace is summarized and resolved against the VM's own facts
 * (versions, cgroup v2, BPF framework, syscall groups, binary modes), and then run a third time
 * with every chosen option applied through `systemd-run -p …`. The hardened run must succeed with
 * the same output: the generated hardening breaks nothing it observed. The options each behaviour
 * must (not) produce are asserted too, so a too-lax plan fails as well as a too-strict one.
 */
import { Readable } from 'node:stream';
import { renderAssignment } from '../../core/dropin';
import type { HostFacts } from '../../core/profile/hostFacts';
import { resolve } from '../../core/resolve';
import type { HardeningMode, Plan } from '../../core/resolve/plan';
import { parseStraceVersion, straceArgs } from '../../core/strace/invocation';
import { parseSyscallFilterOutput } from '../../core/systemd/syscallFilter';
import { withExecModes } from '../../remote/execModes';
import type { HostExec } from '../../remote/host';
import { parseSystemctlVersion } from '../../core/systemd/version';
import { profileFromStraceLog } from '../../cli/traceProfile';
import { argv, shQuote } from '../../remote/shell';
import { HOST_TEST_TIMEOUT_MS, withTestHost, type TestHost, type TestHostImage } from '../host';

const WORK = '/run/hush-e2e';

const PING_PY = `import socket, struct, sys
v6 = sys.argv[1] == '6'
fam, proto, addr, typ = (socket.AF_INET6, socket.IPPROTO_ICMPV6, '::1', 128) if v6 else (socket.AF_INET, socket.IPPROTO_ICMP, '127.0.0.1', 8)
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
body = struct.pack('!BBHHH', typ, 0, 0, 0x4855, 1) + b'hush'
if not v6:
    body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
s = socket.socket(fam, socket.SOCK_RAW, proto)
s.settimeout(5)
s.sendto(body, (addr, 0))
s.recv(1024)
print('reply from', addr)
`;

const BIND_PY = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(1)
print('bound', s.getsockname()[1])
`;

const WX_PY = `import mmap
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
print('mapped')
`;

interface Case {
  name: string;
  cmd: string[];
  mode?: HardeningMode;
  /** Shell run (as root, outside the traced service) before each run of the command. */
  prepare?: string;
  present?: Record<string, string | RegExp>;
  absent?: string[];
  keptCaps?: string[];
}

const CASES: Case[] = [
  {
    name: 'quiet program',
    cmd: ['true'],
    present: {
      ProtectSystem: 'strict',
      PrivateDevices: 'yes',
      NoNewPrivileges: 'yes',
      IPAddressDeny: 'any',
      ProtectProc: 'invisible',
    },
  },
  { name: 'list /dev', cmd: ['ls', '/dev'], present: { DevicePolicy: 'closed' }, absent: ['PrivateDevices'] },
  {
    name: 'write /dev/null',
    cmd: ['sh', '-c', 'echo hi > /dev/null; echo done'],
    present: { PrivateDevices: 'yes' },
  },
  {
    name: 'read /proc/cpuinfo',
    cmd: ['grep', '-c', '^processor', '/proc/cpuinfo'],
    mode: 'standard',
    present: { ProtectProc: 'invisible' },
    absent: ['ProcSubset'],
  },
  {
    name: 'read /proc/kallsyms',
    cmd: ['head', '-c', '64', '/proc/kallsyms'],
    absent: ['ProtectKernelTunables'],
    keptCaps: ['CAP_SYSLOG'],
  },
  {
    name: 'dmesg',
    cmd: ['sh', '-c', 'dmesg | head -n 2'],
    absent: ['ProtectKernelLogs'],
    keptCaps: ['CAP_SYSLOG'],
  },
  {
    name: 'ping over IPv4 (loopback)',
    cmd: ['python3', `${WORK}/ping.py`, '4'],
    mode: 'aggressive',
    present: { RestrictAddressFamilies: /AF_INET/, IPAddressDeny: 'any', IPAddressAllow: 'localhost' },
    absent: ['PrivateNetwork'],
    keptCaps: ['CAP_NET_RAW'],
  },
  {
    name: 'ping over IPv6 (loopback)',
    cmd: ['python3', `${WORK}/ping.py`, '6'],
    mode: 'aggressive',
    present: { RestrictAddressFamilies: /AF_INET6/, IPAddressAllow: 'localhost' },
    absent: ['PrivateNetwork'],
    keptCaps: ['CAP_NET_RAW'],
  },
  {
    name: 'bind port 81 (nginx has 80)',
    cmd: ['python3', `${WORK}/bind.py`, '81'],
    mode: 'standard',
    present: { RestrictAddressFamilies: /AF_INET/ },
    keptCaps: ['CAP_NET_BIND_SERVICE'],
  },
  { name: 'mmap W+X', cmd: ['python3', `${WORK}/wx.py`], absent: ['MemoryDenyWriteExecute'] },
  {
    name: 'realtime scheduling',
    cmd: ['chrt', '-f', '10', 'echo', 'rt'],
    absent: ['RestrictRealtime'],
    keptCaps: ['CAP_SYS_NICE'],
  },
  {
    name: 'mknod a pipe',
    cmd: ['sh', '-c', `mknod ${WORK}/p p && ls -l ${WORK}/p | cut -c1 && rm ${WORK}/p`],
    present: { DevicePolicy: 'closed', ReadWritePaths: `-${WORK}` },
  },
  {
    name: 'mknod a device',
    cmd: ['sh', '-c', `mknod ${WORK}/c c 1 3 && ls -l ${WORK}/c | cut -c1 && rm ${WORK}/c`],
    absent: ['DevicePolicy', 'PrivateDevices'],
    keptCaps: ['CAP_MKNOD'],
  },
  {
    name: 'unshare a network namespace',
    cmd: ['unshare', '-n', 'echo', 'ns'],
    present: { RestrictNamespaces: '~cgroup ipc mnt pid user uts' },
    keptCaps: ['CAP_SYS_ADMIN'],
  },
  {
    name: 'chmod u+s',
    prepare: `touch ${WORK}/f && chmod 644 ${WORK}/f`,
    cmd: ['sh', '-c', `chmod u+s ${WORK}/f && stat -c %A ${WORK}/f`],
    absent: ['RestrictSUIDSGID'],
    keptCaps: ['CAP_FSETID'],
  },
  {
    name: 'shell pipeline (aggressive)',
    cmd: ['sh', '-c', 'cat /etc/hostname | wc -c'],
    mode: 'aggressive',
    present: {
      NoExecPaths: '-/',
      ExecPaths: /wc/,
      SystemCallFilter: /^@system-service/,
      NoNewPrivileges: 'yes',
    },
  },
];

async function run(
  host: TestHost,
  command: string,
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const r = await host.exec(command, { timeoutMs });
  return { stdout: r.stdout, stderr: r.stderr, code: r.code ?? -1 };
}

/** A command as a transient service, stdout piped back (the same context for all three runs). */
function transient(cmd: readonly string[], properties: readonly string[] = []): string {
  const props = properties.flatMap((p) => ['-p', p]);
  return argv(['systemd-run', '--wait', '--pipe', '--quiet', '--collect', ...props, '--', ...cmd]).toString();
}

async function targetFacts(host: TestHost): Promise<HostFacts> {
  const marker = '--hush-e2e-section--';
  const r = await run(
    host,
    `systemctl --version; echo ${marker}; uname -r; echo ${marker}; uname -m; echo ${marker}; stat -fc %T /sys/fs/cgroup; echo ${marker}; systemd-analyze syscall-filter 2>/dev/null; echo ${marker}; strace -V | head -1`,
  );
  const [version, kernel, arch, cgroup, filter, strace] = r.stdout.split(`${marker}\n`);
  const sv = parseSystemctlVersion(version ?? '');
  if (!sv) throw new Error(`cannot read systemctl --version: ${version}`);
  return {
    systemdVersion: sv.version,
    systemdVersionText: sv.line,
    kernelRelease: kernel!.trim(),
    arch: arch!.trim(),
    cgroupVersion: cgroup!.trim() === 'cgroup2fs' ? 2 : 1,
    ...(sv.bpfFramework !== undefined ? { bpfFramework: sv.bpfFramework } : {}),
    syscallGroups: parseSyscallFilterOutput(filter!),
    straceVersion: strace!.trim(),
    systemInstance: true,
    unit: { name: 'hush-e2e.service', properties: {}, dropIns: [] },
    binaries: [],
  };
}

/**
 * The VM as the HostExec hush's own exec-mode probe runs on (remote/execModes): modes, file
 * capabilities and the ELF/#! interpreter chain of each executed path, read as `hush profile` reads them.
 */
function vmExec(host: TestHost): HostExec {
  return {
    target: 'test VM',
    exec: async (cmd, opts) => {
      const r = await host.exec(cmd.text, opts?.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
      return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

function optionMap(plan: Plan): Map<string, string> {
  const m = new Map<string, string>();
  for (const d of plan.chosen) {
    const v = typeof d.value === 'string' ? d.value : d.value.join(' ');
    m.set(d.option, m.has(d.option) ? `${m.get(d.option)} | ${v}` : v);
  }
  return m;
}

async function exercise(host: TestHost, facts: HostFacts, c: Case): Promise<string[]> {
  const problems: string[] = [];
  const prepare = c.prepare ? `${c.prepare} && ` : '';
  const version = parseStraceVersion(facts.straceVersion ?? '');
  if (!version) throw new Error(`strace version unknown: ${facts.straceVersion}`);
  // The traced run is also the baseline: strace writes its log to a file and passes the program's
  // output and exit status through, so one transient service gives both (TCG VMs are slow).
  const log = `${WORK}/trace.log`;
  const marker = `--hush-e2e-log-${Date.now()}--`;
  const traced = await run(
    host,
    `${prepare}${transient(['strace', ...straceArgs({ version, output: log, command: c.cmd })])}; rc=$?; echo ${marker}$rc; cat ${log}`,
  );
  const [baselineOut, rest = ''] = traced.stdout.split(marker);
  const newline = rest.indexOf('\n');
  const baseline = { stdout: baselineOut ?? '', code: Number(rest.slice(0, newline)) };
  if (baseline.code !== 0) return [`${c.name}: the traced run failed (${baseline.code}): ${traced.stderr}`];
  let profile = await profileFromStraceLog(Readable.from([rest.slice(newline + 1)]), {
    source: c.name,
    cwd: '/',
  });
  const targetFacts = await withExecModes(vmExec(host), profile, { ...facts, binaries: [] });
  profile = { ...profile, host: targetFacts };
  const plan = resolve(profile, targetFacts, { mode: c.mode ?? 'conservative' });
  const options = optionMap(plan);

  for (const [option, want] of Object.entries(c.present ?? {})) {
    const got = options.get(option);
    if (got === undefined || (typeof want === 'string' ? got !== want : !want.test(got))) {
      problems.push(`${c.name}: expected ${option}=${String(want)}, got ${got ?? '(absent)'}`);
    }
  }
  for (const option of c.absent ?? []) {
    if (options.has(option)) problems.push(`${c.name}: ${option}=${options.get(option)} must be absent`);
  }
  const denied = (options.get('CapabilityBoundingSet') ?? '').replace(/^~/, '').split(' ');
  for (const cap of c.keptCaps ?? [])
    if (denied.includes(cap)) problems.push(`${c.name}: ${cap} must be kept`);

  const properties = plan.chosen.flatMap((d) => renderAssignment(d));
  const hardened = await run(host, `${prepare}${transient(c.cmd, properties)}`);
  if (hardened.code !== baseline.code || hardened.stdout !== baseline.stdout) {
    problems.push(
      `${c.name}: hardened run differs: exit ${hardened.code} vs ${baseline.code}, stdout ${JSON.stringify(hardened.stdout)} vs ${JSON.stringify(baseline.stdout)}, stderr ${hardened.stderr}\n  properties: ${properties.join('\n    ')}`,
    );
  }
  return problems;
}

/** Debian 12 repeats the cases whose options depend on the systemd version or its build. */
const DEBIAN_12_CASES = new Set([
  'quiet program',
  'list /dev',
  'ping over IPv4 (loopback)',
  'bind port 81 (nginx has 80)',
  'mknod a pipe',
  'shell pipeline (aggressive)',
]);
/** Development aid: HUSH_RUN_E2E_CASES=ping,bind runs only the cases whose names contain one of the words. */
const ONLY = (process.env.HUSH_RUN_E2E_CASES ?? '').split(',').filter(Boolean);
const selected = (cases: Case[]): Case[] =>
  ONLY.length ? cases.filter((c) => ONLY.some((w) => c.name.includes(w))) : cases;
const IMAGES: [TestHostImage, Case[]][] = [
  ['debian-13', selected(CASES)],
  ['debian-12', selected(CASES.filter((c) => DEBIAN_12_CASES.has(c.name)))],
];
/** About two transient services per case; under TCG each takes 5–40 s depending on the machine's load. */
const PER_CASE_MS = 3 * 60_000;

describe.each(IMAGES)('hush run hardening in a %s VM', (image, cases) => {
  test(
    'each behaviour gets its options, and the hardened program behaves as before',
    () =>
      withTestHost(image, async (host) => {
        const setup = [
          `mkdir -p ${WORK}`,
          `printf %s ${shQuote(PING_PY)} > ${WORK}/ping.py`,
          `printf %s ${shQuote(BIND_PY)} > ${WORK}/bind.py`,
          `printf %s ${shQuote(WX_PY)} > ${WORK}/wx.py`,
        ].join(' && ');
        const s = await run(host, setup);
        expect(s.code).toBe(0);
        const facts = await targetFacts(host);
        expect(facts.systemdVersion).toBe(image === 'debian-13' ? 257 : 252);
        const problems: string[] = [];
        for (const c of cases) {
          const started = Date.now();
          const found = await exercise(host, facts, c);
          problems.push(...found);
          process.stderr.write(
            `${image}: ${c.name}: ${found.length ? 'FAILED' : 'ok'} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
          );
        }
        expect(problems).toEqual([]);
      }),
    HOST_TEST_TIMEOUT_MS + cases.length * PER_CASE_MS,
  );
});
