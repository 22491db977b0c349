// examples/fleet driven by the real `pulumi` CLI against one Debian 13 VM (what several hosts in
// parallel cost is bench:compare's fleet section, which runs the same program on three VMs):
//
//   a hosts list missing a field → preview fails naming it
//   up with `tracing: full` → the profile was traced in full (profileStats and every run of the
//   profile say so), nginx hardened and serving
//   → tracing switched to decisions → preview plans a re-profile with `tracing` as the reason
//   → destroy → `systemctl cat nginx.service` as before; the key in no state file nor output.
import path from 'node:path';
import { z } from 'zod';
import { HOST_TEST_TIMEOUT_MS, checkService, hostOutput as sh, withTestHost } from '../host';
import {
  createEngine,
  expectNoPrivateKey,
  parsePreview,
  pulumi,
  pulumiOk,
  REPO_ROOT,
  resourceOutputs,
  SERVICE_PROFILE_TYPE,
  stateFilesText,
  type Engine,
} from './pulumiEngine';

const PROJECT = path.join(REPO_ROOT, 'examples', 'fleet');
const DROPIN = '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf';

const FleetOutputs = z.object({
  exposure: z.array(z.object({ host: z.string(), before: z.number(), after: z.number() })),
  profileStats: z.array(z.object({ host: z.string(), tracing: z.string(), windowSeconds: z.number() })),
});

test(
  'examples/fleet: bad hosts config, up with tracing full, a tracing change plans a re-profile, destroy',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine: Engine = createEngine();
      const stack = ['--stack', 'e2e-fleet'];
      const cli = (args: string[]) => pulumiOk(engine, PROJECT, [...args, ...stack]);
      const t0 = Date.now();
      const mark = (step: string) =>
        console.log(`pulumi-fleet: ${step} at ${Math.round((Date.now() - t0) / 1000)} s`);
      try {
        await pulumiOk(engine, PROJECT, ['stack', 'init', 'e2e-fleet']);
        // 0. A host without its pinned key: the program refuses, naming the field.
        await cli(['config', 'set', 'hosts', JSON.stringify([{ host: host.host, port: host.port }])]);
        const bad = await pulumi(engine, PROJECT, ['preview', ...stack]);
        expect(bad.code).not.toBe(0);
        expect(bad.stdout + bad.stderr).toMatch(/hosts\.0\.hostKey/);
        mark('bad input');

        // 1. up with full tracing: the input reaches the profiling session.
        const hosts = [
          {
            name: 'vm',
            host: host.host,
            port: host.port,
            user: host.user,
            hostKey: host.hostKeyFingerprint,
            privateKeyPath: host.privateKeyPath,
          },
        ];
        await cli(['config', 'set', 'hosts', JSON.stringify(hosts)]);
        await cli(['config', 'set', 'profileSeconds', '3']);
        await cli(['config', 'set', 'tracing', 'full']);
        const catBefore = await sh(host, 'systemctl cat nginx.service');
        await cli(['up', '--yes', '--skip-preview']);
        const outputs = FleetOutputs.parse(JSON.parse((await cli(['stack', 'output', '--json'])).stdout));
        expect(outputs.profileStats).toMatchObject([{ host: 'vm', tracing: 'full' }]);
        const [exposure] = outputs.exposure;
        expect(exposure?.after).toBeLessThan(exposure?.before ?? 0);
        const profile = JSON.parse(
          String((await resourceOutputs(engine, PROJECT, stack, SERVICE_PROFILE_TYPE)).profile),
        ) as { runs: { tracing?: string }[] };
        expect(profile.runs.length).toBeGreaterThan(0);
        expect(profile.runs.map((r) => r.tracing)).toEqual(profile.runs.map(() => 'full'));
        expect(await sh(host, `cat ${DROPIN}`)).toMatch(/^\[Service\]$/m);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('up (tracing full)');

        // 2. Another tracing is another profile: preview plans a re-profile, naming the input.
        await cli(['config', 'set', 'tracing', 'decisions']);
        const plan = parsePreview((await cli(['preview', '--json'])).stdout);
        const replace = plan.steps.find((s) => s.type === SERVICE_PROFILE_TYPE && s.op === 'replace');
        expect(replace).toMatchObject({ replaceReasons: ['tracing'] });
        mark('re-profile planned');

        // 3. destroy: the unit exactly as before, nginx healthy, no key anywhere.
        await cli(['destroy', '--yes', '--skip-preview']);
        expect(await sh(host, 'systemctl cat nginx.service')).toBe(catBefore);
        expect((await host.exec(`test -e ${DROPIN}`)).code).not.toBe(0);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        expectNoPrivateKey(host.privateKey, [...stateFilesText(engine), ...engine.transcript]);
        mark('destroy');
      } finally {
        await pulumi(engine, PROJECT, ['stack', 'rm', '--yes', '--force', ...stack]);
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 2,
);
