/**
 * `hush apply --watch D --rollback-on-denial` end to end on the test host, as a user runs it: nginx
 * is profiled and hardened with a syscall filter forced to deny sendfile (which nginx uses for
 * every static file), so the apply itself verifies (the settle time sees no request), and the
 * first request afterwards kills a worker with SIGSYS. The watch must find the kernel's seccomp
 * record, name sendfile, blame SystemCallFilter and suggest `SystemCallFilter=sendfile`, then put
 * the unit back exactly as it was before hush (no drop-in: `systemctl cat` identical), and nginx's
 * functional check must pass. Commands run in-process through cli/main with real SSH.
 */
import { checkService, HOST_TEST_TIMEOUT_MS, withTestHost } from '../host';
import { cliTargetFlags, runHush } from './profile-support';

const hush = runHush;

test(
  'apply --watch --rollback-on-denial: a SIGSYS after the apply is attributed, explained and rolled back (debian-13)',
  () =>
    withTestHost('debian-13', async (host) => {
      const before = (await host.exec('systemctl cat nginx.service')).stdout;
      // Requests keep coming for the whole window, so the first one after the restart hits the filter.
      const traffic = host.exec(
        'for i in $(seq 150); do curl -s -o /dev/null -m 5 http://127.0.0.1/; sleep 2; done',
        { timeoutMs: 15 * 60_000 },
      );
      const r = await hush([
        'apply',
        'nginx.service',
        '--duration',
        '20s',
        '--set',
        'SystemCallFilter=~sendfile',
        '--watch',
        '120s',
        '--rollback-on-denial',
        '--json',
        ...cliTargetFlags(host),
      ]);
      expect({ code: r.code, stderr: r.code === 5 ? '' : r.stderr.slice(-3000) }).toEqual({
        code: 5,
        stderr: '',
      });
      const out = JSON.parse(r.stdout) as {
        dropIn: string;
        result: { verdict: string };
        watch: {
          denials: {
            finding: Record<string, unknown>;
            attribution: string;
            causes: { option: string; relaxation: { option: string; value: string[] }[] }[];
          }[];
          relaxation: unknown[];
        };
        rolledBack: { how: string };
      };
      expect(out.result.verdict).toBe('applied');
      expect(out.dropIn).toMatch(/^SystemCallFilter=~sendfile$/m);
      const sigsys = out.watch.denials.find((d) => d.finding.kind === 'seccomp');
      expect(sigsys).toBeDefined();
      expect(sigsys!.finding).toMatchObject({
        syscall: 'sendfile',
        action: 'kill-process',
        exe: '/usr/sbin/nginx',
      });
      expect(['cgroup', 'executable']).toContain(sigsys!.attribution);
      expect(sigsys!.causes).toEqual([
        expect.objectContaining({
          option: 'SystemCallFilter',
          relaxation: [{ option: 'SystemCallFilter', value: ['sendfile'] }],
        }),
      ]);
      expect(out.watch.relaxation).toContainEqual({ option: 'SystemCallFilter', value: ['sendfile'] });
      expect(out.rolledBack.how).toBe('reset');
      // back on its own configuration, as systemd reads it, and serving
      expect((await host.exec('systemctl cat nginx.service')).stdout).toBe(before);
      expect((await checkService(host, 'nginx')).ok).toBe(true);
      await host.exec('pkill -f "seq 150" || true');
      await traffic.catch(() => undefined);
    }),
  HOST_TEST_TIMEOUT_MS,
);
