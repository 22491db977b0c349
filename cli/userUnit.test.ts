import { runHush } from '../test/e2e/profile-support';
import { userManagerFromFlag } from './userUnit';

const hush = runHush;

// Nothing here reaches a host: every case is refused before any connection (no --host needed to fail).
const target = ['--host', '192.0.2.1', '--insecure-accept-any-host-key'];

test('--user-manager: a login name, not root', () => {
  expect(userManagerFromFlag(undefined)).toBeUndefined();
  expect(userManagerFromFlag('alice')).toBe('alice');
  for (const bad of ['Alice', 'a;b', '../x', '-x', ''])
    expect(() => userManagerFromFlag(bad)).toThrow(/--user-manager: a login name/);
  expect(() => userManagerFromFlag('root')).toThrow(/system units/);
});

test('apply --user-manager: needs --profile; flags it does not support are refused by name', async () => {
  const none = await hush(['apply', 'app.service', '--user-manager', 'alice', ...target]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/--user-manager needs --profile FILE.*not profiled by hush yet/);
  const watch = await hush([
    'apply',
    'app.service',
    '--user-manager',
    'alice',
    '--profile',
    '/nonexistent',
    '--watch',
    '1m',
    '--session-safe',
    ...target,
  ]);
  expect(watch.code).toBe(2);
  expect(watch.stderr).toMatch(/--user-manager excludes --watch, --session-safe/);
  const bad = await hush(['apply', 'app.service', '--user-manager', 'x;y', ...target]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/login name/);
});

test('profile --user-manager is refused (user units are not profiled yet); reset and status take it', async () => {
  const p = await hush(['profile', 'app.service', '--user-manager', 'alice', ...target]);
  expect(p.code).toBe(2);
  expect(p.stderr).toMatch(/not profiled by hush yet/);
  const r = await hush([
    'reset',
    'app.service',
    '--user-manager',
    'alice',
    '--confirm-timeout',
    '60s',
    ...target,
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--user-manager excludes --confirm-timeout/);
  const s = await hush(['status', '--user-manager', 'alice', ...target]);
  expect(s.code).toBe(2);
  expect(s.stderr).toMatch(/exactly one UNIT/);
  const u = await hush(['status', 'app.service', ...target]);
  expect(u.code).toBe(2);
  expect(u.stderr).toMatch(/a UNIT only with --user-manager/);
  for (const verb of ['apply', 'reset', 'status'])
    expect((await hush([verb, '--help'])).stdout + (await hush([verb, '--help'])).stderr).toMatch(
      /--user-manager USER/,
    );
});
