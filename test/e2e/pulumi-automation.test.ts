// The HardenedService component through the Automation API (inline program, real engine, file
// backend) against a real Debian 13 VM, on one stack:
//
//   a hardening that breaks the service (forced PrivateNetwork=yes hides port 80 from the health
//   check) → `up` fails with a readable message, the drop-in is rolled back, nginx healthy
//   → the same stack without the breaking override, now with insecureAcceptAnyHostKey → `up`
//   hardens without re-profiling (the profile taken by the failed `up` is kept), warns through
//   the engine about the unverified host key, exposure drops, the key is not in the state, and
//   the workload and health command (given as secrets) ran and show in no state file or log
//   → destroy → `systemctl cat nginx.service` exactly as before.
//
// A second case on the same host (reset to its snapshot) drives a detached recording
// (window.record, issue 14) through its whole cycle: the first `up` starts it and returns
// before the deadline (no drop-in yet), preview and refresh report the host's progress and plan
// nothing, the first `up` after the deadline finishes it and applies the drop-in resolved from it,
// destroy restores the unit. On the drop-in that up wrote, a Node program adopts it through the
// provider plugin with `pulumi import` (no restart; its preview plans no create/replace/delete).
//
// pulumi-cli.test.ts covers the rest of the lifecycle (bad input, idempotent up without restart,
// drift and restore, mode change, the move to the plugin, binary replaced → re-profile) through
// the `pulumi` CLI on Pulumi.yaml.
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, PulumiCommand, type Stack } from '@pulumi/pulumi/automation';
import { HardenedService } from '../../components/hardenedService';
import { HOST_TEST_TIMEOUT_MS, checkService, withTestHost, type TestHost } from '../host';
import {
  createEngine,
  expectNoneInPlain,
  expectNoPrivateKey,
  nginxRequestsFrom,
  PLUGIN_HARDENING_DROPIN_TYPE,
  REPO_ROOT,
  SERVICE_PROFILE_TYPE,
  stateFilesText,
  type Engine,
} from './pulumiEngine';

const DROPIN = '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf';
/** The user agents of the program's secret workload and health command (nginx logs them). */
const WORKLOAD_AGENT = 'hush-auto-workload';
const HEALTH_AGENT = 'hush-auto-health';

interface ProgramArgs {
  host: TestHost;
  force?: Record<string, string>;
  /** Connect with insecureAcceptAnyHostKey instead of the pinned key. */
  insecure?: boolean;
  /** A detached recording until this (window.record.until) instead of the inline window. */
  recordUntil?: string;
}

function program({ host, force, insecure, recordUntil }: ProgramArgs) {
  return async () => {
    const svc = new HardenedService('nginx', {
      connection: {
        host: host.host,
        port: host.port,
        privateKey: host.privateKey,
        ...(insecure ? { insecureAcceptAnyHostKey: true } : { hostKey: host.hostKeyFingerprint }),
      },
      unit: 'nginx.service',
      // A short window: start-up under strace plus a few requests.
      // The workload and the health check as secrets (either may carry a credential).
      window: recordUntil
        ? { record: { until: recordUntil, maxTrace: '64M' } }
        : {
            durationSeconds: 3,
            workload: pulumi.secret(
              `for i in 1 2 3 4 5; do curl -fsS -o /dev/null -A ${WORKLOAD_AGENT} http://127.0.0.1/; done`,
            ),
          },
      ...(force ? { overrides: { force } } : {}),
      healthCommand: pulumi.secret(`curl -fsS -o /dev/null -A ${HEALTH_AGENT} http://127.0.0.1/`),
    });
    return {
      dropInText: svc.dropInText,
      exposureBefore: svc.exposureBefore,
      exposureAfter: svc.exposureAfter,
      phase: svc.phase,
      recording: svc.recording,
    };
  };
}

async function stackFor(engine: Engine, args: ProgramArgs, stackName = 'auto'): Promise<Stack> {
  const backend = `file://${path.join(engine.stateDir, 'backend')}`;
  return LocalWorkspace.createOrSelectStack(
    { projectName: 'hush-e2e-automation', stackName, program: program(args) },
    {
      pulumiCommand: await PulumiCommand.get({ root: path.dirname(engine.binDir), skipVersionCheck: false }),
      pulumiHome: path.join(engine.stateDir, 'home'),
      envVars: Object.fromEntries(
        Object.entries(engine.env).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      // main: the repo, so the dynamic-provider process resolves @pulumi/pulumi, ssh2 and zod.
      projectSettings: {
        name: 'hush-e2e-automation',
        runtime: 'nodejs',
        main: REPO_ROOT,
        backend: { url: backend },
      },
    },
  );
}

/** Outputs of the stack's one resource of `type`, from its exported state. */
async function outputsOf(stack: Stack, type: string): Promise<Record<string, unknown>> {
  const state = await stack.exportStack();
  const resources = (state.deployment as { resources: { type: string; outputs?: Record<string, unknown> }[] })
    .resources;
  const matches = resources.filter((r) => r.type === type);
  if (matches.length !== 1) throw new Error(`expected one ${type} in the state, found ${matches.length}`);
  return matches[0]?.outputs ?? {};
}

test(
  'Automation API: a breaking hardening rolls back; the fixed stack applies without re-profiling; destroy restores',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine = createEngine();
      const t0 = Date.now();
      const mark = (step: string) =>
        console.log(`pulumi-automation: ${step} at ${Math.round((Date.now() - t0) / 1000)} s`);
      const catBefore = (await host.exec('systemctl cat nginx.service')).stdout;
      const logs: string[] = [];
      const onOutput = (line: string) => logs.push(line);
      let stack: Stack | undefined;
      try {
        // A hardening that breaks the service: up fails, readably; the host is as it was.
        const breaking = await stackFor(engine, { host, force: { PrivateNetwork: 'yes' } });
        const failure = await breaking.up({ onOutput }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(failure).toBeInstanceOf(Error);
        const message = String(failure?.message);
        expect(message).toMatch(
          /hardening of nginx\.service failed verification and was rolled back \(the unit runs on its previous configuration\)/,
        );
        expect(message).toMatch(/health command exited [1-9]/);
        expect((await host.exec(`test -e ${DROPIN}`)).code).not.toBe(0);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        // The profile that failed `up` took is in the state; nothing of the drop-in is.
        const profiled = await outputsOf(breaking, SERVICE_PROFILE_TYPE);
        expect(typeof profiled.profile).toBe('string');
        mark('breaking hardening rolled back');

        // The same stack without the breaking override: hardened, and not profiled again.
        // (Now accepting any host key: a credentials change, an update of the profile that keeps it,
        // and loud: an engine warning naming the key the host presented.)
        stack = await stackFor(engine, { host, insecure: true });
        const upLogs: string[] = [];
        const up = await stack.up({ onOutput: (line) => upLogs.push(line) });
        logs.push(...upLogs);
        expect(up.summary.result).toBe('succeeded');
        expect(up.summary.resourceChanges).toMatchObject({ create: 1, update: 1 });
        expect(upLogs.join('')).toMatch(
          /warning: hush: WARNING: accepting ANY host key for [^ ]+ \(insecureAcceptAnyHostKey\): it presented SHA256:/,
        );
        expect((await outputsOf(stack, SERVICE_PROFILE_TYPE)).profile).toBe(profiled.profile);
        expect(up.outputs.exposureAfter?.value).toBeLessThan(up.outputs.exposureBefore?.value as number);
        expect((await host.exec(`cat ${DROPIN}`)).stdout).toBe(up.outputs.dropInText?.value);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        expectNoPrivateKey(host.privateKey, stateFilesText(engine));
        // The secret workload ran in the window, the secret health check after the apply.
        expect(await nginxRequestsFrom(host, WORKLOAD_AGENT)).toBeGreaterThan(0);
        expect(await nginxRequestsFrom(host, HEALTH_AGENT)).toBeGreaterThan(0);
        mark('hardened without re-profiling');

        // destroy: the unit exactly as before hush.
        const destroyed = await stack.destroy({ onOutput });
        expect(destroyed.summary.resourceChanges).toMatchObject({ delete: 4 });
        expect((await host.exec('systemctl cat nginx.service')).stdout).toBe(catBefore);
        expect((await host.exec(`test -e ${DROPIN}`)).code).not.toBe(0);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('destroy');

        // No state file and no engine output of any step holds the key or a secret command.
        const everything = [
          ...stateFilesText(engine),
          { path: 'engine output', text: logs.join('') },
          { path: 'up failure', text: message },
        ];
        expectNoPrivateKey(host.privateKey, everything);
        expectNoneInPlain(
          'the secret workload or health command',
          [WORKLOAD_AGENT, HEALTH_AGENT],
          everything,
        );
      } finally {
        await stack?.workspace.removeStack('auto', { force: true }).catch(() => undefined);
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 3,
);

/**
 * A Node program (inline, through the Automation API) whose HardeningDropIn is the provider
 * plugin's (pulumi-hush/plugin), registered by path in its Pulumi.yaml; import credentials from
 * HUSH_IMPORT_PRIVATE_KEY_FILE.
 */
async function adoptingStack(engine: Engine, host: TestHost, content: string): Promise<Stack> {
  const { HardeningDropIn } = await import('../../provider/plugin/sdk');
  const dir = mkdtempSync(path.join(engine.stateDir, 'adopt-'));
  const backend = `file://${path.join(engine.stateDir, 'backend')}`;
  writeFileSync(
    path.join(dir, 'Pulumi.yaml'),
    `name: hush-e2e-adopt\nruntime: nodejs\nmain: ${JSON.stringify(REPO_ROOT)}\nbackend:\n  url: ${JSON.stringify(backend)}\n` +
      `plugins:\n  providers:\n    - name: hush\n      path: ${JSON.stringify(path.join(REPO_ROOT, 'bin'))}\n`,
  );
  const program = async () => {
    const adopted = new HardeningDropIn(
      'adopted',
      {
        connection: {
          host: host.host,
          port: host.port,
          privateKey: host.privateKey,
          hostKey: host.hostKeyFingerprint,
        },
        unit: 'nginx.service',
        content,
      },
      { protect: false },
    );
    return { path: adopted.path };
  };
  return LocalWorkspace.createOrSelectStack(
    { projectName: 'hush-e2e-adopt', stackName: 'adopt', program },
    {
      workDir: dir,
      pulumiCommand: await PulumiCommand.get({ root: path.dirname(engine.binDir), skipVersionCheck: false }),
      pulumiHome: path.join(engine.stateDir, 'home'),
      envVars: {
        ...Object.fromEntries(
          Object.entries(engine.env).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        HUSH_IMPORT_PRIVATE_KEY_FILE: host.privateKeyPath,
      },
    },
  );
}

/** The recording's spool and state on the host (remote/recording/spool.ts RECORDING_ROOT). */
const RECORDING_ROOT = '/var/lib/hush/recording';

/**
 * Not yet seen green on a VM: its one run (debian-13, load ~15) started the recording through the
 * real engine (create 4, no drop-in) and, its 90 s deadline being past by the preview (the wrapped
 * start took 85-95 s), planned the finish (update 2); the deadline is 150 s since. Until it
 * passes it runs only on request (HUSH_RUN_RECORDING_CASES=1, as reprofile.test.ts's recording cases).
 */
const recordingCase = process.env.HUSH_RUN_RECORDING_CASES === '1' ? test : test.skip;

recordingCase(
  'Automation API: window.record starts a recording in one up, preview and refresh show its progress, the first up after the deadline finishes and hardens, destroy restores',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine = createEngine();
      const t0 = Date.now();
      const mark = (step: string) =>
        console.log(`pulumi-automation (recording): ${step} at ${Math.round((Date.now() - t0) / 1000)} s`);
      const catBefore = (await host.exec('systemctl cat nginx.service')).stdout;
      const logs: string[] = [];
      let stack: Stack | undefined;
      try {
        // 1. up starts the recording and returns: no drop-in yet, nginx recorded on the host.
        // (150 s: the wrapped start took 85-95 s under TCG at load 15, and preview and refresh
        // must still come before the deadline.)
        stack = await stackFor(engine, { host, recordUntil: '150s' }, 'rec');
        const up1 = await stack.up({ onOutput: (l) => logs.push(l) });
        expect(up1.summary.resourceChanges).toMatchObject({ create: 4 });
        expect(up1.outputs.phase?.value).toBe('recording');
        const recording = up1.outputs.recording?.value as { deadline: string; session: string };
        // up did not wait for the window
        expect(Date.now()).toBeLessThan(Date.parse(recording.deadline));
        expect((await host.exec(`test -e ${DROPIN}`)).code).not.toBe(0);
        expect((await host.exec(`ls ${RECORDING_ROOT}`)).stdout).toMatch(/^nginx/m);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('recording started');

        // 2. Real traffic while nobody is connected; then preview shows the progress, plans nothing.
        await host.exec('for i in $(seq 20); do curl -fsS -o /dev/null http://127.0.0.1/; done');
        const previewLogs: string[] = [];
        const preview = await stack.preview({ onOutput: (l) => previewLogs.push(l) });
        logs.push(...previewLogs);
        expect(preview.changeSummary).toEqual({ same: 4 });
        expect(previewLogs.join('')).toMatch(
          /recording nginx\.service: [1-9]\d* events, [\d.]+ KiB spool, \d+ restart\(s\) seen, \d+ s left/,
        );

        // 3. refresh keeps the progress in the state.
        await stack.refresh({ onOutput: (l) => logs.push(l) });
        const refreshed = (await outputsOf(stack, SERVICE_PROFILE_TYPE)).recording as {
          progress: { state: string; lines: number; spoolBytes: number };
        };
        expect(refreshed.progress).toMatchObject({ state: 'running' });
        expect(refreshed.progress.lines).toBeGreaterThan(0);
        mark('progress seen');

        // 4. At the deadline the host ends the recording on its own (its timer restores nginx,
        // nobody connected); the first up after it finishes the recording and applies the drop-in.
        const wait = Date.parse(recording.deadline) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        let endedBy = '';
        for (let i = 0; i < 30 && endedBy === ''; i++) {
          endedBy = (
            await host.exec(`sed -n 's/^ended_by=//p' ${RECORDING_ROOT}/nginx*/state`)
          ).stdout.trim();
          if (endedBy === '') await new Promise((r) => setTimeout(r, 2_000));
        }
        expect(endedBy).toBe('deadline');
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('deadline passed, ended by the host');
        const up2 = await stack.up({ onOutput: (l) => logs.push(l) });
        expect(up2.summary.resourceChanges).toMatchObject({ update: 2 });
        expect(up2.outputs.phase?.value).toBe('profiled');
        const text = up2.outputs.dropInText?.value as string;
        expect(text).toMatch(/^ProtectSystem=/m);
        expect((await host.exec(`cat ${DROPIN}`)).stdout).toBe(text);
        expect(up2.outputs.exposureAfter?.value).toBeLessThan(up2.outputs.exposureBefore?.value as number);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        // The spool is gone from the host once finished.
        expect((await host.exec(`ls -A ${RECORDING_ROOT}`)).stdout.trim()).toBe('');
        const profiled = await outputsOf(stack, SERVICE_PROFILE_TYPE);
        expect((profiled.stats as { lines: number }).lines).toBeGreaterThan(0);
        mark('finished and hardened');

        // 4b. A Node program adopts that drop-in through the provider plugin: `pulumi import` by
        // ID (credentials from the environment), as it is and without a restart; the program that
        // declares it then plans no create, replace or delete (only the credentials it adds).
        const adopt = await adoptingStack(engine, host, text);
        const beforeImport = (await host.exec('systemctl show -p InvocationID nginx.service')).stdout;
        await adopt.import({
          resources: [
            {
              type: PLUGIN_HARDENING_DROPIN_TYPE,
              name: 'adopted',
              id: `${host.user}@${host.host}:${host.port}/nginx.service#${host.hostKeyFingerprint}`,
            },
          ],
          protect: false,
          generateCode: false,
          onOutput: (l) => logs.push(l),
        });
        expect(await outputsOf(adopt, PLUGIN_HARDENING_DROPIN_TYPE)).toMatchObject({
          content: text,
          path: DROPIN,
          drift: null,
          existingHardening: [],
        });
        const adoptPreview = await adopt.preview({ onOutput: (l) => logs.push(l) });
        expect(adoptPreview.changeSummary).not.toHaveProperty('create');
        expect(adoptPreview.changeSummary).not.toHaveProperty('replace');
        expect(adoptPreview.changeSummary).not.toHaveProperty('delete');
        expect((await host.exec('systemctl show -p InvocationID nginx.service')).stdout).toBe(beforeImport);
        // The adopting stack goes without deleting what it adopted (the recording stack owns it).
        await adopt.workspace.removeStack('adopt', { force: true });
        mark('adopted by a Node program through the plugin');

        // 5. An up after that changes nothing.
        const up3 = await stack.up({ onOutput: (l) => logs.push(l) });
        expect(up3.summary.resourceChanges).toEqual({ same: 4 });

        // 6. destroy: the unit exactly as before hush.
        const destroyed = await stack.destroy({ onOutput: (l) => logs.push(l) });
        expect(destroyed.summary.resourceChanges).toMatchObject({ delete: 4 });
        expect((await host.exec('systemctl cat nginx.service')).stdout).toBe(catBefore);
        expect(await checkService(host, 'nginx')).toMatchObject({ ok: true });
        mark('destroy');
        expectNoPrivateKey(host.privateKey, [
          ...stateFilesText(engine),
          { path: 'engine output', text: logs.join('') },
        ]);
      } finally {
        // A failed step must not leave the recording on the host (destroy cancels it).
        await stack?.destroy().catch(() => undefined);
        await stack?.workspace.removeStack('rec', { force: true }).catch(() => undefined);
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 2,
);
