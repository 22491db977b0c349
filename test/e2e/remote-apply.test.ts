/**
 * apply / verify / roll back / reset / status against real systemd on the Debian 12 (systemd 252)
 * and Debian 13 (systemd 257) test hosts, with the corpus services' functional checks as the
 * oracle: a good drop-in is applied and the service still works; breaking drop-ins (a
 * SystemCallFilter that kills nginx with SIGSYS, ProtectSystem=strict without /run) are rolled
 * back with the previous file restored byte-for-byte (mode too) or removed again; reset leaves
 * `systemctl cat` byte-identical to before hush, also for a unit with an admin's drop-in and for a
 * template instance with a drop-in of its template. (A drop-in that keeps the unit up but fails
 * the health command is rolled back in remote-cli.test.ts, through `hush apply --set`; a host that
 * finishes a transaction without its controller — killed, or the transaction unit stopped — is in
 * access.test.ts.)
 *
 * Last, a hostile service (issue 12): the programs of test/hostile.ts (a `:` in used paths, failed
 * creates through /nonexistent/.., a symlink .. game, names with control characters and bytes that
 * are not UTF-8) run as a Type=notify unit that `hush apply --mode aggressive` profiles and hardens
 * over SSH; systemd's own reading of the hardened unit (D-Bus properties, systemd-analyze verify)
 * must hold exactly what hush meant and none of the targets the service names.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDropIn } from '../../core/dropin';
import { applyDropIn, ApplyError } from '../../remote/apply';
import { connect, type Connection } from '../../remote/connection';
import { hardeningPaths } from '../../remote/paths';
import { probe } from '../../remote/probe';
import { reset } from '../../remote/reset';
import { sh } from '../../remote/shell';
import { status } from '../../remote/status';
import { checkService, HOST_TEST_TIMEOUT_MS, imagesUnderTest, withTestHost, type TestHost } from '../host';
import {
  hushItems,
  PATH_PROPERTIES,
  readPropertiesCommand,
  systemdItems,
  type PathProperty,
} from './dropinFuzz';
import { cliTargetFlags, connectionArgs, runHush } from './profile-support';
import { HOSTILE_PROGRAMS, HOSTILE_SERVICE, HOSTILE_TREE, hostileTargets } from '../hostile';

const GOOD = `# written by the hush e2e test
[Service]
PrivateTmp=true
ProtectHome=true
ProtectSystem=full
NoNewPrivileges=true
`;
const HEALTH = 'curl -fsS -o /dev/null http://127.0.0.1/';

async function withConn<T>(host: TestHost, fn: (c: Connection) => Promise<T>): Promise<T> {
  // Under TCG a busy guest (a daemon-reload takes up to a minute on Debian 13 here) answers the
  // SSH handshake slowly.
  const conn = await connect(connectionArgs(host, { perDialTimeout: 60 }));
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

async function catText(conn: Connection, unit: string): Promise<string> {
  return conn.run(sh`systemctl cat --no-pager -- ${unit}`);
}
async function prop(conn: Connection, unit: string, name: string): Promise<string> {
  return (await conn.run(sh`systemctl show -p ${name} --value -- ${unit}`)).trim();
}
async function expectCheck(host: TestHost, service: string): Promise<void> {
  const r = await checkService(host, service, { waitSeconds: 60 });
  if (!r.ok) throw new Error(`functional check ${service} failed:\n${r.output}`);
}

const HOSTILE_UNIT = 'hush-hostile.service';
const HOSTILE_LIB = '/usr/local/lib/hush-hostile';
/**
 * The tree the programs read and write (HOSTILE_TREE) lies under /usr/local, which aggressive mode
 * hides behind a read-only tmpfs with bind mounts of what is used: so its items go through the
 * bind grammar, where an unquoted `:` starts a mount destination.
 */
const HOSTILE_BASE = '/usr/local/share/hush-hostile';
/** The symlink game's directory: three components deep, outside the tree (its mkdir is dropped). */
const HOSTILE_GAME = '/srv/hush-hostile/game';

/** What each hostile program did in the unit's current invocation (`hostile FILE ok|errno N`). */
async function hostileOutcomes(host: TestHost): Promise<Record<string, string>> {
  const r = await host.exec('bash -s', {
    stdin: `id=$(systemctl show -p InvocationID --value ${HOSTILE_UNIT})
      for i in $(seq 1 60); do
        out=$(journalctl -o cat _SYSTEMD_INVOCATION_ID=$id | grep '^hostile ')
        [ "$(printf '%s\\n' "$out" | grep -c .)" -ge ${HOSTILE_PROGRAMS.length} ] && break; sleep 1
      done
      printf '%s\\n' "$out"`,
    timeoutMs: 3 * 60_000,
  });
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([, file = '', ...outcome]) => [file, outcome.join(' ')]),
  );
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * The hostile service case (issue 12): installs the programs of test/hostile.ts as a root
 * Type=notify unit, has `hush apply` (the CLI, `hush`) profile and harden it, and checks what
 * systemd reads back. Leaves the unit and its files on the host: the next withTestHost resets the
 * VM to its snapshot.
 */
async function hardenHostileService(host: TestHost, image: string): Promise<void> {
  const t0 = Date.now();
  const files: [string, string][] = [
    ...HOSTILE_PROGRAMS.map((p): [string, string] => [p.file, p.source]),
    ['service.py', HOSTILE_SERVICE],
    ['tree.py', HOSTILE_TREE],
  ];
  // root, no sandbox of its own: everything it gets comes from hush
  const unitText = `[Unit]
Description=hush e2e: the hostile programs of test/hostile.ts as a service (issue 12)
[Service]
Type=notify
Environment=PYTHONDONTWRITEBYTECODE=1
ExecStart=/usr/bin/python3 ${HOSTILE_LIB}/service.py ${HOSTILE_LIB} ${HOSTILE_BASE} ${HOSTILE_GAME}
`;
  const install = await host.exec('bash -s', {
    stdin: `set -e
      command -v python3
      mkdir -p ${HOSTILE_LIB}
      ${files.map(([f, src]) => `printf '%s' '${b64(src)}' | base64 -d > ${HOSTILE_LIB}/${f}`).join('\n')}
      python3 ${HOSTILE_LIB}/tree.py ${HOSTILE_BASE}
      printf '%s' '${b64(unitText)}' | base64 -d > /etc/systemd/system/${HOSTILE_UNIT}
      systemctl daemon-reload
      systemctl start ${HOSTILE_UNIT}`,
    timeoutMs: 5 * 60_000,
  });
  expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: '' });
  // unsandboxed, every program does what it does (the game's mkdir through its link too)
  expect(await hostileOutcomes(host)).toEqual({
    'colon.py': 'ok',
    'dotdot.py': 'ok',
    'symlink.py': 'ok',
    'names.py': 'ok',
  });

  const savedProfile = join(mkdtempSync(join(tmpdir(), 'hush-hostile-')), 'profile.json');
  const a = await runHush([
    'apply',
    HOSTILE_UNIT,
    '--mode',
    'aggressive',
    '--duration',
    '2s',
    '--settle',
    '3s',
    // as many bind mounts as the tree needs under the tmpfs over /usr/local (default 5 would
    // fold them, or keep the tree visible)
    '--threshold',
    '50',
    '--json',
    '--save-profile',
    savedProfile,
    ...cliTargetFlags(host),
  ]);
  if (a.code !== 0)
    process.stderr.write(`[${image} hostile] apply exit ${a.code}\n${a.stderr}\n${a.stdout}\n`);
  expect(a.code).toBe(0);
  // the symlink game's mkdir through its own link: dropped, and said so
  expect(a.stderr).toMatch(/note: 1 successful access through unresolvable paths ignored/);
  const applied = JSON.parse(a.stdout) as { result: { verdict: string; path: string }; dropIn: string };
  expect(applied.result.verdict).toBe('applied');
  const { file } = hardeningPaths(HOSTILE_UNIT);
  expect(applied.result.path).toBe(file);

  const back = await host.exec('bash -s', {
    stdin: `u=${HOSTILE_UNIT}
      echo '== busctl'; ${readPropertiesCommand(HOSTILE_UNIT, PATH_PROPERTIES)}
      echo '== show'; systemctl show -p ${PATH_PROPERTIES.join(',')} $u
      echo '== verify'; systemd-analyze verify /etc/systemd/system/$u 2>&1; echo "rc=$?"
      echo '== active'; systemctl is-active $u
      echo '== dropins'; systemctl show -p DropInPaths --value $u
      echo '== file'; cat ${file}`,
    timeoutMs: 5 * 60_000,
  });
  const section = (name: string) =>
    (back.stdout.split(/^== /m).find((b) => b.startsWith(`${name}\n`)) ?? '').slice(name.length + 1);
  process.stderr.write(`[${image} hostile] systemctl show:\n${section('show')}`);
  // the unit ends verified hardened: hush's drop-in in /etc, the unit active under it
  expect(section('file')).toBe(applied.dropIn);
  expect(section('dropins').trim()).toBe(file);
  expect(section('active').trim()).toBe('active');
  // systemd-analyze verify on the unit with the drop-in: not a word, exit 0
  expect(section('verify')).toBe('rc=0\n');

  const busLines = section('busctl').trim().split('\n');
  expect(busLines).toHaveLength(PATH_PROPERTIES.length);
  const systemd = Object.fromEntries(
    PATH_PROPERTIES.map((p, i) => [
      p,
      systemdItems(p, (JSON.parse(busLines[i] as string) as { data: unknown }).data),
    ]),
  ) as Record<PathProperty, unknown[]>;
  const meant = Object.fromEntries(PATH_PROPERTIES.map((p) => [p, [] as unknown[]])) as Record<
    PathProperty,
    unknown[]
  >;
  const dropIn = parseDropIn(applied.dropIn);
  expect(dropIn.ignored).toEqual([]);
  for (const x of dropIn.assignments)
    if ((PATH_PROPERTIES as readonly string[]).includes(x.option))
      meant[x.option as PathProperty].push(...hushItems(x.option as PathProperty, x.value));
  // What systemd reads is what hush meant, item for item; systemd adds one item of its own,
  // DeviceAllow=char-rtc r, implied by ProtectClock=yes (read-only access to the RTC).
  expect(dropIn.assignments.find((x) => x.option === 'ProtectClock')?.value).toBe('yes');
  expect(systemd).toEqual({ ...meant, DeviceAllow: [...meant.DeviceAllow, ['char-rtc', 'r']] });
  // None of the targets the service names: no /etc/shadow or /usr/bin (source or destination),
  // /etc/cron.d, /dev/sda
  expect(hostileTargets(systemd)).toEqual([]);
  // Exactly the intended items of the tree: the `:` names as one path each, bound onto
  // themselves; the names a unit file cannot hold (tab, newline, CR, not UTF-8) through their
  // parent names/bad; the quote name through names/good (systemd 257's executor reads a quote in
  // a bind path as quoting and would not start the unit), which covers `100%n` too
  const inTree = (rows: unknown[]) =>
    (rows as [string, string, boolean][]).filter(([src]) => src.startsWith(`${HOSTILE_BASE}/`)).sort();
  const self = (path: string) => [path, path, true];
  expect(inTree(systemd.BindReadOnlyPaths)).toEqual([self(`${HOSTILE_BASE}/x/a:/etc/shadow`)]);
  expect(inTree(systemd.BindPaths)).toEqual(
    [
      self(`${HOSTILE_BASE}/names/bad`),
      self(`${HOSTILE_BASE}/names/good`),
      self(`${HOSTILE_BASE}/x/b:/usr/bin`),
    ].sort(),
  );
  expect(systemd.BindPaths).toHaveLength(3);
  // the plan says why (resolved here from the profile the apply took, with the host's facts);
  // for systemd 252, which has no executor, the quote name stays an exact item
  const plan = await runHush([
    'resolve',
    '--mode',
    'aggressive',
    '--threshold',
    '50',
    '--json',
    savedProfile,
  ]);
  expect(plan.code).toBe(0);
  const bindWhy = (
    JSON.parse(plan.stdout) as { plan: { chosen: { option: string; reasons: string[] }[] } }
  ).plan.chosen
    .filter((d) => d.option === 'BindPaths')
    .flatMap((d) => d.reasons)
    .join('\n');
  expect(bindWhy).toContain(
    `${HOSTILE_BASE}/names/good for ${HOSTILE_BASE}/names/good/q"uote's, which has a quote, which systemd 257's executor reads back as quoting`,
  );
  const at252 = await runHush([
    'resolve',
    '--mode',
    'aggressive',
    '--threshold',
    '50',
    '--systemd-version',
    '252',
    savedProfile,
  ]);
  expect(at252.stdout).toMatch(
    /^BindPaths=.* "-\/usr\/local\/share\/hush-hostile\/names\/good\/q\\"uote's"/m,
  );
  // ProtectSystem=strict's exceptions for what the service writes: namespace items, which reach
  // systemd-executor C-escaped (the quote name stays exact there)
  expect(systemd.ReadWritePaths).toEqual([
    `-${HOSTILE_BASE}/names/bad`,
    `-${HOSTILE_BASE}/names/good/100%n`,
    `-${HOSTILE_BASE}/names/good/q"uote's`,
    `-${HOSTILE_BASE}/x/b:/usr/bin`,
  ]);
  // systemctl show prints the same items (its bind items are SRC:DST:OPTIONS, unquoted)
  const show = section('show');
  expect(show).not.toMatch(/cron\.d|\/dev\/sd/);
  expect(show).toContain(`-${HOSTILE_BASE}/x/a:/etc/shadow:${HOSTILE_BASE}/x/a:/etc/shadow:rbind`);
  expect(show).toContain(`-${HOSTILE_BASE}/x/b:/usr/bin:${HOSTILE_BASE}/x/b:/usr/bin:rbind`);

  // What the hardened service could still do: everything it did while profiled, but not the
  // game's mkdir through its own link (dropped from the profile). In the sandbox the link is no
  // longer a symlink: systemd follows a bind source, so BindReadOnlyPaths=-…/game/link mounts the
  // directory it points to at that path (seen on 257: re-planting it failed with EEXIST), and the
  // four `..` climb from that mount point to the host's own /etc/cron.d: read-only under
  // ProtectSystem=strict (EROFS), or absent (ENOENT). Denied either way.
  const outcomes = await hostileOutcomes(host);
  expect({ ...outcomes, 'symlink.py': undefined }).toEqual({
    'colon.py': 'ok',
    'dotdot.py': 'ok',
    'symlink.py': undefined,
    'names.py': 'ok',
  });
  expect(['errno 30', 'errno 2']).toContain(outcomes['symlink.py']);
  process.stderr.write(`[${image} hostile] ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

describe.each(imagesUnderTest())('remote apply/reset on %s', (image) => {
  test(
    'a good drop-in is applied and verified, the service works, status lists it, reset restores systemctl cat',
    () =>
      withTestHost(image, async (host) =>
        withConn(host, async (conn) => {
          const unit = 'nginx.service';
          const { file, dir } = hardeningPaths(unit);
          // An admin's own drop-in is already there: hush must leave it alone.
          await conn.writeFileAtomic(`${dir}/override.conf`, '[Service]\nEnvironment=HUSH_E2E_ADMIN=1\n');
          await conn.run(sh`systemctl daemon-reload && systemctl restart nginx`);
          const before = await catText(conn, unit);
          const facts = await probe(conn, unit);
          expect(facts.unit?.dropIns).toEqual([`${dir}/override.conf`]);

          const r = await applyDropIn(conn, unit, GOOD, { health: HEALTH, settleMs: 3000 });
          expect(r.verdict).toBe('applied');
          expect(r.failures).toEqual([]);
          expect((await conn.readFile(file))?.toString()).toBe(GOOD);
          expect(await prop(conn, unit, 'ProtectSystem')).toBe('full');
          expect(await prop(conn, unit, 'Environment')).toContain('HUSH_E2E_ADMIN=1');
          await expectCheck(host, 'nginx');

          // Same content again: nothing rewritten, no restart.
          const invocation = await prop(conn, unit, 'InvocationID');
          expect((await applyDropIn(conn, unit, GOOD)).verdict).toBe('unchanged');
          expect(await prop(conn, unit, 'InvocationID')).toBe(invocation);

          const s = await status(conn);
          expect(s.hardened.map((h) => [h.unit, h.activeState, h.path])).toEqual([[unit, 'active', file]]);
          expect(s.hardened[0]?.header[0]).toBe('written by the hush e2e test');

          const rr = await reset(conn, unit);
          expect(rr.removed).toEqual([file]); // the directory stays: the admin's drop-in is in it
          expect(rr.restarted).toBe(true);
          expect(rr.activeAfter).toBe('active');
          expect(await catText(conn, unit)).toBe(before);
          expect(await prop(conn, unit, 'ProtectSystem')).toBe('no');
          await expectCheck(host, 'nginx');

          const again = await reset(conn, unit);
          expect(again).toMatchObject({ removed: [], restarted: false, activeAfter: 'active' });
          expect((await status(conn)).hardened).toEqual([]);
        }),
      ),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'breaking drop-ins are rolled back: the previous file comes back byte-for-byte, or goes away again',
    () =>
      withTestHost(image, async (host) =>
        withConn(host, async (conn) => {
          const unit = 'nginx.service';
          const { file, dir } = hardeningPaths(unit);
          // A previous version of hush's file, hand-edited, odd bytes and mode.
          const previous = Buffer.from(
            '# edited by hand\r\n[Service]\nPrivateTmp=yes\n\n# no newline at the end',
            'utf8',
          );
          await conn.writeFileAtomic(file, previous, { mode: 0o640 });
          await conn.run(sh`systemctl daemon-reload && systemctl restart nginx`);
          const before = await catText(conn, unit);

          // nginx opens sockets: a filter denying @network-io kills it with SIGSYS.
          const e1 = await applyDropIn(conn, unit, '[Service]\nSystemCallFilter=~@network-io\n', {
            settleMs: 3000,
          }).catch((e: unknown) => e);
          expect(e1).toBeInstanceOf(ApplyError);
          const r1 = (e1 as ApplyError).result;
          expect(r1.verdict).toBe('rolled-back');
          expect(r1.restoredIdentical).toBe(true);
          expect(r1.failures.length).toBeGreaterThan(0);
          expect(r1.journal.join('\n')).toMatch(/SYS|status=31|Bad system call/);
          expect(await conn.readFile(file)).toEqual(previous);
          expect((await conn.run(sh`stat -c %a -- ${file}`)).trim()).toBe('640');
          expect(await catText(conn, unit)).toBe(before);
          await expectCheck(host, 'nginx');

          // No previous file (and no directory): after the rollback neither exists.
          await reset(conn, unit);
          const pristine = await catText(conn, unit);
          const e2 = await applyDropIn(conn, unit, '[Service]\nProtectSystem=strict\n', {
            settleMs: 3000,
          }).catch((e: unknown) => e);
          expect(e2).toBeInstanceOf(ApplyError);
          const r2 = (e2 as ApplyError).result;
          expect(r2).toMatchObject({
            verdict: 'rolled-back',
            previousExisted: false,
            restoredIdentical: true,
          });
          expect(r2.journal.join('\n')).toMatch(/Read-only file system/);
          expect((await conn.exec(sh`test -e ${dir}`)).code).toBe(1);
          expect(await catText(conn, unit)).toBe(pristine);
          await expectCheck(host, 'nginx');
          expect((await status(conn)).applyStages).toEqual([]);
        }),
      ),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'a template instance gets its own drop-in directory, and reset restores it',
    () =>
      withTestHost(image, async (host) =>
        withConn(host, async (conn) => {
          const unit = (
            await conn.run(sh`systemctl list-units --plain --no-legend 'postgresql@*-main.service'`)
          )
            .trim()
            .split(/\s+/)[0] as string;
          expect(unit).toMatch(/^postgresql@\d+-main\.service$/);
          // An admin's drop-in for the whole template: it applies to the instance and stays.
          const templateDropIn = '/etc/systemd/system/postgresql@.service.d/override.conf';
          await conn.writeFileAtomic(templateDropIn, '[Service]\nEnvironment=HUSH_E2E_TEMPLATE=1\n');
          await conn.run(sh`systemctl daemon-reload`);
          const before = await catText(conn, unit);
          expect(before).toContain(`# ${templateDropIn}`);
          const { file } = hardeningPaths(unit);
          expect(file).toBe(`/etc/systemd/system/${unit}.d/zz-hush-hardening.conf`);
          const r = await applyDropIn(conn, unit, '[Service]\nPrivateTmp=true\nProtectHome=true\n', {
            health: "runuser -u postgres -- psql -Atc 'select 1'",
            settleMs: 3000,
          });
          expect(r.verdict).toBe('applied');
          expect(await prop(conn, unit, 'PrivateTmp')).toBe('yes');
          expect(await prop(conn, unit, 'Environment')).toContain('HUSH_E2E_TEMPLATE=1');
          // The template and other instances are untouched.
          expect(
            (await conn.exec(sh`test -e /etc/systemd/system/postgresql@.service.d/zz-hush-hardening.conf`))
              .code,
          ).toBe(1);
          await expectCheck(host, 'postgresql');
          const rr = await reset(conn, unit);
          expect(rr.activeAfter).toBe('active');
          expect(rr.removed).toEqual([file, dirname(file)]);
          expect(await catText(conn, unit)).toBe(before);
          expect(await prop(conn, unit, 'Environment')).toContain('HUSH_E2E_TEMPLATE=1');
          await expectCheck(host, 'postgresql');
        }),
      ),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'apply clears a profiling leftover (runtime drop-in) before changing anything',
    () =>
      withTestHost(image, async (host) =>
        withConn(host, async (conn) => {
          const unit = 'nginx.service';
          const leftover = `/run/systemd/system/${unit}.d/zz-hush-profile.conf`;
          await conn.writeFileAtomic(leftover, '[Service]\nEnvironment=HUSH_PROFILE_LEFTOVER=1\n');
          await conn.run(sh`systemctl daemon-reload && systemctl restart nginx`);
          expect(await prop(conn, unit, 'Environment')).toContain('HUSH_PROFILE_LEFTOVER=1');
          const r = await applyDropIn(conn, unit, GOOD, { health: HEALTH, settleMs: 2000 });
          expect(r.verdict).toBe('applied');
          expect((await conn.exec(sh`test -e ${leftover}`)).code).toBe(1);
          expect(await prop(conn, unit, 'Environment')).not.toContain('HUSH_PROFILE_LEFTOVER');
          await expectCheck(host, 'nginx');
        }),
      ),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'a hostile service profiled and hardened by hush apply: systemd reads exactly what hush meant, none of the targets the service names',
    () => withTestHost(image, (host) => hardenHostileService(host, image)),
    HOST_TEST_TIMEOUT_MS,
  );
});
