/**
 * The hard cases (test/host/corpus/hush-testsvc): Type=notify with a watchdog and `-`/`+`
 * ExecStartPre, Type=forking with PIDFile=, `@` argv[0] and a `!` ExecStartPost, a Type=simple
 * service that exits with status 3 and is restarted, all as a non-root User=. All three are
 * profiled in turn, and while each is wrapped the corpus' functional check must pass exactly as
 * on the untouched host: exit codes (Restart=on-failure), sd_notify (READY, STATUS, MAINPID,
 * WATCHDOG), PIDFile, argv[0], privileges of each prefix.
 */
import { checkService, withTestHost, type TestHost } from '../host';
import { profileService, type ProfileServiceResult } from '../../remote/profile';
import { connector, profileImages, profilingLeftovers, unitSnapshot } from './profile-support';

const TIMEOUT = 30 * 60_000;
const UNITS = ['hush-testsvc-notify.service', 'hush-testsvc-forking.service', 'hush-testsvc-restart.service'];

/** Profiles `unit` until `during` has run inside its window; returns the session result. */
async function profileWhile(
  host: TestHost,
  image: string,
  unit: string,
  during: () => Promise<void>,
): Promise<ProfileServiceResult> {
  const stop = new AbortController();
  let opened: () => void = () => undefined;
  const windowOpen = new Promise<void>((resolve) => (opened = resolve));
  const session = profileService({
    unit,
    connect: connector(host),
    signal: stop.signal,
    watchdogTimeoutSec: 180,
    log: (l) => {
      process.stderr.write(`[${image} ${unit}] ${l}\n`);
      if (l.includes('profiling window open')) opened();
    },
  });
  // a session that fails before its window opens must fail the test, not hang it
  await Promise.race([windowOpen, session.then(() => undefined)]);
  try {
    await during();
  } finally {
    stop.abort();
  }
  return session;
}

describe.each(profileImages())('hush-testsvc under profiling on %s', (image) => {
  test(
    'notify, forking and restarting services behave as before while wrapped, and come back unchanged',
    () =>
      withTestHost(image, async (host) => {
        const baseline = await checkService(host, 'hush-testsvc');
        expect(baseline.ok).toBe(true);
        const results: ProfileServiceResult[] = [];
        // One unit at a time: on the emulated test hosts three traced Python start-ups at once
        // starve sshd. While each one is wrapped, the whole functional check must pass.
        for (const unit of UNITS) {
          const before = await unitSnapshot(host, unit);
          const r = await profileWhile(host, image, unit, async () => {
            const wrapped = await host.exec(`systemctl cat ${unit} | grep -c 'zz-hush-profile.conf'`);
            expect(wrapped.stdout.trim()).toBe('1');
            const during = await checkService(host, 'hush-testsvc', { waitSeconds: 180 });
            if (!during.ok) process.stderr.write(during.output + '\n');
            expect(during.ok).toBe(true);
          });
          results.push(r);
          expect(r.restored.activeState).toBe('active');
          expect(r.restored.catIdentical).toBe(true);
          expect((await unitSnapshot(host, unit)).cat).toBe(before.cat);
          expect(await profilingLeftovers(host, unit)).toBe('');
        }
        const [notify, forking, restart] = results as [
          ProfileServiceResult,
          ProfileServiceResult,
          ProfileServiceResult,
        ];

        // what was traced: "+" is left alone, "-", "!" and "@" commands are traced
        expect(notify.slots.map((s) => [s.id, s.traced])).toEqual([
          ['ExecStartPre-0', true],
          ['ExecStartPre-1', false],
          ['ExecStart-0', true],
          ['ExecStartPost-0', true],
        ]);
        const seen = (r: ProfileServiceResult) => new Set(r.segments.map((s) => s.slot));
        expect(seen(notify)).toEqual(new Set(['ExecStartPre-0', 'ExecStart-0', 'ExecStartPost-0']));
        expect(seen(forking)).toEqual(new Set(['ExecStart-0', 'ExecStartPost-0', 'ExecStartPost-1']));
        // the check made the restarting service exit (status 3); Restart=on-failure brought it
        // back under the wrapper: two traces of its ExecStart
        expect(restart.segments.filter((s) => s.slot === 'ExecStart-0').length).toBeGreaterThanOrEqual(2);
        // the non-root service's own actions are in its profile: its StateDirectory counter
        const restartPaths = restart.profile.actions.flatMap((a) =>
          a.action.kind === 'path' ? [(a.action as { path: string }).path] : [],
        );
        expect(restartPaths.some((p) => p.startsWith('/var/lib/hush-testsvc/'))).toBe(true);

        const afterCheck = await checkService(host, 'hush-testsvc', { waitSeconds: 120 });
        expect(afterCheck.ok).toBe(true);
      }),
    TIMEOUT,
  );
});
