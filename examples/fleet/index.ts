/**
 * A fleet: the same service hardened on every host of a list, in parallel (the engine runs
 * independent resources concurrently). Each host is profiled on its own: hosts differ (systemd
 * versions, paths), and one host's plan must not loosen or break another's.
 *
 *   pulumi config set --path 'hosts[0].host' 10.0.0.5
 *   pulumi config set --path 'hosts[0].hostKey' SHA256:…
 *   pulumi config set --path 'hosts[0].privateKeyPath' ~/.ssh/id_ed25519
 *   …                                  (optional per host: name, port (22), user (root))
 *
 * or the whole list at once: `pulumi config set hosts '[{"host":"10.0.0.5",…},…]'`.
 * Optional: unit (nginx.service), profileSeconds (10), workload and healthCommand (curl loops on
 * 127.0.0.1:80 by default, i.e. for nginx), mode (conservative|standard|aggressive), tracing
 * (decisions|full; default: the engine's choice). Build first (`npm run build`).
 * bench/compare/fleet.ts runs this program to measure what `pulumi up` costs for a fleet.
 */
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { HardenedService } from '../../index';

/** One host of the `hosts` config list (a port written as text, e.g. "2222" in a JSON list, is accepted). */
const FleetHost = z.strictObject({
  /** The resources' name prefix (default host0, host1, …); unique within the stack. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .optional(),
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  hostKey: z.string().min(1),
  privateKeyPath: z.string().min(1),
});
const FleetHosts = z
  .array(FleetHost)
  .min(1, 'needs at least one host')
  .refine((hs) => new Set(hs.map((h, i) => h.name ?? `host${i}`)).size === hs.length, {
    message: 'host names must be unique',
  });

const config = new pulumi.Config();
const parsed = FleetHosts.safeParse(config.requireObject<unknown>('hosts'));
if (!parsed.success) {
  // Name the config field, never a value (a list entry may hold more than we expect).
  const issues = parsed.error.issues.map((i) => `hosts.${i.path.join('.')}: ${i.message}`);
  throw new Error(`config hosts is invalid:\n  ${issues.join('\n  ')}`);
}
const hosts = parsed.data;
const mode = config.get('mode') as 'conservative' | 'standard' | 'aggressive' | undefined;
const tracing = config.get('tracing') as 'decisions' | 'full' | undefined;

const services = hosts.map(
  (h, i) =>
    new HardenedService(h.name ?? `host${i}`, {
      connection: {
        host: h.host,
        port: h.port,
        user: h.user,
        privateKey: pulumi.secret(fs.readFileSync(h.privateKeyPath, 'utf8')),
        hostKey: h.hostKey,
      },
      unit: config.get('unit') ?? 'nginx.service',
      window: {
        durationSeconds: config.getNumber('profileSeconds') ?? 10,
        workload:
          config.get('workload') ??
          'for i in $(seq 20); do curl -fsS -o /dev/null http://127.0.0.1/ || true; done',
      },
      ...(mode !== undefined ? { mode } : {}),
      ...(tracing !== undefined ? { tracing } : {}),
      healthCommand: config.get('healthCommand') ?? 'curl -fsS -o /dev/null http://127.0.0.1/',
    }),
);

export const exposure = pulumi
  .all(services.map((s) => pulumi.all([s.exposureBefore, s.exposureAfter])))
  .apply((pairs) =>
    pairs.map(([before, after], i) => ({ host: hosts[i]?.name ?? `host${i}`, before, after })),
  );
/** Per host: the profiling session's figures (window, tracing, where the time went). */
export const profileStats = pulumi
  .all(services.map((s) => s.profileStats))
  .apply((stats) => stats.map((s, i) => ({ host: hosts[i]?.name ?? `host${i}`, ...s })));
