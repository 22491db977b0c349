// The root Pulumi.yaml project (the demo program) driven by the real `pulumi` CLI against a real
// Debian 13 VM: the whole lifecycle the issue asks for, step by step on one stack.
import { readFileSync } from 'node:fs';
import { HOST_TEST_TIMEOUT_MS, checkService, withTestHost, type TestHost } from '../host';
import { createEngine, pulumi, pulumiOk, REPO_ROOT, type Engine } from './pulumiEngine';

const DROPIN = '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf';

async function sh(host: TestHost, cmd: string): Promise<string> {
  const r = await host.exec(cmd);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** The main PID and start time of nginx: unchanged means not restarted. */
const nginxIdentity = (host: TestHost) =>
  sh(host, 'systemctl show -p MainPID -p ExecMainStartTimestampMonotonic nginx.service');

test(
  'pulumi CLI on Pulumi.yaml: up, idempotent up, drift, restore, mode change, re-profile, destroy',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine: Engine = createEngine();
      const stack = ['--stack', 'e2e'];
      try {
        await pulumiOk(engine, REPO_ROOT, ['stack', 'init', 'e2e']);
        const cfg = async (key: string, value: string, secret = false) =>
          pulumiOk(engine, REPO_ROOT, [
            'config',
            'set',
            ...stack,
            key,
            value,
            ...(secret ? ['--secret'] : []),
          ]);
        await cfg('host', host.host);
        await cfg('port', String(host.port));
        await cfg('hostKey', host.hostKeyFingerprint);
        await cfg('privateKey', readFileSync(host.privateKeyPath, 'utf8'), true);
        await cfg('privateKeyPath', host.privateKeyPath);
        await cfg('profileSeconds', '3');
        const catBefore = await sh(host, 'systemctl cat nginx.service');

        // 1. up: profiles, resolves, applies; nginx serves with the drop-in.
        const up1 = await pulumiOk(engine, REPO_ROOT, ['up', '--yes', '--skip-preview', ...stack]);
        expect(up1.stdout).toMatch(/created/);
        const text = await sh(host, `cat ${DROPIN}`);
        expect(text).toMatch(/^\[Service\]$/m);
        expect(text).toMatch(/^ProtectSystem=/m);
        expect((await checkService(host, 'nginx')).ok).toBe(true);
        const outputs = JSON.parse(
          (await pulumiOk(engine, REPO_ROOT, ['stack', 'output', '--json', '--show-secrets', ...stack]))
            .stdout,
        );
        expect(outputs.exposureAfter).toBeLessThan(outputs.exposureBefore);
        expect(outputs.dropInText).toBe(text);

        // 2. up again: nothing to do, nginx not restarted.
        const identity = await nginxIdentity(host);
        const up2 = await pulumiOk(engine, REPO_ROOT, ['up', '--yes', '--skip-preview', ...stack]);
        expect(up2.stdout).not.toMatch(/updated|created|replaced|deleted/);
        expect(await nginxIdentity(host)).toBe(identity);

        // 3. edit the drop-in behind Pulumi's back: preview --refresh shows the drift…
        await sh(host, `sed -i 's/^ProtectSystem=.*/ProtectSystem=true/' ${DROPIN}`);
        const drift = await pulumi(engine, REPO_ROOT, [
          'preview',
          '--refresh',
          '--diff',
          '--expect-no-changes',
          ...stack,
        ]);
        expect(drift.code).not.toBe(0);
        expect(drift.stdout).toMatch(/drift|content/);
        // …and up restores the declared text.
        await pulumiOk(engine, REPO_ROOT, ['up', '--yes', '--refresh', '--skip-preview', ...stack]);
        expect(await sh(host, `cat ${DROPIN}`)).toBe(text);

        // 4. change the mode: the drop-in is updated, the service is not re-profiled.
        await cfg('mode', 'aggressive');
        const preview = await pulumiOk(engine, REPO_ROOT, ['preview', '--diff', ...stack]);
        expect(preview.stdout).not.toMatch(/ServiceProfile[^\n]*replace/);
        const up4 = await pulumiOk(engine, REPO_ROOT, ['up', '--yes', '--skip-preview', ...stack]);
        expect(up4.stdout).toMatch(/updated/);
        expect(up4.stdout).not.toMatch(/nginx-profile[^\n]*(replaced|created)/);
        expect((await checkService(host, 'nginx')).ok).toBe(true);

        // 5. the binary changes on the host: refresh notices, preview plans a re-profile.
        await sh(host, 'printf "\\0hush-e2e" >> /usr/sbin/nginx');
        await pulumiOk(engine, REPO_ROOT, ['refresh', '--yes', '--skip-preview', ...stack]);
        const reprofile = await pulumiOk(engine, REPO_ROOT, ['preview', '--diff', ...stack]);
        expect(reprofile.stdout).toMatch(/nginx-profile/);
        expect(reprofile.stdout).toMatch(/replace/);

        // 6. destroy: the unit is exactly as before hush.
        await pulumiOk(engine, REPO_ROOT, ['destroy', '--yes', '--skip-preview', ...stack]);
        expect(await sh(host, 'systemctl cat nginx.service')).toBe(catBefore);
        expect((await checkService(host, 'nginx')).ok).toBe(true);
      } finally {
        await pulumi(engine, REPO_ROOT, ['stack', 'rm', '--yes', '--force', ...stack]);
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 4,
);
