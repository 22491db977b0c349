/**
 * One host, one service. Config (pulumi config set …):
 *   host, port (22), user (root), privateKeyPath or privateKey (secret), hostKey (SHA256:… — required),
 *   unit (nginx.service), profileSeconds (30), workload (a shell command run on the host while profiling),
 *   mode (conservative|standard|aggressive), tracing (decisions|full; default: the engine's choice),
 *   healthCommand.
 * Build first (`npm run build`), then `pulumi up` in this directory.
 */
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { HardenedService } from '../../index';

const config = new pulumi.Config();
const keyPath = config.get('privateKeyPath');

const service = new HardenedService('service', {
  connection: {
    host: config.require('host'),
    port: config.getNumber('port') ?? 22,
    user: config.get('user') ?? 'root',
    privateKey: config.getSecret('privateKey') ?? (keyPath ? fs.readFileSync(keyPath, 'utf8') : undefined),
    hostKey: config.require('hostKey'),
  },
  unit: config.get('unit') ?? 'nginx.service',
  window: {
    durationSeconds: config.getNumber('profileSeconds') ?? 30,
    ...(config.get('workload') ? { workload: config.require('workload') } : {}),
  },
  mode: (config.get('mode') as 'conservative' | 'standard' | 'aggressive' | undefined) ?? 'conservative',
  ...(config.get('tracing') ? { tracing: config.require('tracing') as 'decisions' | 'full' } : {}),
  ...(config.get('healthCommand') ? { healthCommand: config.require('healthCommand') } : {}),
});

export const dropInPath = service.dropInPath;
export const dropInText = service.dropInText;
export const exposureBefore = service.exposureBefore;
export const exposureAfter = service.exposureAfter;
export const rejected = service.rejected.apply((r) => r.map((x) => `${x.option}=${x.value}: ${x.why}`));
