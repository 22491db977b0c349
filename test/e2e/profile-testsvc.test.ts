/**
 * The hard cases (test/host/corpus/hush-testsvc): Type=notify with a watchdog and `-`/`+`
 * ExecStartPre, Type=forking with PIDFile=, `@` argv[0] and a `!` ExecStartPost, a Type=simple
 * service that exits with status 3 and is restarted, all as a non-root User=. All three are
 * profiled at once, and while they are wrapped the corpus' functional check must pass exactly as
 * on the untouched host: exit codes (Restart=on-failure), sd_notify (READY, STATUS, MAINPID,
 * WATCHDOG), PIDFile, argv[0], privileges of each prefix.
 */
import { checkService, withTestHost } from '../host';
import { profileService, type ProfileServiceResult } from '../../remote/profile';
import { connector, profileImages, profilingLeftovers, unitSnapshot } from './profile-support';

const TIMEOUT = 30 * 60_000;
const UNITS = ['hush-testsvc-notify.service', 'hush-testsvc-forking.service', 'hush-testsvc-restart.service'];

describe.each(profileImages())('hush-testsvc under profiling on %s', (image) => {
  test(
    'notify, forking and restarting services behave as before while wrapped, and come back unchanged',
    () =>
      withTestHost(image, async (host) => {
        const baseline = await checkService(host, 'hush-testsvc');
        expect(baseline.ok).toBe(true);
        const before = await Promise.all(UNITS.map((u) => unitSnapshot(host, u)));

        const stop = new AbortController();
        const open = new Set<string>();
        let allOpen: () => void = () => undefined;
        const windowOpen = new Promise<void>((resolve) => (allOpen = resolve));
        const sessions = UNITS.map((unit) =>
          profileService({
            unit,
            connect: connector(host),
            signal: stop.signal,
            watchdogTimeoutSec: 180,
            log: (l) => {
              process.stderr.write(`[${image} ${unit}] ${l}\n`);
              if (l.includes('profiling window open')) {
                open.add(unit);
                if (open.size === UNITS.length) allOpen();
              }
            },
          }),
        );
        // a session that fails before its window opens must fail the test, not hang it
        const failed = Promise.race(sessions.map((s) => s.then(() => new Promise<never>(() => undefined))));
        await Promise.race([windowOpen, failed]);

        // everything the functional check asserts holds while each unit runs under strace
        const wrapped = await host.exec(`systemctl cat ${UNITS.join(' ')} | grep -c 'zz-hush-profile.conf'`);
        expect(wrapped.stdout.trim()).toBe('3');
        const during = await checkService(host, 'hush-testsvc', { waitSeconds: 120 });
        if (!during.ok) process.stderr.write(during.output + '\n');
        expect(during.ok).toBe(true);

        stop.abort();
        const results: ProfileServiceResult[] = await Promise.all(sessions);
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
        // the restarting service exited (status 3) and was restarted under the wrapper: two traces
        expect(restart.segments.filter((s) => s.slot === 'ExecStart-0').length).toBeGreaterThanOrEqual(2);
        // the non-root service's own actions are in its profile: its StateDirectory counter
        const restartPaths = restart.profile.actions.flatMap((a) =>
          a.action.kind === 'path' ? [(a.action as { path: string }).path] : [],
        );
        expect(restartPaths.some((p) => p.startsWith('/var/lib/hush-testsvc/'))).toBe(true);
        // argv[0] set by "@" reached the traced python (strace --argv0, or bash exec -a on 6.1)
        const forkExec = forking.profile.actions.filter(
          (a) => a.action.kind === 'path' && (a.action as { access: string }).access === 'exec',
        );
        expect(
          forkExec.some(
            (a) =>
              (a.action as { path: string }).path === '/usr/bin/python3.11' ||
              (a.action as { path: string }).path.startsWith('/usr/bin/python3'),
          ),
        ).toBe(true);

        for (const [i, r] of results.entries()) {
          expect(r.restored.activeState).toBe('active');
          expect(r.restored.catIdentical).toBe(true);
          const after = await unitSnapshot(host, UNITS[i] as string);
          expect(after.cat).toBe(before[i]?.cat);
          expect(await profilingLeftovers(host, UNITS[i] as string)).toBe('');
        }
        const afterCheck = await checkService(host, 'hush-testsvc', { waitSeconds: 120 });
        expect(afterCheck.ok).toBe(true);
      }),
    TIMEOUT,
  );
});
