/**
 * The session-safe opt-in on sshd (issue 13 part 1), on a host whose sshd hands every login to
 * logind (pam_systemd): `hush apply ssh.service --session-safe` hardens only what stays with
 * ssh.service's own cgroup, which login sessions leave when logind moves them into their own
 * session-N.scope. Called from access.test.ts on its booted host, with the sshd profile it took.
 *
 * Proven from outside, over NEW connections as the operator (no hush code in the checks):
 *   - the drop-in in /etc sets only cgroup-scoped options, and systemd reads them back on the unit;
 *   - a fresh login works, runs in its own session scope (its cgroup and logind agree), keeps
 *     PID 1's mount namespace (no read-only /etc, no PrivateTmp), NoNewPrivs 0 and PID 1's capability
 *     bounding set; `sudo -n` works and it writes under /etc;
 *   - the hardening is in force where it was applied: a process put into ssh.service's cgroup cannot
 *     bind the UDP port the login session binds (sshd's profile shows no UDP bind: SocketBindDeny=);
 *   - `hush reset ssh.service`, run as that operator through the hardened sshd, removes the drop-in
 *     for real (gone from /etc, systemd no longer reads it).
 */
import { parseDropIn } from '../../core/dropin/parse';
import type { Connection } from '../../remote/connection';
import { keyValueLines } from '../../remote/keyValueLines';
import { hardeningPaths } from '../../remote/paths';
import { sh } from '../../remote/shell';
import { CGROUP_SCOPED_OPTIONS } from '../../remote/sessionUnits';
import { connect as rawConnect, execOn, type TestHost } from '../host';

type Hush = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export interface SessionSafeCase {
  host: TestHost;
  /** A root connection opened before the change (the test's own way in). */
  root: Connection;
  hush: Hush;
  /** A non-root login with passwordless sudo, and the CLI's target flags for it. */
  operator: string;
  operatorFlags: string[];
  /** sshd's profile (hush.profile/v1), taken earlier on this host. */
  profileFile: string;
}

const UNIT = 'ssh.service';
/** A UDP port nothing uses: bound from the login session and from ssh.service's cgroup. */
const PROBE_PORT = 47113;

/** What a login session of the operator sees of itself, printed as key=value lines. */
const SESSION_SCRIPT = `
printf 'cgroup=%s\\n' "$(sed -n 's/^0:://p' /proc/self/cgroup)"
printf 'nnp=%s\\n' "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status)"
printf 'capbnd=%s\\n' "$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)"
printf 'mntns=%s\\n' "$(readlink /proc/self/ns/mnt)"
s=$(sed -n 's/^0::.*\\/session-\\([^/]*\\)\\.scope$/\\1/p' /proc/self/cgroup)
[ -n "$s" ] && loginctl show-session -p Scope -p Name -- "$s" | sed 's/^/logind/'
python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", ${PROBE_PORT})); print("bind=ok")' 2>&1 | tail -n 1 | sed '/^bind=ok$/!s/^/bind=/'
sudo -n true && echo sudo=ok
sudo -n sh -c 'printf "pid1mntns=%s\\n" "$(readlink /proc/1/ns/mnt)"
printf "pid1capbnd=%s\\n" "$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/1/status)"
t=/etc/hush-e2e-session-safe; touch "$t" && rm -f "$t" && echo etcwrite=ok'
`;

function keyValues(text: string): Record<string, string> {
  return Object.fromEntries(keyValueLines(text));
}

export async function sessionSafeCase(c: SessionSafeCase): Promise<void> {
  const sshd = hardeningPaths(UNIT);
  const applied = await c.hush([
    'apply',
    UNIT,
    '--profile',
    c.profileFile,
    '--session-safe',
    '--settle',
    '2s',
    '--confirm-timeout',
    '90s',
    ...c.operatorFlags,
  ]);
  expect({ code: applied.code, stderr: applied.code === 0 ? '' : applied.stderr }).toEqual({
    code: 0,
    stderr: '',
  });
  expect(applied.stdout).toMatch(
    new RegExp(
      `^ssh\\.service: hardened and verified on [^ ]+ \\(${sshd.file.replace(/\./g, '\\.')}\\); access confirmed by a fresh login as ${c.operator}@[^:]+:\\d+: fresh SSH login, sudo -n, write under /etc\\n$`,
    ),
  );

  // Only options on ssh.service's own cgroup, and systemd has them on the unit.
  const text = (await c.root.readFile(sshd.file))?.toString() ?? '';
  const options = [
    ...new Set(
      parseDropIn(text)
        .assignments.filter((a) => a.section === 'Service')
        .map((a) => a.option),
    ),
  ];
  expect(options.filter((o) => !CGROUP_SCOPED_OPTIONS.has(o))).toEqual([]);
  // sshd's profile shows TCP binds only (port 22), no UDP: its UDP binds are denied.
  expect(options).toEqual(expect.arrayContaining(['SocketBindDeny']));
  expect(
    parseDropIn(text)
      .assignments.filter((a) => a.option === 'SocketBindDeny')
      .map((a) => a.value),
  ).toContain('ipv4:udp');
  const shown = keyValues(
    await c.root.run(sh`systemctl show ${options.flatMap((o) => ['-p', o])} -- ${UNIT}`),
  );
  for (const o of options) expect({ [o]: /\S/.test(shown[o] ?? '') }).toEqual({ [o]: true });

  // A fresh login of the operator through the hardened sshd: its own session, none of sshd's sandbox.
  const client = await rawConnect({ ...c.host, user: c.operator });
  let seen: Record<string, string>;
  try {
    const r = await execOn(client, SESSION_SCRIPT, { timeoutMs: 120_000 });
    seen = keyValues(r.stdout);
  } finally {
    client.end();
  }
  const scope = /^\/user\.slice\/user-\d+\.slice\/(session-[^/]+\.scope)$/.exec(seen.cgroup ?? '');
  expect({ cgroup: seen.cgroup, inOwnScope: scope !== null }).toEqual({
    cgroup: seen.cgroup,
    inOwnScope: true,
  });
  expect({
    logindScope: seen.logindScope,
    logindName: seen.logindName,
    nnp: seen.nnp,
    capbnd: seen.capbnd,
    mntns: seen.mntns,
    bind: seen.bind,
    sudo: seen.sudo,
    etcwrite: seen.etcwrite,
  }).toEqual({
    logindScope: scope?.[1],
    logindName: c.operator,
    nnp: '0',
    capbnd: seen.pid1capbnd,
    // PID 1's mount namespace: no ProtectSystem, no PrivateTmp, nothing of sshd's.
    mntns: seen.pid1mntns,
    bind: 'ok',
    sudo: 'ok',
    etcwrite: 'ok',
  });
  expect(seen.pid1mntns).toMatch(/^mnt:\[\d+\]$/);

  // In force on the unit: the same bind from a process in ssh.service's cgroup is denied.
  const inUnit = await c.root.exec(
    sh`sh -c ${`cg=$(systemctl show -p ControlGroup --value -- ${UNIT}) && echo $$ >"/sys/fs/cgroup$cg/cgroup.procs" && exec python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", ${PROBE_PORT}))'`}`,
  );
  expect(inUnit.code).not.toBe(0);
  expect(inUnit.stderr).toMatch(/PermissionError|Operation not permitted/);

  // Reset through the hardened sshd, as the operator: the file is gone for real.
  const r = await c.hush(['reset', UNIT, '--confirm-timeout', '90s', ...c.operatorFlags]);
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(
    new RegExp(
      `^ssh\\.service: reset on [^ ]+ \\(removed ${sshd.file.replace(/\./g, '\\.')}, ${sshd.dir.replace(/\./g, '\\.')}\\); restarted, active; access confirmed by a fresh login as ${c.operator}@[^:]+:\\d+: fresh SSH login, sudo -n, write under /etc\\n$`,
    ),
  );
  expect((await c.root.exec(sh`test -e ${sshd.file} || test -e ${sshd.dir}`)).code).toBe(1);
  // (systemctl show leaves out an empty list property even when asked for it by name)
  const after = keyValues(await c.root.run(sh`systemctl show -p DropInPaths -p SocketBindDeny -- ${UNIT}`));
  expect({ DropInPaths: after.DropInPaths, SocketBindDeny: after.SocketBindDeny ?? '' }).toEqual({
    DropInPaths: '',
    SocketBindDeny: '',
  });
}
