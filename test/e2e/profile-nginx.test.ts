/**
 * Profiling nginx over real SSH on the Debian 12 and 13 test hosts: the profile shows what nginx
 * does (config reads, the :80 binds, log writes), a restart inside the window is profiled and
 * merged, and afterwards nginx runs on its own configuration with nothing of hush left.
 */
import { checkService, imagesUnderTest, withTestHost } from '../host';
import type { Action } from '../../core/summary/actions';
import { profileService } from '../../remote/profile';
import { connector, profilingLeftovers, unitSnapshot } from './profile-support';

const TIMEOUT = 25 * 60_000;
const CURL_LOOP = 'for i in $(seq 1 20); do curl -fsS -o /dev/null http://127.0.0.1/ || exit 1; done';

function paths(actions: Action[], access: string): string[] {
  return actions.flatMap((a) =>
    a.kind === 'path' && (a as { access: string }).access === access ? [(a as { path: string }).path] : [],
  );
}

describe.each(imagesUnderTest())('hush profile nginx on %s', (image) => {
  test(
    'a curl workload: /etc/nginx read, :80 bound, /var/log/nginx written; restored with no wrapper left',
    () =>
      withTestHost(image, async (host) => {
        const before = await unitSnapshot(host, 'nginx.service');
        expect(before.active).toBe('active');
        const r = await profileService({
          unit: 'nginx',
          connect: connector(host),
          remoteWorkload: CURL_LOOP,
          compress: true, // the gzip path (the other tests use the uncompressed default)
          watchdogTimeoutSec: 120,
          log: (l) => process.stderr.write(`[${image}] ${l}\n`),
        });
        process.stderr.write(`[${image}] timings ${JSON.stringify(r.timings)} traceBytes=${r.traceBytes}\n`);
        expect(r.workloads.remote?.code).toBe(0);
        const actions = r.profile.actions.map((a) => a.action);
        expect(paths(actions, 'read').some((p) => p.startsWith('/etc/nginx/'))).toBe(true);
        expect(
          actions.some(
            (a) =>
              a.kind === 'net' && (a as { op: string }).op === 'bind' && (a as { port?: number }).port === 80,
          ),
        ).toBe(true);
        expect(
          [...paths(actions, 'write'), ...paths(actions, 'create')].some((p) =>
            p.startsWith('/var/log/nginx/'),
          ),
        ).toBe(true);
        // every traced command of nginx ran at least once (ExecStop: the restart and the finish)
        const slots = new Set(r.segments.map((s) => s.slot));
        for (const s of ['ExecStartPre-0', 'ExecStart-0', 'ExecStop-0']) expect(slots).toContain(s);
        expect(r.segments.every((s) => s.complete)).toBe(true);
        expect(r.profile.host?.systemdVersion).toBeGreaterThan(250);
        // restored: active, same unit text, a new main process, nothing of hush left
        expect(r.restored).toEqual({ wasActive: true, activeState: 'active', catIdentical: true });
        const after = await unitSnapshot(host, 'nginx.service');
        expect(after.cat).toBe(before.cat);
        expect(after.active).toBe('active');
        expect(after.mainPid).not.toBe(before.mainPid);
        expect(await profilingLeftovers(host, 'nginx.service')).toBe('');
        expect((await host.exec('ls /run/systemd/system/')).stdout.trim()).toBe('');
        expect((await checkService(host, 'nginx')).ok).toBe(true);
      }),
    TIMEOUT,
  );

  test(
    'a restart inside the window is profiled and merged, not lost',
    () =>
      withTestHost(image, async (host) => {
        const r = await profileService({
          unit: 'nginx.service',
          connect: connector(host),
          remoteWorkload: `${CURL_LOOP}; systemctl restart nginx && ${CURL_LOOP}`,
          compress: false,
          watchdogTimeoutSec: 120,
          log: (l) => process.stderr.write(`[${image}] ${l}\n`),
        });
        expect(r.workloads.remote?.code).toBe(0);
        const starts = r.segments.filter((s) => s.slot === 'ExecStart-0');
        expect(starts.map((s) => s.invocation)).toEqual([1, 2]);
        expect(starts.every((s) => s.complete && s.lines > 50)).toBe(true);
        // both invocations are runs of the merged profile
        const runSources = r.profile.runs.map((x) => x.source);
        expect(runSources.filter((s) => s.includes('#ExecStart-0/')).length).toBe(2);
        expect(r.restored.catIdentical).toBe(true);
        expect(r.restored.activeState).toBe('active');
        expect(await profilingLeftovers(host, 'nginx.service')).toBe('');
      }),
    TIMEOUT,
  );
});
