/**
 * A fleet: the same service hardened on every host of a list, in parallel (the engine runs
 * independent resources concurrently). Each host is profiled on its own: hosts differ (systemd
 * versions, paths), and one host's plan must not loosen or break another's.
 *
 *   pulumi config set --path 'hosts[0].host' 10.0.0.5
 *   pulumi config set --path 'hosts[0].hostKey' SHA256:…
 *   pulumi config set --path 'hosts[0].privateKeyPath' ~/.ssh/id_ed25519
 *   …
 */
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { HardenedService } from '../../index';

interface FleetHost {
  name?: string;
  host: string;
  port?: number;
  user?: string;
  hostKey: string;
  privateKeyPath: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<FleetHost[]>('hosts');
const unit = config.get('unit') ?? 'nginx.service';

const services = hosts.map(
  (h, i) =>
    new HardenedService(h.name ?? `host${i}`, {
      connection: {
        host: h.host,
        port: h.port ?? 22,
        user: h.user ?? 'root',
        privateKey: pulumi.secret(fs.readFileSync(h.privateKeyPath, 'utf8')),
        hostKey: h.hostKey,
      },
      unit,
      window: {
        durationSeconds: config.getNumber('profileSeconds') ?? 10,
        workload: 'for i in $(seq 20); do curl -fsS -o /dev/null http://127.0.0.1/ || true; done',
      },
      healthCommand: 'curl -fsS -o /dev/null http://127.0.0.1/',
    }),
);

export const exposure = pulumi
  .all(services.map((s) => pulumi.all([s.exposureBefore, s.exposureAfter])))
  .apply((pairs) =>
    pairs.map(([before, after], i) => ({ host: hosts[i]?.name ?? `host${i}`, before, after })),
  );
