// The providers' pure steps (check and diff): what the engine is told to preview. The CRUD steps
// need a host and are covered end to end by test/e2e/pulumi-*.test.ts.
import { hardeningDropIn, profileSessionOptions, serviceProfile } from './runtime';
import { ServiceProfileInputs, UNKNOWN } from './inputs';

const PIN = 'SHA256:' + 'A'.repeat(43);
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
const connection = { host: '192.0.2.7', port: 2222, privateKey: KEY, hostKey: PIN };

const profileInputs = {
  __provider: 'exports.handler = …',
  connection,
  unit: 'nginx.service',
  window: { durationSeconds: 3 },
};
const fp = { digest: 'd1', systemdVersion: 257, kernelRelease: 'k', arch: 'x86_64', binaries: [] };
const stats = {
  lines: 10,
  syscalls: 5,
  actions: 3,
  traceBytes: 100,
  windowSeconds: 3,
  tracing: 'decisions',
  setupSeconds: 1,
  wrappedRestartSeconds: 1,
  finishSeconds: 1,
  totalSeconds: 6,
};
// As the dynamic provider of earlier versions stored it: `__provider`, no phase, no warnings.
const profileState = {
  ...profileInputs,
  profiledFingerprint: fp,
  currentFingerprint: 'd1',
  profile: '{}',
  reprofileReasons: [],
  stats,
};

const dropInInputs = {
  __provider: 'exports.handler = …',
  connection,
  unit: 'nginx.service',
  content: '[Service]\nProtectSystem=full\n',
};
const dropInState = {
  ...dropInInputs,
  path: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
  drift: null,
};

describe('check', () => {
  it('names the bad field and never echoes a secret', async () => {
    const r = await serviceProfile.check(
      {},
      { ...profileInputs, connection: { ...connection, port: 70000 } },
    );
    expect(r.failures).toEqual([{ property: 'connection.port', reason: 'must be 1 to 65535' }]);
    expect(JSON.stringify(r.failures)).not.toContain('PRIVATE');
  });

  it('rejects an unknown field and a window with nothing to do', async () => {
    const r = await serviceProfile.check({}, { ...profileInputs, window: {}, colour: 'red' });
    expect(r.failures?.map((f) => f.property).sort()).toEqual(['(input)', 'window']);
  });

  it('accepts decisions or full tracing, and names the field for anything else', async () => {
    for (const tracing of ['decisions', 'full'])
      expect((await serviceProfile.check({}, { ...profileInputs, tracing })).failures).toBeUndefined();
    const r = await serviceProfile.check({}, { ...profileInputs, tracing: 'fast' });
    expect(r.failures).toEqual([{ property: 'tracing', reason: 'must be decisions or full' }]);
  });

  it('lets values still unknown at preview pass', async () => {
    const r = await hardeningDropIn.check({}, { ...dropInInputs, unit: UNKNOWN, content: UNKNOWN });
    expect(r.failures).toBeUndefined();
  });
});

describe('ServiceProfile diff', () => {
  it('reports no change for the same inputs', async () => {
    expect(await serviceProfile.diff('id', profileState, profileInputs)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it('rotating the key is an update, not a re-profile', async () => {
    const news = { ...profileInputs, connection: { ...connection, privateKey: KEY.replace('AAAA', 'BBBB') } };
    expect(await serviceProfile.diff('id', profileState, news)).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  it('re-profiles when the window, the unit or the host changes', async () => {
    const window = { ...profileInputs, window: { durationSeconds: 9 } };
    expect((await serviceProfile.diff('id', profileState, window)).replaces).toEqual(['window']);
    const host = { ...profileInputs, connection: { ...connection, port: 22 } };
    expect((await serviceProfile.diff('id', profileState, host)).replaces).toEqual(['connection']);
  });

  it('re-profiles when the tracing changes, set or unset', async () => {
    const full = { ...profileInputs, tracing: 'full' };
    expect((await serviceProfile.diff('id', profileState, full)).replaces).toEqual(['tracing']);
    const fullState = { ...profileState, tracing: 'full' };
    expect(await serviceProfile.diff('id', fullState, full)).toMatchObject({ changes: false, replaces: [] });
    expect((await serviceProfile.diff('id', fullState, profileInputs)).replaces).toEqual(['tracing']);
    const decisions = { ...profileInputs, tracing: 'decisions' };
    expect((await serviceProfile.diff('id', fullState, decisions)).replaces).toEqual(['tracing']);
  });

  it('re-profiles when refresh found the host changed since the profile was taken', async () => {
    const refreshed = { ...profileState, currentFingerprint: 'd2' };
    expect(await serviceProfile.diff('id', refreshed, profileInputs)).toMatchObject({
      changes: true,
      replaces: ['hostFingerprint'],
    });
  });
});

describe('ServiceProfile session options', () => {
  const session = (extra: Record<string, unknown>) =>
    profileSessionOptions(ServiceProfileInputs.parse({ connection, unit: 'nginx.service', ...extra }));

  it('hands the tracing to the profiling session', () => {
    expect(session({ window: { durationSeconds: 3 }, tracing: 'full' })).toEqual({
      unit: 'nginx.service',
      durationMs: 3000,
      tracing: 'full',
    });
  });

  it("leaves tracing out when not given, so the engine's default applies", () => {
    const opts = session({ window: { workload: 'curl -fsS localhost', localWorkload: 'true' } });
    expect(opts).toEqual({
      unit: 'nginx.service',
      remoteWorkload: 'curl -fsS localhost',
      localWorkload: 'true',
    });
    expect('tracing' in opts).toBe(false);
  });
});

describe('HardeningDropIn diff', () => {
  it('reports no change for the same inputs', async () => {
    expect(await hardeningDropIn.diff('id', dropInState, dropInInputs)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it('new text is an update in place', async () => {
    const news = { ...dropInInputs, content: '[Service]\nProtectSystem=strict\n' };
    expect(await hardeningDropIn.diff('id', dropInState, news)).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  it('drift found by refresh is an update that puts the declared text back', async () => {
    expect(await hardeningDropIn.diff('id', { ...dropInState, drift: 'edited' }, dropInInputs)).toMatchObject(
      {
        changes: true,
        replaces: [],
      },
    );
  });

  it('another unit or host is a replacement, the old file removed first', async () => {
    const news = { ...dropInInputs, unit: 'caddy.service' };
    expect(await hardeningDropIn.diff('id', dropInState, news)).toMatchObject({
      changes: true,
      replaces: ['unit'],
      deleteBeforeReplace: true,
    });
  });
});
