/**
 * Re-profiling a unit hush already hardened (issue 14 part 2), the exact sequence through
 * the CLI: `hush apply nginx.service` hardens it (ProtectHome= denies /home), nginx's access log is
 * moved to /home/weblogs, and `hush apply nginx.service` again must profile nginx as it runs without
 * hush's drop-in (set aside for the session), so the profile sees the new log, the floor is nginx's
 * own hardening, and the new drop-in lets nginx write there: the apply verifies and nginx's check
 * (which follows the configured access log) passes. Before that, on the first hardened state, the
 * set-aside's guard: a set-aside whose session never starts is undone by the host alone.
 * Commands run in-process through cli/main with real SSH.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Profile } from '../../core/profile/schema';
import { setAsideForSessionCommand, setAsidePaths } from '../../remote/profile/setAside';
import { checkService, HOST_TEST_TIMEOUT_MS, hostOutput, withTestHost } from '../host';
import { cliTargetFlags, runHush } from './profile-support';

const WORKLOAD = 'for i in $(seq 15); do curl -s -o /dev/null -m 5 http://127.0.0.1/; sleep 1; done';
const protectHome = async (host: Parameters<typeof hostOutput>[0]) =>
  (await hostOutput(host, 'systemctl show -p ProtectHome --value nginx.service')).trim();

test(
  "apply, move the access log to /home/weblogs, apply again: the re-profile runs without hush's drop-in and the new one allows the directory (debian-13)",
  () =>
    withTestHost('debian-13', async (host) => {
      const t0 = Date.now();
      const dir = mkdtempSync(path.join(tmpdir(), 'hush-reprofile-'));
      const apply = (saveAs: string) =>
        runHush([
          'apply',
          'nginx.service',
          '--duration',
          '10s',
          '--workload',
          WORKLOAD,
          '--save-profile',
          path.join(dir, saveAs),
          '--json',
          ...cliTargetFlags(host),
        ]);
      const first = await apply('first.json');
      expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr.slice(-3000) }).toEqual({
        code: 0,
        stderr: '',
      });
      const hardened = await protectHome(host);
      expect(['yes', 'tmpfs', 'read-only']).toContain(hardened);
      const aside = setAsidePaths('nginx.service');

      // The guard: hush's drop-in set aside as the plan step does it, then the session never starts.
      await hostOutput(host, setAsideForSessionCommand('nginx.service', 300, '@@t@@').text);
      expect(await protectHome(host)).toBe('no'); // the floor is nginx's own hardening
      expect((await host.exec(`systemctl is-active ${aside.guardUnit}.timer`)).stdout.trim()).toBe('active');
      await hostOutput(host, `systemctl start ${aside.guardUnit}.service`); // the timer firing early
      expect(await protectHome(host)).toBe(hardened);
      expect((await host.exec(`test -e ${aside.mask} || test -L ${aside.mask}`)).code).not.toBe(0);
      expect((await host.exec(`test -e ${aside.guardScript}`)).code).not.toBe(0);

      // The operator moves the access log under /home; nginx is not restarted yet.
      await hostOutput(
        host,
        "mkdir -p /home/weblogs && sed -i 's#access_log /var/log/nginx/access.log;#access_log /home/weblogs/access.log;#' /etc/nginx/nginx.conf && grep -q 'access_log /home/weblogs/access.log;' /etc/nginx/nginx.conf && nginx -t",
      );
      const second = await apply('second.json');
      expect({ code: second.code, stderr: second.code === 0 ? '' : second.stderr.slice(-3000) }).toEqual({
        code: 0,
        stderr: '',
      });
      expect(second.stderr).toMatch(/hardening of nginx\.service set aside for the session/);
      const out = JSON.parse(second.stdout) as { result: { verdict: string }; dropIn: string };
      expect(out.result.verdict).toBe('applied');
      const profile = JSON.parse(readFileSync(path.join(dir, 'second.json'), 'utf8')) as Profile;
      // probed without hush's drop-in: the unit's own ProtectHome (unset) is the floor
      expect(profile.host?.unit?.properties.ProtectHome).toBe('no');
      expect(
        profile.actions.some((a) => a.action.kind === 'path' && a.action.path === '/home/weblogs/access.log'),
      ).toBe(true);
      // what systemd reads back allows writing there, nginx serves and logs there, nothing left over
      expect(await protectHome(host)).not.toMatch(/^(yes|tmpfs|read-only)$/);
      const check = await checkService(host, 'nginx');
      expect({ ok: check.ok, output: check.ok ? '' : check.output }).toEqual({ ok: true, output: '' });
      expect(check.output).toContain('/home/weblogs/access.log');
      expect((await host.exec(`test -e ${aside.mask} || test -L ${aside.mask}`)).code).not.toBe(0);
      expect((await host.exec(`systemctl is-active ${aside.guardUnit}.timer`)).stdout.trim()).not.toBe(
        'active',
      );
      rmSync(dir, { recursive: true, force: true });
      process.stderr.write(`reprofile: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }),
  2 * HOST_TEST_TIMEOUT_MS,
);
