import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HostExec } from './host';
import {
  applyUserDropIn,
  locateUserManagerCommand,
  parseUserReset,
  parseUserUnitState,
  probeUserUnit,
  resetUserUnit,
  USER_SCRIPTS,
  userProbeCommand,
  userUnitState,
  parseUserApply,
  parseUserManager,
  userApplyCommand,
  userApplyScript,
  userDropInPaths,
  userSystemctl,
  UserManagerError,
} from './userUnit';

const alice = parseUserManager('alice', 'uid=1001\nhome=/home/alice\nmanager=active\n');

test("the user's manager: uid, home, runtime dir; root, a stopped manager, odd homes and names refused", () => {
  expect(alice).toEqual({ user: 'alice', uid: 1001, home: '/home/alice', runtimeDir: '/run/user/1001' });
  expect(() => parseUserManager('root', 'uid=0\nhome=/root\nmanager=active\n')).toThrow(/system units/);
  expect(() => parseUserManager('bob', 'uid=1002\nhome=/home/bob\nmanager=inactive\n')).toThrow(
    /user@1002\.service\) is not running.*enable-linger bob/,
  );
  expect(() => parseUserManager('bob', 'uid=\nhome=/home/bob\nmanager=active\n')).toThrow(UserManagerError);
  expect(() => parseUserManager('bob', 'uid=1002\nhome=/home/../etc\nmanager=active\n')).toThrow(/home/);
  expect(() => parseUserManager('bob', 'uid=1002\nhome=relative\nmanager=active\n')).toThrow(/home/);
  for (const bad of ['Alice', 'a b', '-x', 'x;rm', '../x', 'a'.repeat(40)])
    expect(() => locateUserManagerCommand(bad)).toThrow(/login name/);
});

test('commands run as the user with its runtime dir; the drop-in lives in ~/.config/systemd/user/UNIT.d', () => {
  expect(userSystemctl(alice, ['show', '--', 'app.service']).text).toBe(
    'runuser -u alice -- env XDG_RUNTIME_DIR=/run/user/1001 systemctl --user show -- app.service',
  );
  expect(userDropInPaths(alice, 'app')).toEqual({
    dir: '/home/alice/.config/systemd/user/app.service.d',
    file: '/home/alice/.config/systemd/user/app.service.d/zz-hush-hardening.conf',
  });
  expect(() => userDropInPaths(alice, 'a/b.service')).toThrow();
  for (const text of [
    locateUserManagerCommand('alice').text,
    userApplyCommand(alice, 'app.service', 5).text,
    userApplyScript(),
  ])
    execFileSync('sh', ['-n', '-c', text]);
  expect(() => userApplyCommand(alice, 'app.service', -1)).toThrow(/settle/);
});

test('locate: uid and home from the passwd database, the manager state from systemctl', () => {
  const out = execFileSync('sh', ['-c', locateUserManagerCommand('root').text], { encoding: 'utf8' });
  expect(out).toMatch(/^uid=0\nhome=\/root\nmanager=.*$/m);
  const none = spawnSync('sh', ['-c', locateUserManagerCommand('nosuchuserhere').text], { encoding: 'utf8' });
  expect(none.status).toBe(3);
  expect(none.stderr).toMatch(/no user nosuchuserhere/);
});

/**
 * The apply script's decisions (keep or roll back, and the unit left as it was) run here against a
 * stand-in systemctl: a unit that fails to start whenever the drop-in holds `Break=yes`.
 */
describe('the apply script (sh here, a stand-in systemctl --user)', () => {
  let dir: string;
  const fakeSystemctl = `#!/bin/sh
[ "$1" = --user ] && shift
echo "$*" >> "$T/calls"
case $1 in
  is-active) cat "$T/state" ;;
  restart|start) if grep -q '^Break=yes' "$T/d/zz-hush-hardening.conf" 2>/dev/null; then echo failed > "$T/state"; exit 1; fi; echo active > "$T/state" ;;
  stop) echo inactive > "$T/state" ;;
  show) echo 0 ;;
esac
exit 0
`;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hush-userunit-'));
    mkdirSync(`${dir}/bin`);
    writeFileSync(`${dir}/bin/systemctl`, fakeSystemctl);
    chmodSync(`${dir}/bin/systemctl`, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const apply = (text: string, state: string) => {
    writeFileSync(`${dir}/state`, `${state}\n`);
    writeFileSync(`${dir}/calls`, '');
    const r = spawnSync(
      'sh',
      ['-c', userApplyScript(), 'sh', `${dir}/d`, `${dir}/d/zz-hush-hardening.conf`, 'app.service', '0'],
      {
        input: text,
        encoding: 'utf8',
        env: { ...process.env, T: dir, PATH: `${dir}/bin:${process.env.PATH}` },
      },
    );
    return {
      code: r.status,
      verdict: parseUserApply(r.stdout),
      state: readFileSync(`${dir}/state`, 'utf8').trim(),
      dropIn: existsSync(`${dir}/d/zz-hush-hardening.conf`)
        ? readFileSync(`${dir}/d/zz-hush-hardening.conf`, 'utf8')
        : undefined,
    };
  };

  test('a unit that stays up keeps the new drop-in; one that fails gets the previous one back, running again', () => {
    expect(apply('[Service]\nProtectSystem=strict\n', 'active')).toEqual({
      code: 0,
      verdict: 'applied',
      state: 'active',
      dropIn: '[Service]\nProtectSystem=strict\n',
    });
    expect(apply('[Service]\nBreak=yes\n', 'active')).toEqual({
      code: 0,
      verdict: 'rolled-back',
      state: 'active',
      dropIn: '[Service]\nProtectSystem=strict\n',
    });
  });

  test('no previous drop-in: a failure leaves none; a unit that was stopped is stopped again either way', () => {
    expect(apply('[Service]\nBreak=yes\n', 'inactive')).toEqual({
      code: 0,
      verdict: 'rolled-back',
      state: 'inactive',
      dropIn: undefined,
    });
    expect(apply('[Service]\nPrivateTmp=yes\n', 'inactive')).toMatchObject({
      verdict: 'applied',
      state: 'inactive',
      dropIn: '[Service]\nPrivateTmp=yes\n',
    });
    expect(readFileSync(`${dir}/calls`, 'utf8')).toMatch(
      /daemon-reload[\s\S]*restart -- app\.service[\s\S]*stop -- app\.service/,
    );
  });
});

/**
 * The CLI's verbs end to end here: commands as built (runuser … sh -c SCRIPT) run by sh, with a
 * stand-in runuser (drops `-u USER --`) and a stand-in systemctl that refuses any call without
 * --user, so a verb that reached PID 1's manager instead of the user's fails the test.
 */
describe('the verbs against stand-in runuser and systemctl --user', () => {
  let dir: string;
  let home: UserHome;
  interface UserHome {
    m: typeof alice;
    file: string;
  }
  const fakeSystemctl = `#!/bin/sh
[ "$1" = --user ] || { echo "not --user: $*" >&2; exit 99; }
shift
echo "$*" >> "$T/calls"
case $1 in
  --version) echo 'systemd 257 (257.9-1~deb13u1)'; echo '+PAM +SECCOMP' ;;
  is-active) cat "$T/state" ;;
  restart|start) echo active > "$T/state" ;;
  stop) echo inactive > "$T/state" ;;
  cat) echo "# $T/app.service"; echo '[Service]'; echo 'ExecStart=/bin/true' ;;
  show)
    case "$*" in
      *LoadState*) echo loaded ;;
      *NRestarts*) echo 0 ;;
      *) printf 'Id=app.service\nLoadState=loaded\nActiveState=active\nFragmentPath=%s/app.service\nExecStart={ path=/bin/true ; argv[]=/bin/true ; }\n' "$T" ;;
    esac ;;
esac
exit 0
`;
  const local: HostExec = {
    target: 'local-test',
    exec: (cmd, opts) => {
      const r = spawnSync('sh', ['-c', cmd.text], {
        input: opts?.stdin ?? '',
        encoding: 'utf8',
        env: { ...process.env, T: dir, PATH: `${dir}/bin:${process.env.PATH}` },
      });
      return Promise.resolve({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    },
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hush-userverbs-'));
    mkdirSync(`${dir}/bin`);
    writeFileSync(`${dir}/bin/systemctl`, fakeSystemctl);
    writeFileSync(
      `${dir}/bin/runuser`,
      '#!/bin/sh\n[ "$1" = -u ] && [ "$3" = -- ] || exit 98\nshift 3\nexec "$@"\n',
    );
    chmodSync(`${dir}/bin/systemctl`, 0o755);
    chmodSync(`${dir}/bin/runuser`, 0o755);
    writeFileSync(`${dir}/state`, 'active\n');
    writeFileSync(`${dir}/calls`, '');
    const m = { ...alice, home: `${dir}/home` };
    home = { m, file: userDropInPaths(m, 'app.service').file };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("probe: the system probe's script, every systemctl call to the user's manager; systemInstance false", async () => {
    const facts = await probeUserUnit(local, home.m, 'app.service');
    expect(facts.systemInstance).toBe(false);
    expect(facts.systemdVersion).toBe(257);
    expect(facts.unit).toMatchObject({ name: 'app.service', loadState: 'loaded' });
    expect(readFileSync(`${dir}/calls`, 'utf8')).toMatch(/show --no-pager -- app\.service/);
    expect(userProbeCommand(home.m, 'app', '@@m@@').text).toMatch(
      /^runuser -u alice -- env XDG_RUNTIME_DIR=\/run\/user\/1001 sh -c /,
    );
    expect(() => userProbeCommand(home.m, 'a;b.service', '@@m@@')).toThrow();
  });

  test('state, apply, unchanged, reset: the drop-in in the home, the unit restarted as it ran', async () => {
    expect(await userUnitState(local, home.m, 'app.service')).toEqual({
      user: 'alice',
      unit: 'app.service',
      path: home.file,
      activeState: 'active',
      loadState: 'loaded',
    });
    const text = '[Service]\nNoNewPrivileges=yes\n';
    expect(await applyUserDropIn(local, home.m, 'app.service', text, { settleMs: 0 })).toEqual({
      verdict: 'applied',
      path: home.file,
    });
    expect(readFileSync(home.file, 'utf8')).toBe(text);
    expect((await userUnitState(local, home.m, 'app.service')).content).toBe(text);
    writeFileSync(`${dir}/calls`, '');
    expect((await applyUserDropIn(local, home.m, 'app.service', text, { settleMs: 0 })).verdict).toBe(
      'unchanged',
    );
    expect(readFileSync(`${dir}/calls`, 'utf8')).not.toMatch(/restart/);
    expect(await resetUserUnit(local, home.m, 'app.service')).toEqual({
      removed: [home.file],
      restarted: true,
      activeAfter: 'active',
    });
    expect(existsSync(home.file)).toBe(false);
    expect(existsSync(path.dirname(home.file))).toBe(false);
    expect(await resetUserUnit(local, home.m, 'app.service')).toEqual({
      removed: [],
      restarted: false,
      activeAfter: 'unknown',
    });
  });

  test('parsers: garbage is an error, a drop-in with odd text read back verbatim', () => {
    for (const t of Object.values(USER_SCRIPTS)) execFileSync('sh', ['-n', '-c', t]);
    expect(() => parseUserReset('/f', '')).toThrow(UserManagerError);
    expect(() => parseUserUnitState('alice', 'app.service', '/f', 'junk\n')).toThrow(UserManagerError);
    const odd = '[Service]\n# present=no\n@@content@@\n';
    expect(
      parseUserUnitState(
        'alice',
        'app.service',
        '/f',
        `active=active\nload=loaded\npresent=yes\n@@content@@\n${odd}`,
      ).content,
    ).toBe(odd);
  });
});
