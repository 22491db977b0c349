import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  locateUserManagerCommand,
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
