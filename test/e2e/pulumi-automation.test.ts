// The HardenedService component through the Automation API (inline program, real engine, file
// backend) against a real Debian 13 VM: a hardening that breaks the service fails `up` with a
// readable message and leaves the service healthy; bad input fails `preview` naming the field;
// a good hardening applies and destroy returns the unit to exactly its previous state.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalWorkspace, PulumiCommand, type Stack } from '@pulumi/pulumi/automation';
import { HardenedService } from '../../components/hardenedService';
import { HOST_TEST_TIMEOUT_MS, checkService, withTestHost, type TestHost } from '../host';
import { createEngine, REPO_ROOT, type Engine } from './pulumiEngine';

interface ProgramArgs {
  host: TestHost;
  port?: number;
  force?: Record<string, string>;
}

function program({ host, port, force }: ProgramArgs) {
  return async () => {
    const svc = new HardenedService('nginx', {
      connection: {
        host: host.host,
        port: port ?? host.port,
        privateKey: readFileSync(host.privateKeyPath, 'utf8'),
        hostKey: host.hostKeyFingerprint,
      },
      unit: 'nginx.service',
      window: {
        durationSeconds: 3,
        workload: 'for i in 1 2 3 4 5; do curl -fsS -o /dev/null http://127.0.0.1/; done',
      },
      ...(force ? { overrides: { force } } : {}),
      healthCommand: 'curl -fsS -o /dev/null http://127.0.0.1/',
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

test(
  'Automation API: bad input fails preview naming the field; a breaking hardening rolls back; destroy restores',
  () =>
    withTestHost('debian-13', async (host) => {
      const engine = createEngine();
      const catBefore = (await host.exec('systemctl cat nginx.service')).stdout;
      try {
        // Bad input: preview fails and names connection.port.
        const bad = await stackFor(engine, { host, port: 70000 });
        await expect(bad.preview()).rejects.toThrow(/connection\.port/);

        // A hardening that breaks the service (the network namespace hides port 80 from the health check).
        const breaking = await stackFor(engine, { host, force: { PrivateNetwork: 'yes' } });
        const failure = await breaking.up().then(
          () => undefined,
          (e: Error) => e,
        );
        expect(failure).toBeInstanceOf(Error);
        expect(String(failure?.message)).toMatch(/rolled back/);
        expect(
          (await host.exec('test -e /etc/systemd/system/nginx.service.d/zz-hush-hardening.conf')).code,
        ).not.toBe(0);
        expect((await checkService(host, 'nginx')).ok).toBe(true);

        // The real thing, then destroy.
        const good = await stackFor(engine, { host });
        const up = await good.up();
        expect(up.outputs.exposureAfter?.value).toBeLessThan(up.outputs.exposureBefore?.value as number);
        expect((await checkService(host, 'nginx')).ok).toBe(true);
        await good.destroy();
        expect((await host.exec('systemctl cat nginx.service')).stdout).toBe(catBefore);
        expect((await checkService(host, 'nginx')).ok).toBe(true);
        await good.workspace.removeStack('auto', { force: true });
      } finally {
        engine.dispose();
      }
    }),
  HOST_TEST_TIMEOUT_MS * 3,
);
