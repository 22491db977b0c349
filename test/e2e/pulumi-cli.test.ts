// The root Pulumi.yaml project (the demo program, examples/demo) driven by the real `pulumi` CLI
// and the Node.js language host against a real Debian 13 VM, on one stack, step by step:
//
//   bad input → preview fails naming the field
//   up (profiled, hardened, functional check passes; the key is not in the state)
//   → up again (no changes; nginx not restarted: same InvocationID / ActiveEnterTimestamp)
//   → edit the drop-in on the host → preview --refresh plans the drop-in's update (drift)
//   → up --refresh restores the declared bytes
//   → change the mode → the drop-in updates, the profile stays (no re-profile)
//   → move the stack to the provider plugin (the same program on pulumi-hush/plugin, whose
//     resources alias the dynamic ones): preview plans nothing, up restarts nothing
//   → replace nginx's binary on the host → refresh (now through the plugin) records why, preview
//     plans a re-profile
//   → destroy (through the plugin) → `systemctl cat nginx.service` as before; no secret in any
//     state file or output.
//
// pulumi-automation.test.ts covers, through the Automation API: a hardening that breaks the
// service (failed `up`, readable message, service healthy), then the update without a re-profile
// and destroy on the same stack.
import { HOST_TEST_TIMEOUT_MS, checkService, hostOutput as sh, withTestHost, type TestHost } from '../host';
import {
  createEngine,
  expectNoPrivateKey,
  HARDENING_DROPIN_TYPE,
  lastUpdate,
  parsePreview,
  PLUGIN_HARDENING_DROPIN_TYPE,
  PLUGIN_SERVICE_PROFILE_TYPE,
  pulumi,
  pulumiOk,
  REPO_ROOT,
  resourceOutputs,
  SERVICE_PROFILE_TYPE,
  stateFilesText,
  type Engine,
  type PreviewStep,
} from './pulumiEngine';

const DROPIN = '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf';

/** The unit's current run: a restart gives a new InvocationID and ActiveEnterTimestamp. */
const nginxRun = (host: TestHost) =>
  sh(host, 'systemctl show -p InvocationID -p ActiveEnterTimestamp -p MainPID nginx.service');

/** The steps that change a resource of `type` (`preview --json` lists no unchanged ones). */
const stepOf = (steps: PreviewStep[], type: string): PreviewStep[] =>
  steps.filter((s) => s.type === type && s.op !== 'refresh' && s.op !== 'same');

/** A change summary without its unchanged count: e.g. `{ update: 1 }` when only the drop-in changes. */
const changesOf = (summary: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(summary).filter(([op, n]) => op !== 'same' && n > 0));

test(
  'pulumi CLI on Pulumi.yaml: bad input, up, idempotent up, drift, restore, mode change, re-profile, destroy',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine: Engine = createEngine();
      const stack = ['--stack', 'e2e'];
      const t0 = Date.now();
      const mark = (step: string) =>
        console.log(`pulumi-cli: ${step} at ${Math.round((Date.now() - t0) / 1000)} s`);
      const cli = (args: string[]) => pulumiOk(engine, REPO_ROOT, [...args, ...stack]);
      const cfg = (key: string, value: string) => cli(['config', 'set', key, value]);
      try {
        await pulumiOk(engine, REPO_ROOT, ['stack', 'init', 'e2e']);
        await cfg('host', host.host);
        await cfg('hostKey', host.hostKeyFingerprint);
        // The key as a secret config value (no privateKeyPath: the program must use the secret).
        await pulumiOk(engine, REPO_ROOT, ['config', 'set', 'privateKey', '--secret', ...stack], {
          stdin: host.privateKey,
        });
        // A short window: start-up under strace plus a few requests (the demo's workload).
        await cfg('profileSeconds', '3');

        // 0. A bad input fails the preview, naming the field, before anything touches the host.
        await cfg('port', '70000');
        const bad = await pulumi(engine, REPO_ROOT, ['preview', ...stack]);
        expect(bad.code).not.toBe(0);
        expect(bad.stdout + bad.stderr).toMatch(/connection\.port[^\n]*must be 1 to 65535/);
        await cfg('port', String(host.port));
        const catBefore = await sh(host, 'systemctl cat nginx.service');
        mark('bad input');

        // 1. up: profiles, resolves, applies; nginx serves with the drop-in.
        await cli(['up', '--yes', '--skip-preview']);
        expect(await lastUpdate(engine, REPO_ROOT, stack)).toMatchObject({
          kind: 'update',
          result: 'succeeded',
          resourceChanges: { create: 4 },
        });
        const text = await sh(host, `cat ${DROPIN}`);
        expect(text).toMatch(/^\[Service\]$/m);
        expect(text).toMatch(/^ProtectSystem=/m);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        const outputs = JSON.parse((await cli(['stack', 'output', '--json'])).stdout);
        expect(outputs.dropInText).toBe(text);
        expect(outputs.dropInPath).toBe(DROPIN);
        expect(outputs.exposureAfter).toBeLessThan(outputs.exposureBefore);
        const profiled = await resourceOutputs(engine, REPO_ROOT, stack, SERVICE_PROFILE_TYPE);
        expect(typeof profiled.profile).toBe('string');
        expect(profiled.reprofileReasons).toEqual([]);
        // The key went in as a secret: no state file (stack, backups, history) holds it in plain.
        expectNoPrivateKey(host.privateKey, stateFilesText(engine));
        mark('up');

        // 2. up again: nothing to do, and nginx was not restarted.
        const run = await nginxRun(host);
        await cli(['up', '--yes', '--skip-preview', '--expect-no-changes']);
        expect((await lastUpdate(engine, REPO_ROOT, stack)).resourceChanges).toEqual({ same: 4 });
        expect(await nginxRun(host)).toBe(run);
        mark('idempotent up');

        // 3. Edit the drop-in behind Pulumi's back: preview --refresh plans to put it back…
        await sh(host, `sed -i 's/^ProtectSystem=.*/ProtectSystem=true/' ${DROPIN}`);
        const drift = parsePreview((await cli(['preview', '--refresh', '--json'])).stdout);
        expect(stepOf(drift.steps, HARDENING_DROPIN_TYPE)).toMatchObject([{ op: 'update' }]);
        expect(changesOf(drift.changeSummary)).toEqual({ update: 1 });
        // …and up --refresh restores the declared bytes, the service healthy.
        await cli(['up', '--yes', '--skip-preview', '--refresh']);
        expect(await sh(host, `cat ${DROPIN}`)).toBe(text);
        expect((await lastUpdate(engine, REPO_ROOT, stack)).resourceChanges).toMatchObject({ update: 1 });
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('drift restored');

        // 4. Change the mode: the drop-in is re-resolved and updated; the profile is kept.
        await cfg('mode', 'standard');
        const modePreview = parsePreview((await cli(['preview', '--json'])).stdout);
        expect(stepOf(modePreview.steps, HARDENING_DROPIN_TYPE)).toMatchObject([{ op: 'update' }]);
        expect(changesOf(modePreview.changeSummary)).toEqual({ update: 1 });
        await cli(['up', '--yes', '--skip-preview']);
        expect((await lastUpdate(engine, REPO_ROOT, stack)).resourceChanges).toEqual({ update: 1, same: 3 });
        const text2 = await sh(host, `cat ${DROPIN}`);
        expect(text2).not.toBe(text);
        expect(JSON.parse((await cli(['stack', 'output', '--json'])).stdout).dropInText).toBe(text2);
        // Not re-profiled: the profile in the state is the very one taken in step 1.
        expect((await resourceOutputs(engine, REPO_ROOT, stack, SERVICE_PROFILE_TYPE)).profile).toBe(
          profiled.profile,
        );
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('mode change');

        // 5. The move to the provider plugin: the aliases carry every resource over, so nothing
        // is planned, nothing restarts, and the profile is the one taken in step 1.
        await cfg('plugin', 'true');
        const move = parsePreview((await cli(['preview', '--json'])).stdout);
        expect(changesOf(move.changeSummary)).toEqual({});
        const beforeMove = await nginxRun(host);
        await cli(['up', '--yes', '--skip-preview']);
        expect(await nginxRun(host)).toBe(beforeMove);
        expect((await resourceOutputs(engine, REPO_ROOT, stack, PLUGIN_SERVICE_PROFILE_TYPE)).profile).toBe(
          profiled.profile,
        );
        expect(await resourceOutputs(engine, REPO_ROOT, stack, PLUGIN_HARDENING_DROPIN_TYPE)).toMatchObject({
          content: text2,
          drift: null,
        });
        mark('moved to the plugin');

        // 6. nginx's binary is replaced on the host (as a package upgrade does: a new file renamed
        // over the old one): refresh records why, and preview plans a re-profile.
        await sh(
          host,
          'cp -p /usr/sbin/nginx /usr/sbin/nginx.hush-e2e && printf "\\0hush-e2e" >> /usr/sbin/nginx.hush-e2e && mv -f /usr/sbin/nginx.hush-e2e /usr/sbin/nginx',
        );
        await cli(['refresh', '--yes', '--skip-preview']);
        const reasons = (await resourceOutputs(engine, REPO_ROOT, stack, PLUGIN_SERVICE_PROFILE_TYPE))
          .reprofileReasons;
        expect(reasons).toEqual(['binary /usr/sbin/nginx: content changed']);
        const reprofile = parsePreview((await cli(['preview', '--json'])).stdout);
        // (A replacement is a create-replacement, replace and delete-replaced step; the replace
        // step carries the reason.)
        const profileSteps = stepOf(reprofile.steps, PLUGIN_SERVICE_PROFILE_TYPE);
        expect(profileSteps.map((s) => s.op)).toContain('replace');
        expect(profileSteps.find((s) => s.op === 'replace')).toMatchObject({
          replaceReasons: ['hostFingerprint'],
        });
        mark('re-profile planned');

        // 7. destroy: hush's file gone, the unit exactly as before hush, nginx healthy.
        await cli(['destroy', '--yes', '--skip-preview']);
        expect(await lastUpdate(engine, REPO_ROOT, stack)).toMatchObject({
          kind: 'destroy',
          result: 'succeeded',
          resourceChanges: { delete: 4 },
        });
        expect(await sh(host, 'systemctl cat nginx.service')).toBe(catBefore);
        expect((await host.exec(`test -e ${DROPIN}`)).code).not.toBe(0);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('destroy');

        // Nothing any step printed, nor any state file, holds the key.
        expectNoPrivateKey(host.privateKey, [...stateFilesText(engine), ...engine.transcript]);
      } finally {
        await pulumi(engine, REPO_ROOT, ['stack', 'rm', '--yes', '--force', ...stack]);
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 4,
);
