/**
 * The hard cases (test/host/corpus/hush-testsvc): Type=notify with a watchdog and `-`/`+`
 * ExecStartPre, Type=forking with PIDFile=, `@` argv[0] and a `!` ExecStartPost, a Type=simple
 * service that exits with status 3 and is restarted, all as a non-root User=. All three are
 * profiled in turn, and while each is wrapped, what the corpus' functional check asserts about
 * it must come out exactly as on the untouched unit: exit codes (Restart=on-failure), sd_notify
 * (READY, STATUS, MAINPID, WATCHDOG), PIDFile, argv[0], privileges of each prefix, and the main
 * process' credentials (uid, gid, groups, capability sets, no_new_privs; not the seccomp mode, which strace --seccomp-bpf sets: strace is
 * root and setpriv switches the command to the unit's user, which must give the same process).
 * Then a DynamicUser= unit with SupplementaryGroups=, AmbientCapabilities=, a bounding set and a
 * SystemCallFilter= (implied no_new_privs) gets the same comparison, and during the windows of the
 * notify (User=) and the dynamic unit an unprivileged local user and the service's own uid try to
 * reach the trace: list the session directories, open the FIFO, reach strace (issue 12).
 */
import { imagesUnderTest, withTestHost, type TestHost } from '../host';
import { profileService, type ProfileServiceResult } from '../../remote/profile';
import { fifoPath, sessionPaths } from '../../remote/profile/layout';
import { connector, profilingLeftovers, unitSnapshot } from './profile-support';

const TIMEOUT = 30 * 60_000;
const UNITS = ['hush-testsvc-notify.service', 'hush-testsvc-forking.service', 'hush-testsvc-restart.service'];
/** Written by the test: every credential setting the launcher must reproduce for a dynamic user. */
const DYNAMIC = 'hush-hostile-dyn.service';
const DYNAMIC_UNIT = `[Service]
DynamicUser=yes
SupplementaryGroups=hush-testsvc
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
SystemCallFilter=@system-service
ExecStart=/bin/sleep infinity
`;

/** The main process' credentials as the kernel shows them (same values = same process). */
const CREDS = `
    pid=$(systemctl show -p MainPID --value $u)
    echo "creds=$(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/$pid/status | tr -s '\t\n' '  ')"`;

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
  [DYNAMIC]: `
    u=${DYNAMIC}
    for i in $(seq 1 120); do [ "$(systemctl is-active $u)" = active ] && break; sleep 1; done
    echo "active=$(systemctl is-active $u)"`,
};

async function behaviour(host: TestHost, unit: string): Promise<Record<string, string>> {
  const r = await host.exec('bash -s', {
    stdin: (BEHAVIOUR[unit] as string) + CREDS,
    timeoutMs: 15 * 60_000,
  });
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/**
 * During a window: the modes of the session directories and of the main command's FIFO, and what
 * `nobody` and the service's own uid and groups (read from its main process) get when they list
 * the session, open the FIFO for writing or reach the root strace that writes it.
 */
async function hostileProbe(host: TestHost, unit: string): Promise<Record<string, string>> {
  const p = sessionPaths(unit);
  const fifo = fifoPath(p, 'ExecStart-0');
  const script = `
    root='${p.root}'; fifo='${fifo}'; u='${unit}'
    echo "modes=$(stat -c '%a:%U:%F' /run/hush/profile "$root" "$root/fifo" "$fifo" | tr '\n' ' ')"
    spid=$(pgrep -o -f -- "-o $fifo ") || spid=none
    echo "strace-user=$(ps -o user= -p "$spid" 2>/dev/null)"
    pid=$(systemctl show -p MainPID --value "$u")
    st() { sed -n "s/^$1:[[:space:]]*//p" /proc/$pid/status; }
    svc_uid=$(st Uid | cut -f1); svc_gid=$(st Gid | cut -f1); svc_groups=$(st Groups | tr -s ' \t' ',' | sed 's/^,//; s/,$//')
    try() {
      who=$1; shift
      out=$(setpriv "$@" -- sh -c '
        r() { if o=$(timeout 20 sh -c "$1" 2>&1 </dev/null); then echo yes; else echo "no:$o"; fi; }
        echo "list-profile=$(r "ls /run/hush/profile")"
        echo "list-session=$(r "ls $0")"
        echo "open-fifo=$(r "exec 3>>$1")"
        echo "strace-fds=$(r "ls /proc/$2/fd")"
        echo "signal-strace=$(r "kill -0 $2")"
      ' "$root" "$fifo" "$spid")
      printf '%s\n' "$out" | sed "s/^/$who-/"
    }
    try nobody --reuid=65534 --regid=65534 --clear-groups
    try service --reuid="$svc_uid" --regid="$svc_gid" --groups="$svc_groups"
    echo "service-uid=$svc_uid"
    echo "service-fifo-fds=$(ls -l /proc/$pid/fd | grep -c "$root" || true)"`;
  const r = await host.exec('bash -s', { stdin: script, timeoutMs: 5 * 60_000 });
  const out: Record<string, string> = {};
  for (const l of r.stdout.trim().split('\n')) out[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  return out;
}

function expectLockedOut(probe: Record<string, string>): void {
  const [dir, session, fifoDir, fifo] = (probe.modes ?? '').trim().split(' ');
  expect([dir, session, fifoDir]).toEqual(Array(3).fill('700:root:directory'));
  expect(fifo).toBe('600:root:fifo');
  expect(probe['strace-user']).toBe('root');
  expect(probe['service-uid']).not.toBe('0');
  // strace's output fd is close-on-exec: the service holds no descriptor of the session
  expect(probe['service-fifo-fds']).toBe('0');
  for (const who of ['nobody', 'service']) {
    for (const what of ['list-profile', 'list-session', 'open-fifo', 'strace-fds']) {
      expect(`${who}-${what}: ${probe[`${who}-${what}`]}`).toMatch(/: no:.*Permission denied/);
    }
    expect(`${who}-signal-strace: ${probe[`${who}-signal-strace`]}`).toMatch(
      /: no:.*(Operation not permitted|not permitted)/,
    );
  }
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
            if (unit === 'hush-testsvc-notify.service') {
              const probe = await hostileProbe(host, unit);
              process.stderr.write(`[${image}] ${unit} hostile: ${JSON.stringify(probe)}\n`);
              expectLockedOut(probe);
            }
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
        // setpriv's own exec is not the service's: the notify service's first exec is python
        const execs = (r: ProfileServiceResult) =>
          r.profile.actions.flatMap((a) =>
            a.action.kind === 'path' && a.action.access === 'exec' ? [a.action.path] : [],
          );
        expect(execs(notify)).not.toContain('/usr/bin/setpriv');
        expect(execs(notify)).toContain('/usr/bin/python3');

        // DynamicUser=: ids allocated at start, read by the launcher; the same process as unwrapped
        await host.exec(
          `cat > /etc/systemd/system/${DYNAMIC} && systemctl daemon-reload && systemctl start ${DYNAMIC}`,
          { stdin: DYNAMIC_UNIT },
        );
        try {
          const expected = await behaviour(host, DYNAMIC);
          process.stderr.write(`[${image}] ${DYNAMIC} before: ${JSON.stringify(expected)}\n`);
          expect(expected.active).toBe('active');
          expect(expected.creds).toMatch(/NoNewPrivs:\s+1/);
          const r = await profileWhile(host, image, DYNAMIC, async () => {
            const during = await behaviour(host, DYNAMIC);
            process.stderr.write(`[${image}] ${DYNAMIC} wrapped: ${JSON.stringify(during)}\n`);
            expect(during).toEqual(expected);
            const probe = await hostileProbe(host, DYNAMIC);
            process.stderr.write(`[${image}] ${DYNAMIC} hostile: ${JSON.stringify(probe)}\n`);
            expectLockedOut(probe);
          });
          expect(r.restored.activeState).toBe('active');
          expect(await profilingLeftovers(host, DYNAMIC)).toBe('');
          expect(execs(r)).not.toContain('/usr/bin/setpriv');
          expect(execs(r).some((p) => p.endsWith('/sleep'))).toBe(true);
        } finally {
          await host.exec(
            `systemctl stop ${DYNAMIC}; rm -f /etc/systemd/system/${DYNAMIC}; systemctl daemon-reload`,
          );
        }
      }),
    TIMEOUT,
  );
});
