/**
 * The demo stack (root Pulumi.yaml, `npm run demo`): harden nginx on the Debian 13 test host.
 * scripts/demo boots the VM and sets the connection config; this program is what any user writes.
 *
 * With `pulumi config set plugin true` the same program runs on the provider plugin
 * (`pulumi-hush/plugin`, registered in the root Pulumi.yaml) instead of the dynamic provider: the
 * move README's "Moving a stack to the plugin" describes, which keeps every resource.
 */
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { HardenedService } from '../../index';
import * as plugin from '../../provider/plugin/sdk';

const config = new pulumi.Config();
const Service = config.getBoolean('plugin') ? plugin.HardenedService : HardenedService;

const nginx = new Service('nginx', {
  connection: {
    host: config.require('host'),
    port: config.requireNumber('port'),
    user: config.get('user') ?? 'root',
    privateKey: config.getSecret('privateKey') ?? fs.readFileSync(config.require('privateKeyPath'), 'utf8'),
    hostKey: config.require('hostKey'),
  },
  unit: 'nginx.service',
  window: {
    durationSeconds: config.getNumber('profileSeconds') ?? 10,
    workload:
      'for i in $(seq 10); do curl -fsS -o /dev/null http://127.0.0.1/; curl -s -o /dev/null http://127.0.0.1/missing; done',
  },
  mode: (config.get('mode') as 'conservative' | 'standard' | 'aggressive' | undefined) ?? 'conservative',
  healthCommand: 'curl -fsS -o /dev/null http://127.0.0.1/',
});

export const dropInPath = nginx.dropInPath;
export const dropInText = nginx.dropInText;
export const exposureBefore = nginx.exposureBefore;
export const exposureAfter = nginx.exposureAfter;
export const chosenOptions = nginx.chosen.apply((c) =>
  c.map((d) => `${d.option}=${[d.value].flat().join(' ')}`),
);
export const profileStats = nginx.profileStats;
