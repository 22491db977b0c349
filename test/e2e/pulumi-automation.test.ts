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
// pulumi-cli.test.ts covers the rest of the lifecycle (bad input, idempotent up without restart,
// drift and restore, mode change, the move to the plugin, binary replaced → re-profile) through
// the `pulumi` CLI on Pulumi.yaml.
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
}

function program({ host, force, insecure }: ProgramArgs) {
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
      window: {
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
    };
  };
}

async function stackFor(engine: Engine, args: ProgramArgs): Promise<Stack> {
  const backend = `file://${path.join(engine.stateDir, 'backend')}`;
  return LocalWorkspace.createOrSelectStack(
    { projectName: 'hush-e2e-automation', stackName: 'auto', program: program(args) },
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
