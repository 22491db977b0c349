// The test hosts themselves: each image boots, answers SSH only with its pinned host key, runs
// the expected systemd and strace, serves every corpus service, reports its exposure baseline,
// resets between tests, cannot reach the outside, and leaves no process behind.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  checkService,
  corpusServices,
  HOST_TEST_TIMEOUT_MS,
  securityBaseline,
  sshExec,
  startHost,
  stopHosts,
  TEST_HOST_IMAGES,
  withTestHost,
  type TestHostImage,
} from './index';

const EXPECTED: Record<TestHostImage, { systemd: number; straceAtLeast: [number, number] }> = {
  'debian-12': { systemd: 252, straceAtLeast: [6, 1] },
  'debian-13': { systemd: 257, straceAtLeast: [6, 6] },
};

function versionAtLeast(actual: string, [major, minor]: [number, number]): boolean {
  const [a = 0, b = 0] = actual.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** qemu processes of this machine whose -name mentions the instance */
function qemuProcessesOf(name: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('qemu-system') && cmdline.includes(`hush-testhost-${name}\0`)) count++;
    } catch {
      // the process ended while we looked
    }
  }
  return count;
}

describe.each(TEST_HOST_IMAGES)('%s test host', (image) => {
  test(
    'answers SSH with the pinned host key and refuses a host with another key',
    () =>
      withTestHost(image, async (host) => {
        expect(host.hostKey).toMatch(/^ssh-ed25519 /);
        expect(host.hostKeyFingerprint).toMatch(/^SHA256:/);
        expect(host.host).toBe('127.0.0.1');
        const whoami = await host.exec('id -un; hostname');
        expect(whoami.stdout.split('\n').slice(0, 2)).toEqual(['root', image]);
        // the same server presented to a harness that pinned a different key must be refused
        const otherKey = 'ssh-ed25519 ' + Buffer.alloc(51, 7).toString('base64');
        await expect(sshExec({ ...host, hostKey: otherKey }, 'true')).rejects.toThrow(/host key/);
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'runs systemd as PID 1 with the expected systemd and strace versions',
    () =>
      withTestHost(image, async (host) => {
        const r = await host.exec(
          'ps -o comm= -p 1; systemctl --version | head -1; strace -V | head -1; systemctl is-system-running',
        );
        const [pid1 = '', systemd = '', strace = '', state = ''] = r.stdout.trim().split('\n');
        expect(pid1).toBe('systemd');
        expect(systemd).toMatch(new RegExp(`^systemd ${EXPECTED[image].systemd}\\b`));
        const straceVersion = /version (\d+\.\d+)/.exec(strace)?.[1] ?? '0.0';
        expect(versionAtLeast(straceVersion, EXPECTED[image].straceAtLeast)).toBe(true);
        expect(state).toBe('running');
        const tools = await host.exec('command -v curl wrk redis-cli ps ip runuser strace python3 | wc -l');
        expect(tools.stdout.trim()).toBe('8');
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'every corpus service passes its functional check',
    () =>
      withTestHost(image, async (host) => {
        for (const { name } of corpusServices()) {
          const result = await checkService(host, name);
          if (!result.ok) throw new Error(`${image}: check ${name} failed:\n${result.output}`);
          expect(result.output).toContain(`OK ${name}`);
          expect(result.output).not.toContain('FAIL ');
        }
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'a functional check fails when its service is broken',
    () =>
      withTestHost(image, async (host) => {
        await host.exec('systemctl stop redis-server.service');
        const result = await checkService(host, 'redis', { waitSeconds: 3 });
        expect(result.ok).toBe(false);
        expect(result.output).toContain('FAIL redis-server.service is active');
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'reports the systemd-analyze security baseline of every corpus unit',
    () =>
      withTestHost(image, async (host) => {
        const baseline = await securityBaseline(host);
        process.stdout.write(
          `\nexposure baseline ${image}:\n` +
            baseline.map((e) => `  ${e.unit.padEnd(32)} ${e.exposure.toFixed(1)} ${e.label}`).join('\n') +
            '\n',
        );
        const units = baseline.map((e) => e.unit);
        expect(units).toEqual(
          expect.arrayContaining([
            'nginx.service',
            'caddy.service',
            'redis-server.service',
            'hush-testsvc-notify.service',
            'hush-testsvc-forking.service',
            'hush-testsvc-restart.service',
          ]),
        );
        expect(units.some((u) => /^postgresql@\d+-main\.service$/.test(u))).toBe(true);
        for (const e of baseline) {
          expect(e.exposure).toBeGreaterThan(0);
          expect(e.exposure).toBeLessThanOrEqual(10);
        }
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'starts each test from the freshly booted state',
    async () => {
      await withTestHost(image, async (host) => {
        await host.exec('touch /root/left-by-previous-test; systemctl stop nginx.service');
      });
      await withTestHost(image, async (host) => {
        const r = await host.exec(
          'test -e /root/left-by-previous-test && echo present; systemctl is-active nginx',
        );
        expect(r.stdout.trim()).toBe('active');
      });
    },
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    "has no network beyond the guest: slirp's host alias and DNS are unreachable (restrict=on)",
    () =>
      withTestHost(image, async (host) => {
        // 10.0.2.2 is slirp's alias of the host: restrict=on must drop it like any other address
        const r = await host.exec(
          'for a in 10.0.2.2:22 10.0.2.3:53; do timeout 5 bash -c ": </dev/tcp/${a%:*}/${a#*:}" 2>/dev/null && echo "reached $a"; done; echo done',
        );
        expect(r.stdout.trim()).toBe('done');
      }),
    HOST_TEST_TIMEOUT_MS,
  );
});

describe('instance lifecycle', () => {
  test(
    'down stops the VM and leaves no process or run directory behind',
    async () => {
      const name = `lifecycle-${process.pid}`;
      const host = await startHost('debian-13', { name });
      const runDir = path.dirname(host.knownHostsPath);
      try {
        expect(qemuProcessesOf(name)).toBe(1);
        expect((await sshExec(host, 'systemctl is-system-running')).stdout.trim()).toBe('running');
      } finally {
        await stopHosts([name]);
      }
      expect(qemuProcessesOf(name)).toBe(0);
      expect(existsSync(runDir)).toBe(false);
    },
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'the watchdog stops the VM when the process that owns it dies (jest killed, ^C)',
    async () => {
      const name = `orphan-${process.pid}`;
      const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
      try {
        await startHost('debian-12', { name, ownerPid: owner.pid });
        expect(qemuProcessesOf(name)).toBe(1);
        owner.kill('SIGKILL');
        const deadline = Date.now() + 30_000;
        while (qemuProcessesOf(name) > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 250));
        expect(qemuProcessesOf(name)).toBe(0);
      } finally {
        owner.kill('SIGKILL');
        await stopHosts([name]);
      }
    },
    HOST_TEST_TIMEOUT_MS,
  );
});
