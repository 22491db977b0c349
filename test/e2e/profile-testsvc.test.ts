/**
 * The hard cases (test/host/corpus/hush-testsvc): Type=notify with a watchdog and `-`/`+`
 * ExecStartPre, Type=forking with PIDFile=, `@` argv[0] and a `!` ExecStartPost, a Type=simple
 * service that exits with status 3 and is restarted, all as a non-root User=. All three are
 * profiled in turn, and while each is wrapped, what the corpus' functional check asserts about
 * it must come out exactly as on the untouched unit: exit codes (Restart=on-failure), sd_notify
 * (READY, STATUS, MAINPID, WATCHDOG), PIDFile, argv[0], privileges of each prefix.
 */
import { imagesUnderTest, withTestHost, type TestHost } from '../host';
import { profileService, type ProfileServiceResult } from '../../remote/profile';
import { connector, profilingLeftovers, unitSnapshot } from './profile-support';

const TIMEOUT = 30 * 60_000;
const UNITS = ['hush-testsvc-notify.service', 'hush-testsvc-forking.service', 'hush-testsvc-restart.service'];

/**
 * What the functional check (test/host/checks/hush-testsvc.sh) asserts about one unit, as a
 * record to compare before / while wrapped / after: same values = same behaviour. One SSH round
 * trip with generous timeouts (the harness' check has a fixed 180 s, too short on a busy TCG host).
 */
const BEHAVIOUR: Record<string, string> = {
  'hush-testsvc-notify.service': `
    p=9101; u=hush-testsvc-notify.service
    for i in $(seq 1 120); do [ "$(systemctl is-active $u)" = active ] && h=$(curl -fsS --max-time 20 http://127.0.0.1:$p/health) && break; sleep 1; done
    f() { printf '%s\n' "$h" | sed -n "s/^$1=//p"; }
    echo "active=$(systemctl is-active $u)"
    echo "type=$(systemctl show -p Type --value $u)"
    echo "user=$(f user)"
    echo "pre-plus=$(f pre-plus)"
    echo "post=$(f post)"
    echo "status-text=$(systemctl show -p StatusText --value $u | cut -d' ' -f1)"
    echo "mainpid-is-server=$([ "$(systemctl show -p MainPID --value $u)" = "$(f pid)" ] && echo yes || echo no)"`,
  'hush-testsvc-forking.service': `
    p=9102; u=hush-testsvc-forking.service
    for i in $(seq 1 120); do [ "$(systemctl is-active $u)" = active ] && h=$(curl -fsS --max-time 20 http://127.0.0.1:$p/health) && break; sleep 1; done
    f() { printf '%s\n' "$h" | sed -n "s/^$1=//p"; }
    echo "active=$(systemctl is-active $u)"
    echo "user=$(f user)"
    echo "argv0=$(f argv0)"
    echo "post-bang=$(f post-bang)"
    echo "mainpid-from-pidfile=$([ "$(systemctl show -p MainPID --value $u)" = "$(cat /run/hush-testsvc-forking/testsvc.pid)" ] && echo yes || echo no)"
    echo "mainpid-is-server=$([ "$(systemctl show -p MainPID --value $u)" = "$(f pid)" ] && echo yes || echo no)"`,
  'hush-testsvc-restart.service': `
    p=9103; u=hush-testsvc-restart.service
    for i in $(seq 1 120); do [ "$(systemctl is-active $u)" = active ] && h=$(curl -fsS --max-time 20 http://127.0.0.1:$p/health) && break; sleep 1; done
    f() { printf '%s\n' "$h" | sed -n "s/^$1=//p"; }
    echo "active=$(systemctl is-active $u)"
    echo "user=$(f user)"
    pid=$(f pid); n=$(systemctl show -p NRestarts --value $u); since=$(date '+%Y-%m-%d %H:%M:%S')
    curl -fsS --max-time 20 -o /dev/null http://127.0.0.1:$p/exit || true
    for i in $(seq 1 300); do h=$(curl -fsS --max-time 20 http://127.0.0.1:$p/health) && [ -n "$(f pid)" ] && [ "$(f pid)" != "$pid" ] && break; sleep 1; done
    echo "restarted-after-exit=$([ -n "$(f pid)" ] && [ "$(f pid)" != "$pid" ] && echo yes || echo no)"
    echo "nrestarts-grew=$([ "$(systemctl show -p NRestarts --value $u)" -gt "$n" ] && echo yes || echo no)"
    echo "exit-status-3=$(journalctl -u $u --since "$since" --no-pager | grep -q 'status=3/' && echo yes || echo no)"`,
};

async function behaviour(host: TestHost, unit: string): Promise<Record<string, string>> {
  const r = await host.exec('bash -s', { stdin: BEHAVIOUR[unit] as string, timeoutMs: 15 * 60_000 });
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

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

describe.each(imagesUnderTest())('hush-testsvc under profiling on %s', (image) => {
  test(
    'notify, forking and restarting services behave as before while wrapped, and come back unchanged',
    () =>
      withTestHost(image, async (host) => {
        const results: ProfileServiceResult[] = [];
        // One unit at a time: on the emulated test hosts three traced Python start-ups at once
        // starve sshd. While each one is wrapped it must behave exactly as it did before.
        for (const unit of UNITS) {
          const before = await unitSnapshot(host, unit);
          const expected = await behaviour(host, unit);
          process.stderr.write(`[${image}] ${unit} before: ${JSON.stringify(expected)}\n`);
          expect(Object.values(expected)).not.toContain('no');
          expect(expected.active).toBe('active');
          const r = await profileWhile(host, image, unit, async () => {
            const wrapped = await host.exec(`systemctl cat ${unit} | grep -c 'zz-hush-profile.conf'`);
            expect(wrapped.stdout.trim()).toBe('1');
            const during = await behaviour(host, unit);
            process.stderr.write(`[${image}] ${unit} wrapped: ${JSON.stringify(during)}\n`);
            expect(during).toEqual(expected);
          });
          results.push(r);
          process.stderr.write(`[${image}] ${unit} timings ${JSON.stringify(r.timings)}\n`);
          expect(r.restored.activeState).toBe('active');
          expect(r.restored.catIdentical).toBe(true);
          expect((await unitSnapshot(host, unit)).cat).toBe(before.cat);
          expect(await profilingLeftovers(host, unit)).toBe('');
          expect(await behaviour(host, unit)).toEqual(expected);
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
        // the probe made the restarting service exit (status 3); Restart=on-failure brought it
        // back under the wrapper: two traces of its ExecStart
        expect(restart.segments.filter((s) => s.slot === 'ExecStart-0').length).toBeGreaterThanOrEqual(2);
        // the non-root service's own actions are in its profile: its StateDirectory counter
        const restartPaths = restart.profile.actions.flatMap((a) =>
          a.action.kind === 'path' ? [(a.action as { path: string }).path] : [],
        );
        expect(restartPaths.some((p) => p.startsWith('/var/lib/hush-testsvc/'))).toBe(true);
      }),
    TIMEOUT,
  );
});
