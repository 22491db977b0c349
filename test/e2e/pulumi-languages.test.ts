// The provider plugin (pulumi-resource-hush) from the two other languages, with the real engine
// against one Debian 13 VM, nginx profiled once:
//
// Pulumi YAML (examples/yaml, the `pulumi` CLI and pulumi-language-yaml):
//   up (profiled through the plugin, progress in the engine's log, the key in no state file; the
//   workload and health command, given as secrets, ran on the host and show in no state file)
//   → preview with no changes
//   → the plugin of another package version (0.1.1, same options): no diff, no restart
//   → edit the drop-in on the host → refresh warns, preview plans the drop-in's update
//   → `pulumi import` of the drop-in into another stack: adopted as it is, no restart
//   → destroy → `systemctl cat nginx.service` as before.
// Python (examples/python through the Automation API: no Python language host exists here):
//   up from the profile the YAML stack took (no second profiling) → preview with no changes
//   → delete the drop-in on the host → refresh warns, preview plans its update
//     (the health command given as a secret ran, and shows in no state file)
//   → caddy, hardened by hand, adopted with the `import` resource option: its own hardening
//     recorded and kept, hush's file on top (and nginx's drop-in put back by the same `up`)
//   → destroy → `systemctl cat` of nginx and caddy as they were before hush.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { HOST_TEST_TIMEOUT_MS, checkService, hostOutput as sh, withTestHost, type TestHost } from '../host';
import {
  createEngine,
  expectNoneInPlain,
  expectNoPrivateKey,
  nginxRequestsFrom,
  parsePreview,
  PLUGIN_HARDENING_DROPIN_TYPE,
  PLUGIN_SERVICE_PROFILE_TYPE,
  pulumiOk,
  pulumi,
  REPO_ROOT,
  resourceOutputs,
  run,
  stateFilesText,
  type Engine,
} from './pulumiEngine';

const DROPIN = '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf';
const CADDY_OVERRIDE = '/etc/systemd/system/caddy.service.d/override.conf';
const CADDY_DROPIN = '/etc/systemd/system/caddy.service.d/zz-hush-hardening.conf';
/**
 * The user agents of the secret workload and health commands in examples/yaml and
 * examples/python: nginx's access log proves each ran, and none may show in plain text.
 */
const SECRET_MARKERS = {
  yamlWorkload: 'hush-workload',
  yamlHealth: 'hush-health-check',
  pyHealth: 'hush-py-health',
};

/** The unit's current run: a restart gives a new InvocationID and ActiveEnterTimestamp. */
const unitRun = (host: TestHost, unit: string) =>
  sh(host, `systemctl show -p InvocationID -p ActiveEnterTimestamp -p MainPID ${unit}`);

/** A Pulumi.yaml with the hush plugin registered at `pluginDir` instead of the example's path. */
function projectWithPlugin(source: string, pluginDir: string): string {
  const text = readFileSync(source, 'utf8');
  if (!/^ {6}path: \.\.\/\.\.\/bin$/m.test(text)) throw new Error(`${source} no longer registers ../../bin`);
  return text.replace(/^ {6}path: \.\.\/\.\.\/bin$/m, `      path: ${JSON.stringify(pluginDir)}`);
}

/**
 * A copy of the built package under another version (what `npm install pulumi-hush@0.1.1`
 * gives), whose plugin launcher also notes each start in `started` (so the test knows the engine
 * ran this one).
 */
function packageAtVersion(dir: string, version: string): { bin: string; started: string } {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  if (pkg.version === version) throw new Error(`the package is already at ${version}`);
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  const started = path.join(dir, 'started');
  const launcher = readFileSync(path.join(REPO_ROOT, 'bin', 'pulumi-resource-hush'), 'utf8');
  writeFileSync(
    path.join(dir, 'bin', 'pulumi-resource-hush'),
    launcher.replace(/^exec node /m, `echo started >> ${JSON.stringify(started)}\nexec node `),
    { mode: 0o755 },
  );
  return { bin: path.join(dir, 'bin'), started };
}

const StackOutputs = z.object({
  dropInPath: z.string(),
  dropInText: z.string(),
  exposureBefore: z.number(),
  exposureAfter: z.number(),
  warnings: z.array(z.string()),
  profileJson: z.string(),
});

const PyResult = z.object({
  result: z.string().optional(),
  resourceChanges: z.record(z.string(), z.number()).optional(),
  changeSummary: z.record(z.string(), z.number()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
});

test(
  'plugin from YAML and Python: up, no-change preview, upgrade without restart, drift, import (adopted and hand-hardened), destroy',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine: Engine = createEngine();
      const work = mkdtempSync(path.join(tmpdir(), 'hush-languages-'));
      const t0 = Date.now();
      const mark = (step: string) =>
        console.log(`pulumi-languages: ${step} at ${Math.round((Date.now() - t0) / 1000)} s`);
      const importEnv = { HUSH_IMPORT_PRIVATE_KEY_FILE: host.privateKeyPath };
      const importId = (unit: string) =>
        `${host.user}@${host.host}:${host.port}/${unit}#${host.hostKeyFingerprint}`;
      const yamlDir = path.join(work, 'yaml');
      const yamlProject = path.join(REPO_ROOT, 'examples', 'yaml', 'Pulumi.yaml');
      const stack = ['--stack', 'yaml'];
      const yaml = (args: string[], env?: NodeJS.ProcessEnv) =>
        pulumiOk(engine, yamlDir, [...args, ...stack], env ? { env } : {});
      const pyWork = path.join(work, 'python');
      const py = async (args: string[], stdin?: string) => {
        const r = await run(
          engine,
          engine.python,
          [
            path.join(REPO_ROOT, 'examples', 'python', 'automation.py'),
            '--stack',
            'py',
            '--work-dir',
            pyWork,
            ...args,
          ],
          REPO_ROOT,
          { ...(stdin !== undefined ? { stdin } : {}), env: importEnv },
        );
        if (r.code !== 0) throw new Error(`automation.py ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
        return { ...PyResult.parse(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')), log: r.stderr };
      };
      const nginxCat = await sh(host, 'systemctl cat nginx.service');
      try {
        // ---------------------------------------------------------------- Pulumi YAML
        mkdirSync(yamlDir);
        writeFileSync(
          path.join(yamlDir, 'Pulumi.yaml'),
          projectWithPlugin(yamlProject, path.join(REPO_ROOT, 'bin')),
        );
        await pulumiOk(engine, yamlDir, ['stack', 'init', 'yaml']);
        for (const [k, v] of [
          ['host', host.host],
          ['port', String(host.port)],
          ['hostKey', host.hostKeyFingerprint],
          ['profileSeconds', '3'],
        ] as const)
          await yaml(['config', 'set', k, v]);
        await pulumiOk(engine, yamlDir, ['config', 'set', 'privateKey', '--secret', ...stack], {
          stdin: host.privateKey,
        });

        // up: profiled and applied through the plugin, with progress in the engine's log.
        const up = await yaml(['up', '--yes', '--skip-preview']);
        expect(up.stdout).toMatch(/profiling window open/);
        expect(up.stdout).toMatch(/profiled nginx\.service: \d+ lines traced/);
        expect(up.stdout).toMatch(/apply: (applied|writing)/);
        const outputs = StackOutputs.parse(JSON.parse((await yaml(['stack', 'output', '--json'])).stdout));
        const text = await sh(host, `cat ${DROPIN}`);
        expect(outputs.dropInPath).toBe(DROPIN);
        expect(outputs.dropInText).toBe(text);
        expect(text).toMatch(/^ProtectSystem=/m);
        expect(outputs.exposureAfter).toBeLessThan(outputs.exposureBefore);
        // (On a loaded machine the profiling session may warn, e.g. a slow restore: an output.)
        expect(outputs.warnings.every((w) => typeof w === 'string')).toBe(true);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        const profiled = await resourceOutputs(engine, yamlDir, stack, PLUGIN_SERVICE_PROFILE_TYPE);
        expect(profiled).toMatchObject({ phase: 'profiled', reprofileReasons: [] });
        expectNoPrivateKey(host.privateKey, stateFilesText(engine));
        // The secret workload ran during the window, the secret health check after the apply.
        expect(await nginxRequestsFrom(host, SECRET_MARKERS.yamlWorkload)).toBeGreaterThan(0);
        expect(await nginxRequestsFrom(host, SECRET_MARKERS.yamlHealth)).toBeGreaterThan(0);
        expectNoneInPlain('a secret workload or health command', Object.values(SECRET_MARKERS), [
          ...stateFilesText(engine),
          ...engine.transcript,
        ]);
        mark('yaml up');

        // Nothing to do: preview with no changes.
        await yaml(['preview', '--expect-no-changes']);
        mark('yaml preview');

        // Another version of the package, same options: the drop-in's header would name the new
        // version, but only options count: no diff, and nginx keeps running as it was.
        const nginxBefore = await unitRun(host, 'nginx.service');
        const next = packageAtVersion(path.join(work, 'next'), '0.1.1');
        writeFileSync(path.join(yamlDir, 'Pulumi.yaml'), projectWithPlugin(yamlProject, next.bin));
        await yaml(['preview', '--expect-no-changes']);
        await yaml(['up', '--yes', '--skip-preview', '--expect-no-changes']);
        expect(await unitRun(host, 'nginx.service')).toBe(nginxBefore);
        expect(await sh(host, `cat ${DROPIN}`)).toBe(text);
        // It was the 0.1.1 plugin that answered (and it renders its own version into the header).
        expect(readFileSync(next.started, 'utf8')).toMatch(/^started$/m);
        const { hushVersion } = (await import(
          path.join(work, 'next', 'dist', 'core', 'dropin', 'version.js')
        )) as {
          hushVersion: () => string;
        };
        expect(hushVersion()).toBe('0.1.1');
        mark('upgrade without restart');

        // Drift: refresh warns through the engine, the next preview plans to put the file back.
        await sh(host, `sed -i 's/^ProtectSystem=.*/ProtectSystem=true/' ${DROPIN}`);
        const refreshed = await yaml(['refresh', '--yes', '--skip-preview']);
        expect(refreshed.stdout).toMatch(/warning: hush's drop-in of nginx\.service was edited on the host/);
        expect(await resourceOutputs(engine, yamlDir, stack, PLUGIN_HARDENING_DROPIN_TYPE)).toMatchObject({
          drift: 'edited',
        });
        const plan = parsePreview((await yaml(['preview', '--json'])).stdout);
        expect(plan.steps.filter((s) => s.op === 'update').map((s) => s.type)).toEqual([
          PLUGIN_HARDENING_DROPIN_TYPE,
        ]);
        await host.exec(`cat > ${DROPIN}`, { stdin: text }); // back as hush wrote it
        mark('yaml drift');

        // Import: another stack adopts the drop-in as it is (no restart), credentials from the env.
        const importDir = path.join(work, 'import');
        mkdirSync(importDir);
        writeFileSync(
          path.join(importDir, 'Pulumi.yaml'),
          `name: hush-import\nruntime: yaml\nplugins:\n  providers:\n    - name: hush\n      path: ${JSON.stringify(path.join(REPO_ROOT, 'bin'))}\n`,
        );
        await pulumiOk(engine, importDir, ['stack', 'init', 'adopt']);
        const beforeImport = await unitRun(host, 'nginx.service');
        await pulumiOk(
          engine,
          importDir,
          [
            'import',
            PLUGIN_HARDENING_DROPIN_TYPE,
            'adopted',
            importId('nginx.service'),
            '--yes',
            '--generate-code=false',
            '--protect=false',
            '--stack',
            'adopt',
          ],
          { env: importEnv },
        );
        expect(
          await resourceOutputs(engine, importDir, ['--stack', 'adopt'], PLUGIN_HARDENING_DROPIN_TYPE),
        ).toMatchObject({ content: text, path: DROPIN, drift: null, existingHardening: [] });
        expect(await unitRun(host, 'nginx.service')).toBe(beforeImport);
        // The stack goes without deleting what it adopted (the YAML stack still owns the file).
        await pulumiOk(engine, importDir, ['stack', 'rm', '--yes', '--force', '--stack', 'adopt']);
        mark('yaml import');

        await yaml(['destroy', '--yes', '--skip-preview']);
        expect(await sh(host, 'systemctl cat nginx.service')).toBe(nginxCat);
        expect((await host.exec(`test -e ${DROPIN}`)).code).not.toBe(0);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('yaml destroy');

        // ---------------------------------------------------------------- Python
        for (const [k, v] of [
          ['host', host.host],
          ['port', String(host.port)],
          ['hostKey', host.hostKeyFingerprint],
          // The profile the YAML stack took: profiling again would prove nothing new.
          ['profile', outputs.profileJson],
        ] as const)
          await py(['config', 'set', k, v]);
        await py(['config', 'set', 'privateKey', '--secret'], host.privateKey);

        const pyUp = await py(['up']);
        expect(pyUp).toMatchObject({ result: 'succeeded', resourceChanges: { create: 3 } });
        const pyText = await sh(host, `cat ${DROPIN}`);
        expect(pyUp.outputs).toMatchObject({ dropInPath: DROPIN, dropInText: pyText, warnings: [] });
        // Same profile, same mode: the same options as the YAML program's.
        expect(pyText.replace(/^#.*\n/gm, '')).toBe(text.replace(/^#.*\n/gm, ''));
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        expect(await nginxRequestsFrom(host, SECRET_MARKERS.pyHealth)).toBeGreaterThan(0);
        mark('python up');

        expect((await py(['preview', '--expect-no-changes'])).changeSummary).toEqual({ same: 3 });
        mark('python preview');

        await sh(host, `rm -f ${DROPIN} && systemctl daemon-reload`);
        const pyRefresh = await py(['refresh']);
        expect(pyRefresh.log).toMatch(/hush's drop-in of nginx\.service was deleted on the host/);
        expect((await py(['preview'])).changeSummary).toMatchObject({ update: 1 });
        mark('python drift');

        // caddy hardened by hand, adopted with the `import` resource option (no language host
        // needed, unlike `pulumi import`): its own hardening is recorded and kept, hush's file
        // goes on top; the same `up` puts nginx's deleted drop-in back.
        const override = '[Service]\nProtectHome=read-only\nPrivateTmp=yes\n';
        await sh(host, `mkdir -p ${path.dirname(CADDY_OVERRIDE)}`);
        await host.exec(`cat > ${CADDY_OVERRIDE} && systemctl daemon-reload && systemctl restart caddy`, {
          stdin: override,
        });
        const caddyCat = await sh(host, 'systemctl cat caddy.service');
        const caddyContent = '[Service]\nNoNewPrivileges=yes\n';
        const adopt = [
          { name: 'caddy', unit: 'caddy.service', id: importId('caddy.service'), content: caddyContent },
        ];
        await py(['config', 'set', 'adopt', JSON.stringify(adopt)]);
        const adopted = await py(['up']);
        expect(adopted).toMatchObject({ result: 'succeeded', resourceChanges: { import: 1 } });
        expect(z.record(z.string(), z.array(z.unknown())).parse(adopted.outputs?.adopted).caddy).toEqual(
          expect.arrayContaining([
            { option: 'ProtectHome', value: 'read-only', file: CADDY_OVERRIDE },
            { option: 'PrivateTmp', value: 'yes', file: CADDY_OVERRIDE },
          ]),
        );
        expect(await sh(host, `cat ${CADDY_OVERRIDE}`)).toBe(override);
        expect(await sh(host, `cat ${CADDY_DROPIN}`)).toBe(caddyContent);
        expect(await sh(host, `cat ${DROPIN}`)).toBe(pyText);
        expect(await checkService(host, 'caddy')).toMatchObject({ ok: true });
        mark('python import');

        // destroy: both units exactly as before hush (caddy keeps the hardening written by hand).
        expect(await py(['destroy'])).toMatchObject({ result: 'succeeded' });
        expect(await sh(host, 'systemctl cat nginx.service')).toBe(nginxCat);
        expect(await sh(host, 'systemctl cat caddy.service')).toBe(caddyCat);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        expect(await checkService(host, 'caddy')).toMatchObject({ ok: true });
        mark('python destroy');

        const everything = [...stateFilesText(engine), ...engine.transcript];
        expectNoPrivateKey(host.privateKey, everything);
        expectNoneInPlain('a secret workload or health command', Object.values(SECRET_MARKERS), everything);
      } finally {
        await host.exec(
          `rm -f ${DROPIN} ${CADDY_OVERRIDE} ${CADDY_DROPIN}; rmdir ${path.dirname(CADDY_OVERRIDE)} ${path.dirname(DROPIN)} 2>/dev/null; systemctl daemon-reload; systemctl restart nginx caddy`,
        );
        await pulumi(engine, yamlDir, ['stack', 'rm', '--yes', '--force', ...stack]).catch(() => undefined);
        rmSync(work, { recursive: true, force: true });
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 4,
);
