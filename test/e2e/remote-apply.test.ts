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
 */
import { dirname } from 'node:path';
import { applyDropIn, ApplyError } from '../../remote/apply';
import { connect, type Connection } from '../../remote/connection';
import { hardeningPaths } from '../../remote/paths';
import { probe } from '../../remote/probe';
import { reset } from '../../remote/reset';
import { sh } from '../../remote/shell';
import { status } from '../../remote/status';
import { checkService, HOST_TEST_TIMEOUT_MS, imagesUnderTest, withTestHost, type TestHost } from '../host';
import { connectionArgs } from './profile-support';

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
});
