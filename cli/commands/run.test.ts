/**
 * `hush run` end to end on this machine: real programs, each exercising one behaviour, traced by the
 * real strace, summarized and resolved; the test asserts the options that must be present or absent
 * and that the rejections point at the real evidence. (Re-running the programs under the options in
 * a systemd VM is test/e2e/run-hardened.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../main';
import type { Plan } from '../../core/resolve/plan';

jest.setTimeout(120_000);

interface RunResult {
  plan: Plan;
  exitCode: number;
  options: Map<string, string>;
}

async function hushRun(cmd: string[], mode = 'conservative'): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(['run', '--json', '--mode', mode, '--', ...cmd], {
    stdin: new PassThrough(),
    stdout,
    stderr,
  });
  if (code !== 0) throw new Error(`hush run failed (${code}): ${Buffer.concat(err).toString()}`);
  const doc = JSON.parse(Buffer.concat(out).toString()) as { plan: Plan; exitCode: number };
  const options = new Map<string, string>();
  for (const d of doc.plan.chosen) {
    const v = typeof d.value === 'string' ? d.value : d.value.join(' ');
    options.set(d.option, options.has(d.option) ? `${options.get(d.option)} | ${v}` : v);
  }
  return { plan: doc.plan, exitCode: doc.exitCode, options };
}

function deniedCaps(r: RunResult): string[] {
  return (r.options.get('CapabilityBoundingSet') ?? '').replace(/^~/, '').split(' ').filter(Boolean);
}

function rejection(r: RunResult, option: string, value?: string) {
  return r.plan.rejected.find((x) => x.option === option && (value === undefined || x.value === value));
}

const PYTHON = '/usr/bin/python3';
let dir: string;

beforeAll(() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('strace is required for hush run (apt-get install strace)');
  }
  dir = mkdtempSync(join(tmpdir(), 'hush-run-e2e-'));
  writeFileSync(
    join(dir, 'wx.c'),
    `#include <sys/mman.h>
#include <stdio.h>
int main(void) {
  void *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  puts("mapped");
  return 0;
}
`,
  );
  execFileSync('cc', ['-o', join(dir, 'wx'), join(dir, 'wx.c')]);
  writeFileSync(
    join(dir, 'ping.py'),
    `import socket, struct, sys
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
s.settimeout(3)
s.sendto(body, (addr, 0))
s.recv(1024)
print('reply from', addr)
`,
  );
  writeFileSync(
    join(dir, 'bind.py'),
    `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(1)
print('bound', s.getsockname()[1])
`,
  );
  writeFileSync(join(dir, 'suid-target'), 'x');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hush run on real programs (local strace)', () => {
  it('a quiet program gets the full strict set', async () => {
    const r = await hushRun(['true']);
    expect(r.exitCode).toBe(0);
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['ProtectKernelModules', 'yes'],
      ['ProtectKernelLogs', 'yes'],
      ['ProtectControlGroups', 'yes'],
      ['ProtectProc', 'invisible'],
      ['ProtectClock', 'yes'],
      ['ProtectHostname', 'yes'],
      ['LockPersonality', 'yes'],
      ['RestrictRealtime', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['MemoryDenyWriteExecute', 'yes'],
      ['RestrictNamespaces', 'yes'],
      ['RestrictAddressFamilies', 'AF_UNIX'],
    ]) {
      expect([k, r.options.get(k!)]).toEqual([k, v]);
    }
    // Every capability is dropped but those a call proves (glibc's prlimit64 keeps CAP_SYS_RESOURCE:
    // the summary does not tell a limit read from a raise).
    const kept = r.plan.rejected.filter((x) => x.option === 'CapabilityBoundingSet');
    expect(deniedCaps(r).length + kept.length).toBe(41);
    for (const k of kept)
      expect(`${k.value}: ${k.why}`).toMatch(/^CAP_SYS_RESOURCE: calls (prlimit64|setrlimit)/);
    expect(r.options.get('SystemCallFilter')).toMatch(/~.*@mount:EPERM/);
  });

  it('list /dev: no PrivateDevices, blocked by the directory read', async () => {
    const r = await hushRun(['ls', '/dev']);
    expect(r.options.has('PrivateDevices')).toBe(false);
    const rej = rejection(r, 'PrivateDevices', 'yes')!;
    expect(rej.blockedBy?.action).toMatchObject({ kind: 'path', path: '/dev' });
    expect(rej.blockedBy!.ev.line).toBeGreaterThan(0);
    expect(r.options.get('DevicePolicy')).toBe('closed');
  });

  it('write /dev/null: PrivateDevices stays, nothing added to DeviceAllow', async () => {
    const r = await hushRun(['sh', '-c', 'echo hi > /dev/null']);
    expect(r.options.get('PrivateDevices')).toBe('yes');
    expect(r.options.has('DeviceAllow')).toBe(false);
  });

  it('read /proc/cpuinfo: ProcSubset=pid rejected by it (standard); ProtectProc kept', async () => {
    const r = await hushRun(['cat', '/proc/cpuinfo'], 'standard');
    expect(r.options.has('ProcSubset')).toBe(false);
    expect(rejection(r, 'ProcSubset', 'pid')!.blockedBy?.action).toMatchObject({ path: '/proc/cpuinfo' });
    expect(r.options.get('ProtectProc')).toBe('invisible');
    expect(r.options.get('ProtectKernelTunables')).toBe('yes');
  });

  it('read /proc/kallsyms: no ProtectKernelTunables, CAP_SYSLOG kept (addresses)', async () => {
    const r = await hushRun(['head', '-c', '64', '/proc/kallsyms']);
    expect(r.options.has('ProtectKernelTunables')).toBe(false);
    expect(deniedCaps(r)).not.toContain('CAP_SYSLOG');
  });

  it('dmesg: no ProtectKernelLogs, /dev/kmsg allowed by DeviceAllow, CAP_SYSLOG kept', async () => {
    const r = await hushRun(['dmesg']);
    expect(r.exitCode).toBe(0);
    expect(r.options.has('ProtectKernelLogs')).toBe(false);
    expect(r.options.has('PrivateDevices')).toBe(false);
    expect(r.options.get('DeviceAllow')).toBe('/dev/kmsg r');
    expect(deniedCaps(r)).not.toContain('CAP_SYSLOG');
  });

  it.each([
    ['4', 'AF_INET'],
    ['6', 'AF_INET6'],
  ])(
    'ping over IPv%s (loopback, raw ICMP): the family and CAP_NET_RAW kept, no PrivateNetwork',
    async (v, family) => {
      const r = await hushRun([PYTHON, join(dir, 'ping.py'), v], 'aggressive');
      expect(r.exitCode).toBe(0);
      expect(r.options.get('RestrictAddressFamilies')!.split(' ')).toContain(family);
      expect(deniedCaps(r)).not.toContain('CAP_NET_RAW');
      expect(r.options.has('PrivateNetwork')).toBe(false);
      expect(rejection(r, 'PrivateNetwork', 'yes')!.blockedBy?.action).toMatchObject({
        kind: 'socket',
        family,
      });
    },
  );

  it('bind port 80 keeps CAP_NET_BIND_SERVICE; port 8080 does not', async () => {
    const low = await hushRun([PYTHON, join(dir, 'bind.py'), '80']);
    expect(low.exitCode).toBe(0);
    expect(deniedCaps(low)).not.toContain('CAP_NET_BIND_SERVICE');
    expect(low.options.get('RestrictAddressFamilies')).toBe('AF_INET AF_UNIX');
    const high = await hushRun([PYTHON, join(dir, 'bind.py'), '18080']);
    expect(deniedCaps(high)).toContain('CAP_NET_BIND_SERVICE');
  });

  it('mmap W+X: no MemoryDenyWriteExecute, blocked by the mmap call', async () => {
    const r = await hushRun([join(dir, 'wx')]);
    expect(r.exitCode).toBe(0);
    expect(r.options.has('MemoryDenyWriteExecute')).toBe(false);
    expect(rejection(r, 'MemoryDenyWriteExecute', 'yes')!.blockedBy?.ev.syscall).toBe('mmap');
  });

  it('realtime scheduling (chrt): no RestrictRealtime, CAP_SYS_NICE kept', async () => {
    const r = await hushRun(['chrt', '-f', '10', 'true']);
    expect(r.exitCode).toBe(0);
    expect(r.options.has('RestrictRealtime')).toBe(false);
    expect(deniedCaps(r)).not.toContain('CAP_SYS_NICE');
  });

  it('mknod a pipe: devices stay closed and CAP_MKNOD goes; a device node keeps both open', async () => {
    const pipe = await hushRun(['mknod', join(dir, 'fifo'), 'p']);
    expect(pipe.options.get('DevicePolicy')).toBe('closed');
    expect(deniedCaps(pipe)).toContain('CAP_MKNOD');
    const dev = await hushRun(['mknod', join(dir, 'null2'), 'c', '1', '3']);
    expect(dev.exitCode).toBe(0);
    expect(dev.options.has('DevicePolicy')).toBe(false);
    expect(dev.options.has('PrivateDevices')).toBe(false);
    expect(deniedCaps(dev)).not.toContain('CAP_MKNOD');
  });

  it('unshare a network namespace: only net allowed, CAP_SYS_ADMIN kept', async () => {
    const r = await hushRun(['unshare', '-n', 'true']);
    expect(r.exitCode).toBe(0);
    expect(r.options.get('RestrictNamespaces')).toBe('~cgroup ipc mnt pid user uts');
    expect(deniedCaps(r)).not.toContain('CAP_SYS_ADMIN');
  });

  it('chmod u+s: no RestrictSUIDSGID, CAP_FSETID kept', async () => {
    const target = join(dir, 'suid-target');
    chmodSync(target, 0o644);
    const r = await hushRun(['chmod', 'u+s', target]);
    expect(r.options.has('RestrictSUIDSGID')).toBe(false);
    expect(deniedCaps(r)).not.toContain('CAP_FSETID');
  });

  it('a shell pipeline (aggressive): every executed program and its loader in ExecPaths', async () => {
    const r = await hushRun(['sh', '-c', 'cat /etc/hostname | wc -c'], 'aggressive');
    expect(r.exitCode).toBe(0);
    expect(r.options.get('NoExecPaths')).toBe('-/');
    const exec = r.options.get('ExecPaths')!.split(' ');
    for (const re of [/\/cat$/, /\/wc$/, /\/(dash|sh)$/, /ld-linux/, /libc\.so/]) {
      expect(exec.some((p) => re.test(p))).toBe(true);
    }
    expect(r.options.get('NoNewPrivileges')).toBe('yes');
    expect(r.options.get('SystemCallArchitectures')).toBe('native');
    expect(r.options.get('SystemCallFilter')).toMatch(/^@system-service/);
  });

  it('writing a file next to a pre-existing one: strict with ReadWritePaths, no PrivateTmp', async () => {
    const target = join(dir, 'out.txt');
    const r = await hushRun(['sh', '-c', `echo x > ${target}`]);
    expect(r.options.get('ProtectSystem')).toBe('strict');
    expect(r.options.get('ReadWritePaths')).toBe(`-${dir}`);
    expect(r.options.has('PrivateTmp')).toBe(false);
  });
});
