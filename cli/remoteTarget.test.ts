import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from './main';
import { connectionArgsFromFlags, parseDuration } from './remoteTarget';
import { formatStatus } from './commands/status';

const PIN = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (b: Buffer) => (text.out += b.toString()));
  err.on('data', (b: Buffer) => (text.err += b.toString()));
  return { io: { stdin: new PassThrough(), stdout: out, stderr: err }, text };
}

describe('SSH target flags', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-cli-'));
  const key = path.join(dir, 'id');
  writeFileSync(key, '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n');
  const kh = path.join(dir, 'known_hosts');
  writeFileSync(kh, '[h]:22 ssh-ed25519 AAAA\n');

  it('maps flags and environment to connection args; secrets only from the environment', () => {
    expect(
      connectionArgsFromFlags(
        { host: 'h', port: '2222', user: 'ops', identity: key, 'host-key': PIN },
        { HUSH_SSH_KEY_PASSPHRASE: 'pp', HUSH_SSH_PASSWORD: 'pw' },
      ),
    ).toEqual({
      host: 'h',
      port: 2222,
      user: 'ops',
      privateKey: expect.stringContaining('PRIVATE KEY'),
      privateKeyPassword: 'pp',
      password: 'pw',
      hostKey: PIN,
    });
    expect(connectionArgsFromFlags({ host: 'h', 'host-key': `@${kh}` }, {}).hostKey).toBe(
      '[h]:22 ssh-ed25519 AAAA\n',
    );
    expect(
      connectionArgsFromFlags({ host: 'h', 'insecure-accept-any-host-key': true }, {})
        .insecureAcceptAnyHostKey,
    ).toBe(true);
  });

  it.each([
    [{}, /--host is required/],
    [{ host: 'h' }, /--host-key is required/],
    [{ host: 'h', port: 'x', 'host-key': PIN }, /--port expects a number/],
    [{ host: 'h', identity: '/nonexistent/key', 'host-key': PIN }, /--identity: cannot read .*ENOENT/],
    [{ host: 'h', 'host-key': '@/nonexistent' }, /--host-key: cannot read/],
  ])('rejects %j', (flags, msg) => {
    expect(() => connectionArgsFromFlags(flags, {})).toThrow(msg);
  });

  it('parses durations', () => {
    expect(parseDuration('5s', '--settle')).toBe(5000);
    expect(parseDuration('250ms', '--settle')).toBe(250);
    expect(parseDuration('2m', '--settle')).toBe(120_000);
    expect(parseDuration('3', '--settle')).toBe(3000);
    expect(() => parseDuration('soon', '--settle')).toThrow(/--settle expects a duration/);
    expect(parseDuration('2d', '--duration')).toBe(172_800_000);
    // longer than setTimeout holds, and absurd for a foreground session: refused, not wrapped to 1 ms
    expect(() => parseDuration('600h', '--duration')).toThrow(
      /--duration 600h is longer than the 7 days hush accepts/,
    );
  });
});

describe('remote commands refuse bad input before any connection', () => {
  it.each([
    ['apply', ['nginx;reboot', '--host', '127.0.0.1', '--port', '1', '--host-key', PIN]],
    ['reset', ['$(id)', '--host', '127.0.0.1', '--port', '1', '--host-key', PIN]],
    ['apply', ['nginx', '--host', '127.0.0.1', '--port', '1']],
    ['status', ['--port', '1', '--host-key', PIN]],
  ])('hush %s %j exits 2 with a usage error', async (name, args) => {
    const { io: cio, text } = io();
    expect(await main([name, ...args], cio)).toBe(2);
    expect(text.err).toMatch(
      new RegExp(`^hush ${name}: (invalid unit name|--host-key is required|--host is required)`),
    );
  });
});

describe('apply and profile flags are checked before any connection', () => {
  const target = ['--host', '127.0.0.1', '--port', '1', '--host-key', PIN];
  it.each([
    [['apply', 'nginx', '--health-timeout', '30s', ...target], /--health-timeout needs --health/],
    [['apply', 'nginx', '--health', 'true', '--health-timeout', '200ms', ...target], /at least 1s/],
    [
      ['apply', 'nginx', '--health', 'true', '--health-timeout', 'soon', ...target],
      /--health-timeout expects/,
    ],
    [
      ['apply', 'nginx', '--tracing', 'sometimes', ...target],
      /--tracing must be decisions or full, got "sometimes"/,
    ],
    [
      ['apply', 'nginx', '--tracing', 'full', '--profile', 'p.json', ...target],
      /with --profile nothing is profiled/,
    ],
    [['profile', 'nginx', '--tracing', 'sometimes', ...target], /--tracing must be decisions or full/],
  ])('hush %j exits 2 naming the flag', async (args, message) => {
    const { io: cio, text } = io();
    expect(await main(args, cio)).toBe(2);
    expect(text.err).toMatch(message);
  });
});

describe('status output', () => {
  it('lists hardened units and in-flight work', () => {
    const text = formatStatus({
      host: 'h',
      hardened: [
        {
          unit: 'nginx.service',
          path: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
          activeState: 'active',
          subState: 'running',
          bytes: 10,
          modified: '2026-01-01T00:00:00.000Z',
          header: ['Generated by hush 0.1.0.', 'profile sha256:abc  mode standard  systemd 252'],
        },
      ],
      profiling: [],
      sessions: [{ dir: '/run/hush/profile/x', heartbeatAgeSec: 4 }],
      transientUnits: [],
      applyStages: ['/run/hush/apply/nginx-1', '/run/hush/apply/redis-2'],
      transactions: [
        {
          stage: '/run/hush/apply/nginx-1',
          unit: 'nginx.service',
          phase: 'pending',
          deadline: '2026-01-01T00:03:00.000Z',
        },
        {
          stage: '/run/hush/apply/redis-2',
          unit: 'redis-server.service',
          phase: 'reverted',
          revertReason: 'no confirmation within 180 s: no fresh login proved access',
        },
      ],
      pending: [
        {
          unit: 'nginx.service',
          path: '/run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf',
        },
      ],
      setAside: [
        {
          unit: 'redis-server.service',
          path: '/run/systemd/system.control/redis-server.service.d/zz-hush-hardening.conf',
        },
      ],
    });
    expect(text).toContain(
      'nginx.service: change verified, awaiting a fresh-login confirmation; the host reverts it at 2026-01-01T00:03:00.000Z (/run/hush/apply/nginx-1)',
    );
    expect(text).toContain(
      'redis-server.service: change reverted (no confirmation within 180 s: no fresh login proved access) (/run/hush/apply/redis-2)',
    );
    expect(text).toContain(
      'unconfirmed runtime drop-in: nginx.service (/run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf)',
    );
    expect(text).toContain(
      "hush's drop-in set aside for a profiling session: redis-server.service (/run/systemd/system.control/redis-server.service.d/zz-hush-hardening.conf)",
    );
    expect(text).not.toContain('apply in progress or interrupted');
    expect(text).toContain('hardened by hush on h:');
    expect(text).toMatch(/nginx\.service\s+active\/running/);
    expect(text).toContain('profile sha256:abc  mode standard  systemd 252');
    expect(text).toContain('profiling session: /run/hush/profile/x (heartbeat 4 s ago)');
    expect(
      formatStatus({
        host: 'h',
        hardened: [],
        profiling: [],
        sessions: [],
        transientUnits: [],
        applyStages: [],
        transactions: [],
        pending: [],
        setAside: [],
      }),
    ).toBe('no unit hardened by hush on h\n');
  });
});
