/**
 * Never lose the way in (issue 13, part 1), on the debian-13 test host, whose sshd hands every
 * login to logind (pam_systemd: session-N.scope, out of ssh.service's cgroup). One booted host, one
 * test, the steps in sequence (each ends with the host reachable and administrable: a fresh login,
 * sudo, an /etc write):
 *
 * 1. `hush apply ssh.service` is refused before anything is touched, with the reason: hush's own
 *    session descends from sshd (detected from the process tree, not by name).
 * 2. The issue's first lock-out, through the CLI under the opt-in `--sandbox-sessions`: sshd
 *    profiled while nobody logs in, hardened, verified (the unit is up, its journal clean), but no
 *    fresh login gets in: hush reverts through its old session and says so.
 * 3. The same change with the controller killed while it awaits confirmation: the host's own
 *    deadline timer reverts it; nobody does anything.
 * 4. The issue's second lock-out: NoNewPrivileges on sshd passes on to every login, so a fresh
 *    login works but `sudo -n` does not: reverted.
 * 5. The explicit opt-in `--session-safe` on sshd, from the profile of step 2: only options on
 *    ssh.service's own cgroup, in force there; a fresh login runs in its own session scope without
 *    any of sshd's sandbox; `hush reset` through that sshd removes the drop-in (accessSessionSafe.ts).
 * 6. A login session that inherited sshd's sandbox (read-only /etc) resets sshd (the transaction
 *    runs in PID 1), a hush file that cannot be removed is an error naming it, and a transaction
 *    stopped mid-apply leaves /etc as it was (the state a reboot would find) and the unit on its
 *    previous configuration.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { proveAccess } from '../../remote/access';
import { applyDropIn, ApplyError } from '../../remote/apply';
import { connect, type Connection } from '../../remote/connection';
import { applyPaths, hardeningPaths } from '../../remote/paths';
import { sh } from '../../remote/shell';
import { checkService, withTestHost, type TestHost } from '../host';
import { sessionSafeCase } from './accessSessionSafe';
import { cliTargetFlags, connectionArgs, runHush } from './profile-support';

const IMAGE = 'debian-13';
const OPERATOR = 'hushop';
const UNIT = 'ssh.service';
const TIMEOUT_MS = 30 * 60_000;

const hush = runHush;

function step(name: string): void {
  process.stderr.write(`access e2e: ${new Date().toISOString().slice(11, 19)} ${name}\n`);
}

/** A non-root login with passwordless sudo, same key as root: hush's confirmation uses `sudo -n`. */
async function addOperator(root: Connection): Promise<void> {
  await root.run(sh`id ${OPERATOR} >/dev/null 2>&1 || useradd -m -s /bin/bash ${OPERATOR}
install -d -o ${OPERATOR} -m 700 /home/${OPERATOR}/.ssh
install -o ${OPERATOR} -m 600 /root/.ssh/authorized_keys /home/${OPERATOR}/.ssh/authorized_keys
printf '%s ALL=(root) NOPASSWD: ALL\n' ${OPERATOR} >/etc/sudoers.d/${OPERATOR}; chmod 440 /etc/sudoers.d/${OPERATOR}
visudo -cf /etc/sudoers.d/${OPERATOR} >/dev/null`);
}

/** Reachable and administrable: a fresh login as `user`, sudo when not root, a write under /etc. */
async function expectAdministrable(host: TestHost, user: string): Promise<void> {
  const conn = await connect(connectionArgs(host, { user, perDialTimeout: 60 }));
  try {
    const proof = await proveAccess(conn, { requireAdminWrite: true, timeoutMs: 180_000 });
    await proof.conn?.close();
    expect({ ok: proof.ok, failure: proof.failure }).toEqual({ ok: true, failure: undefined });
    expect(proof.proven).toEqual(
      user === 'root'
        ? ['fresh SSH login', 'write under /etc']
        : ['fresh SSH login', 'sudo -n', 'write under /etc'],
    );
  } finally {
    await conn.close();
  }
}

/** No trace of a change to ssh.service: no drop-in in /etc, none pending, no transaction left. */
async function expectSshdUntouched(root: Connection): Promise<void> {
  const { file } = hardeningPaths(UNIT);
  const { pendingFile, transientUnit, deadlineUnit } = applyPaths(UNIT);
  expect((await root.exec(sh`test -e ${file} || test -e ${pendingFile}`)).code).toBe(1);
  const active = await root.exec(sh`systemctl is-active -- ${transientUnit} ${`${deadlineUnit}.timer`}`);
  expect(active.stdout.split('\n').filter((l) => l === 'active')).toEqual([]);
  const props = await root.run(
    sh`systemctl show -p NoNewPrivileges -p ProtectSystem -p DropInPaths -- ${UNIT}`,
  );
  expect(props.trim().split('\n').sort()).toEqual(['DropInPaths=', 'NoNewPrivileges=no', 'ProtectSystem=no']);
}

async function waitFor(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

describe(`never lose the way in, on ${IMAGE}`, () => {
  test(
    'sshd refused by default; changes that break logins or sudo are reverted by hush or by the host alone; a sandboxed session resets; file errors are named; a stopped apply leaves /etc as it was',
    () =>
      withTestHost(IMAGE, async (host) => {
        const t0 = Date.now();
        const root = await connect(connectionArgs(host, { perDialTimeout: 60 }));
        const dir = mkdtempSync(path.join(tmpdir(), 'hush-access-'));
        try {
          await addOperator(root);
          const asOperator = [...cliTargetFlags(host), '--user', OPERATOR];

          // Refused by default, before anything is touched: hush's own session descends from sshd.
          const refused = await hush(['apply', UNIT, '--duration', '10s', ...asOperator]);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(
            /\nhush apply: ssh\.service starts other people's sessions or jobs: hush's own SSH session \(pid \d+\) descends from ssh\.service \(pid \d+ sshd\).* Every process it starts inherits its sandbox: hardening it would give every login session a read-only \/etc, a private \/tmp, a reduced capability set and no new privileges \(sudo stops working\)\. Refusing\. --session-safe hardens only options that stay with its own cgroup, which sessions moved into their own scope by pam_systemd leave behind; --sandbox-sessions applies the hardening to the sessions too\./s,
          );
          await expectSshdUntouched(root);
          step('refused');

          // The issue's first case: sshd profiled while nobody logs in, then hardened. Verification
          // passes (the unit is up, its journal is clean), but no new login gets through.
          const profileFile = path.join(dir, 'ssh.profile.json');
          const broken = await hush([
            'apply',
            UNIT,
            '--duration',
            '10s',
            '--sandbox-sessions',
            '--confirm-timeout',
            '90s',
            '--settle',
            '2s',
            '--save-profile',
            profileFile,
            ...asOperator,
          ]);
          expect({ code: broken.code, stdout: broken.stdout }).toEqual({ code: 3, stdout: '' });
          expect(broken.stderr).toMatch(
            /hush apply: hardening of ssh\.service was NOT confirmed and was reverted \(the unit runs on its previous configuration\)\n {2}- reverted: no fresh login proved access\n {2}- NOT confirmed: .*\n {2}- after the revert: confirmed by a fresh login as hushop@[^:]+:\d+: fresh SSH login, sudo -n, write under \/etc/,
          );
          await expectSshdUntouched(root);
          await expectAdministrable(host, OPERATOR);
          step('profiled drop-in reverted by hush');

          // A controller that dies while the change awaits its confirmation: the host reverts by
          // itself at the deadline; nobody does anything.
          const { stage } = applyPaths(UNIT);
          const child = spawn(
            process.execPath,
            [
              path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js'),
              'apply',
              UNIT,
              '--profile',
              profileFile,
              '--sandbox-sessions',
              '--confirm-timeout',
              '40s',
              '--settle',
              '2s',
              ...asOperator,
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let childErr = '';
          child.stderr.on('data', (b: Buffer) => (childErr += b.toString()));
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          await waitFor('the change to await its confirmation', 10 * 60_000, async () => {
            if (child.exitCode !== null) throw new Error(`the controller ended early:\n${childErr}`);
            return (await root.exec(sh`grep -qx pending ${`${stage}/phase`}`)).code === 0;
          });
          child.kill('SIGKILL');
          await exited;
          step('controller killed while pending');
          const pendingAt = Date.now();
          const stageHas = async (line: string) =>
            (await root.exec(sh`grep -qxF ${line} ${`${stage}/result`}`)).code === 0;
          await waitFor('the host to revert on its own', 5 * 60_000, () => stageHas('verdict=reverted'));
          expect(Date.now() - pendingAt).toBeGreaterThanOrEqual(35_000);
          expect(
            await stageHas('revertReason=no confirmation within 40 s: no fresh login proved access'),
          ).toBe(true);
          await expectSshdUntouched(root);
          await expectAdministrable(host, OPERATOR);
          const st = await hush(['status', ...cliTargetFlags(host)]);
          expect(st.stdout).toContain(
            `${UNIT}: change reverted (no confirmation within 40 s: no fresh login proved access) (${stage})`,
          );
          step('host reverted at the deadline');

          // NoNewPrivileges passes on to every login: ssh works, sudo does not. Reverted.
          const op = await connect(connectionArgs(host, { user: OPERATOR, perDialTimeout: 60 }));
          try {
            expect(op.viaSudo).toBe(true);
            const e = await applyDropIn(op, UNIT, '[Service]\nNoNewPrivileges=yes\n', {
              sessionUnit: 'sandbox-sessions',
              confirmTimeoutMs: 90_000,
              settleMs: 2000,
            }).catch((err: unknown) => err);
            expect(e).toBeInstanceOf(ApplyError);
            const r = (e as ApplyError).result;
            expect(r.verdict).toBe('reverted');
            expect(r.confirmation).toMatchObject({ ok: false, proven: ['fresh SSH login'] });
            expect(r.confirmation?.failure).toMatch(/^sudo -n fails in a fresh login: .*no new privileges/);
            expect(r.accessAfterRevert).toMatchObject({
              ok: true,
              proven: ['fresh SSH login', 'sudo -n', 'write under /etc'],
            });
          } finally {
            await op.close();
          }
          await expectSshdUntouched(root);
          // (reachable and administrable again: the next step's fresh logins prove it, sudo and /etc too)
          step(`sudo-breaking drop-in reverted; ${Math.round((Date.now() - t0) / 1000)} s so far`);

          // The opt-in that hardens only what login sessions leave behind, proven over fresh logins.
          await sessionSafeCase({
            host,
            root,
            hush,
            operator: OPERATOR,
            operatorFlags: asOperator,
            profileFile,
          });
          step(
            `session-safe sshd applied, fresh login unconfined, reset; ${Math.round((Date.now() - t0) / 1000)} s so far`,
          );

          // sshd hardened the way the issue found it (by hand here: hush refuses it): every login
          // inherits a read-only /etc and no new privileges.
          const sshd = hardeningPaths(UNIT);
          await root.writeFileAtomic(
            sshd.file,
            '[Service]\nProtectSystem=strict\nPrivateTmp=yes\nNoNewPrivileges=yes\n',
          );
          await root.run(sh`systemctl daemon-reload && systemctl restart ssh.service`);
          const jailed = await connect(connectionArgs(host, { perDialTimeout: 60 }));
          try {
            const w = await jailed.exec(sh`touch /etc/hush-e2e-probe`);
            expect(w.stderr).toMatch(/Read-only file system/);
            const listed = await hush(['status', ...cliTargetFlags(host)]);
            expect(listed.stdout).toContain(sshd.file);
          } finally {
            await jailed.close();
          }
          // `hush reset` runs in such a session (every CLI run opens a new one): the transaction
          // runs in PID 1, and the fresh login afterwards can write /etc again.
          const r = await hush(['reset', UNIT, ...cliTargetFlags(host)]);
          expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
          expect(r.stdout).toMatch(
            new RegExp(
              `^ssh\\.service: reset on [^ ]+ \\(removed ${sshd.file.replace(/\./g, '\\.')}, ${sshd.dir.replace(/\./g, '\\.')}\\); restarted, active; access confirmed by a fresh login as root@[^:]+:\\d+: fresh SSH login, write under /etc\\n$`,
            ),
          );
          await expectSshdUntouched(root);
          await expectAdministrable(host, 'root');
          step('reset from a sandboxed session');

          // A hush file that cannot be removed (a read-only bind mount over it: EBUSY): an error
          // naming it, and the unit keeps the hardening it had (the reset is reverted), never
          // "nothing of hush".
          const nginx = hardeningPaths('nginx.service');
          const previous = '[Service]\nPrivateTmp=yes\nProtectHome=yes\n';
          await root.writeFileAtomic(nginx.file, previous);
          await root.run(
            sh`systemctl daemon-reload && systemctl restart nginx && mount --bind ${nginx.file} ${nginx.file} && mount -o remount,ro,bind ${nginx.file}`,
          );
          const stuck = await hush([
            'reset',
            'nginx.service',
            '--confirm-timeout',
            '60s',
            ...cliTargetFlags(host),
          ]);
          await root.run(sh`umount -- ${nginx.file}`);
          expect(stuck.code).toBe(1);
          expect(stuck.stderr).toContain(
            `hush reset: reset of nginx.service on ${host.host} was NOT made persistent; hush's hardening is back in place: reverted: the change could not be made persistent; commit: cannot remove ${nginx.file}: rm: cannot remove '${nginx.file}': Device or resource busy`,
          );
          expect((await root.readFile(nginx.file))?.toString()).toBe(previous);
          expect((await root.run(sh`systemctl show -p PrivateTmp --value nginx`)).trim()).toBe('yes');
          step('unremovable file named');

          // Reboot-safe: mid-apply, the change lives only under /run (tmpfs: a reboot drops it) and
          // /etc still holds the previous file; stopping the transaction reverts at once.
          const { transientUnit, pendingFile } = applyPaths('nginx.service');
          const next = '[Service]\nPrivateTmp=yes\nProtectHome=yes\nProtectSystem=full\n';
          // A health command that sleeps holds the transaction mid-change; a long settle would do so
          // too, but the revert would then wait out the same settle before it reports.
          const applying = applyDropIn(root, 'nginx.service', next, {
            settleMs: 2000,
            health: 'sleep 600',
            healthTimeoutMs: 900_000,
          }).catch((err: unknown) => err);
          await waitFor('the change to be staged', 5 * 60_000, async () => {
            return (
              (
                await root.exec(
                  sh`test -e ${pendingFile} && systemctl is-active --quiet nginx && pgrep -fx 'sleep 600'`,
                )
              ).code === 0
            );
          });
          expect((await root.readFile(pendingFile))?.toString()).toBe(next);
          expect((await root.readFile(nginx.file))?.toString()).toBe(previous);
          expect((await root.run(sh`findmnt -n -o FSTYPE --target ${pendingFile}`)).trim()).toBe('tmpfs');
          expect((await root.run(sh`systemctl show -p ProtectSystem --value nginx`)).trim()).toBe('full');
          await root.run(sh`systemctl stop -- ${transientUnit}`);
          const e = await applying;
          expect(e).toBeInstanceOf(ApplyError);
          expect((e as ApplyError).result).toMatchObject({ verdict: 'reverted', restoredIdentical: true });
          expect((e as ApplyError).result.failures[0]).toBe(
            'reverted: the transaction was stopped before it finished',
          );
          expect((await root.exec(sh`test -e ${pendingFile}`)).code).toBe(1);
          expect((await root.readFile(nginx.file))?.toString()).toBe(previous);
          expect(
            (await root.run(sh`systemctl show -p ProtectSystem -p PrivateTmp nginx`))
              .trim()
              .split('\n')
              .sort(),
          ).toEqual(['PrivateTmp=yes', 'ProtectSystem=no']);
          const check = await checkService(host, 'nginx', { waitSeconds: 60 });
          expect(check.ok).toBe(true);
          step(`stopped transaction reverted; ${Math.round((Date.now() - t0) / 1000)} s in all`);
        } finally {
          await root.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
    TIMEOUT_MS,
  );
});

beforeAll(() => {
  // The killed controller is the real CLI in its own process: built code, not ts-jest's.
  if (!existsSync(path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` before the host tests');
});
