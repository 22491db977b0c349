/**
 * `hush apply --watch D --rollback-on-denial` end to end on the test host, as a user runs it: nginx
 * is profiled and hardened with a syscall filter forced to deny sendfile (which nginx uses for
 * every static file), so the apply itself verifies (the settle time sees no request), and the
 * first request afterwards kills a worker with SIGSYS. The watch must find the kernel's seccomp
 * record, name sendfile, blame SystemCallFilter and suggest `SystemCallFilter=sendfile`, then put
 * the unit back exactly as it was before hush (no drop-in: `systemctl cat` identical), and nginx's
 * functional check must pass. Then the canary with the same forced filter and the saved profile:
 * the filter as SystemCallLog=sendfile, requests logged instead of killed, the enforced drop-in
 * allows sendfile again (as systemd reads it back), nginx passes its check, hush reset cleans up.
 * Commands run in-process through cli/main with real SSH.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkService, HOST_TEST_TIMEOUT_MS, withTestHost } from '../host';
import { cliTargetFlags, runHush } from './profile-support';

const hush = runHush;

test(
  'apply --watch --rollback-on-denial: a SIGSYS after the apply is attributed, explained and rolled back; apply --canary: logged, then enforced allowing it (debian-13)',
  () =>
    withTestHost('debian-13', async (host) => {
      const before = (await host.exec('systemctl cat nginx.service')).stdout;
      const dir = mkdtempSync(path.join(tmpdir(), 'hush-watch-'));
      const profileFile = path.join(dir, 'nginx.profile.json');
      // Requests keep coming for the whole window, so the first one after the restart hits the filter.
      const traffic = host.exec(
        'for i in $(seq 300); do curl -s -o /dev/null -m 5 http://127.0.0.1/; sleep 2; done',
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
        '60s',
        '--rollback-on-denial',
        '--save-profile',
        profileFile,
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

      // The canary: the same forced filter in log-only form first; requests during the canary are
      // logged (not killed), and the enforced filter allows what was logged.
      const c = await hush([
        'apply',
        'nginx.service',
        '--profile',
        profileFile,
        '--set',
        'SystemCallFilter=~sendfile',
        '--canary',
        '45s',
        '--json',
        ...cliTargetFlags(host),
      ]);
      expect({ code: c.code, stderr: c.code === 0 ? '' : c.stderr.slice(-3000) }).toEqual({
        code: 0,
        stderr: '',
      });
      const canary = JSON.parse(c.stdout) as {
        canaryDropIn: string;
        dropIn: string;
        logged: string[];
        enforced: { verdict: string };
      };
      expect(canary.canaryDropIn).toMatch(/^SystemCallLog=sendfile$/m);
      expect(canary.canaryDropIn).not.toMatch(/^SystemCallFilter=/m);
      expect(canary.logged).toContain('sendfile');
      expect(canary.enforced.verdict).toBe('applied');
      expect(canary.dropIn).toMatch(/^SystemCallFilter=~sendfile$/m);
      expect(canary.dropIn).toMatch(/^SystemCallFilter=sendfile$/m);
      // what systemd itself reads back: a deny list without sendfile, and nginx serving files
      const show = (await host.exec('systemctl show -p SystemCallFilter nginx.service')).stdout.trim();
      expect(show).toMatch(/^SystemCallFilter=~/);
      expect(show.split(/\s+/)).not.toContain('sendfile');
      expect((await checkService(host, 'nginx')).ok).toBe(true);
      expect((await hush(['reset', 'nginx.service', ...cliTargetFlags(host)])).code).toBe(0);
      await host.exec('pkill -f "seq 300" || true');
      await traffic.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }),
  // one profile (20 s window, minutes of wrapped restarts under TCG), three verified applies, a
  // reset and two watch windows in one case, so the host is booted and profiled once
  2 * HOST_TEST_TIMEOUT_MS,
);
