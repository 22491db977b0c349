import { PassThrough } from 'node:stream';
import { main } from './main';
import { formatStatus } from './profileRecording';
import { parseStatus } from '../remote/recording/status';

async function hush(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(args, { stdin: new PassThrough(), stdout: new PassThrough(), stderr });
  return { code, stderr: err };
}

const target = ['--host', '192.0.2.1', '--host-key', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'];

test('profile start: --until is required and checked, --max-trace checked, before any connection (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['profile', 'start', 'nginx'], /needs --until/],
    [['profile', 'start', 'nginx', '--until', 'tomorrow'], /--until expects a duration/],
    [['profile', 'start', 'nginx', '--until', '30s'], /at least a minute/],
    [['profile', 'start', 'nginx', '--until', '31d'], /within 30 days/],
    [['profile', 'start', 'nginx', '--until', '1h', '--max-trace', '10K'], /--max-trace must be at least 1M/],
    [['profile', 'start', 'nginx', '--until', '1h', '--max-trace', 'lots'], /--max-trace expects a size/],
    [['profile', 'start', '../x', '--until', '1h'], /./],
    [['profile', 'finish'], /exactly one UNIT/],
    [['profile', 'status', 'nginx', '--until', '1h'], /./],
    [['apply', 'nginx', '--from-recording', '--profile', 'p.json'], /--from-recording excludes --profile/],
    [['apply', 'nginx', '--from-recording', '--dry-run'], /excludes --dry-run/],
  ];
  for (const [args, message] of cases) {
    const r = await hush([...args, ...target]);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr).toMatch(message);
  }
});

const M = '@@m@@';
const sec = (name: string, body: string) => `\n${M}${name}\n${body}`;
const stateText = [
  'unit=nginx.service',
  'session=abc',
  'started_at=2026-12-07T18:00:00.000Z',
  'deadline=2026-12-07T19:00:00.000Z',
  'cap_bytes=67108864',
  'was_active=yes',
  'boot_id=b1',
].join('\n');
const now = Date.parse('2026-12-07T18:30:00Z') / 1000;

test('status: sizes, events, restarts seen and time left from the host sections', () => {
  const out =
    sec('state', stateText) +
    sec('session', 'abc') +
    sec('boot', 'b1') +
    sec('now', String(now)) +
    sec('writer', 'active') +
    sec('capped', '') +
    sec('sizes', 'ExecStart-0 2048\nExecReload-0 100') +
    sec('counts', 'ExecStart-0 lines=500 sessions=2\nExecReload-0 lines=20 sessions=1') +
    sec('end', '');
  const s = parseStatus(out, M)!;
  expect(s).toMatchObject({
    state: 'running',
    secondsLeft: 1800,
    spoolBytes: 2148,
    lines: 520,
    restartsSeen: 2,
    capped: false,
    rebooted: false,
    writerActive: true,
  });
  expect(formatStatus(s)).toContain('30m00s left');
});

test('status: ended states, a reboot or a lost session before end.sh ran, and no recording', () => {
  const base = (extra: string, session = 'abc', boot = 'b1') =>
    sec('state', stateText + extra) +
    sec('session', session) +
    sec('boot', boot) +
    sec('now', String(now)) +
    sec('end', '');
  expect(parseStatus(base('\nended_at=x\nended_by=cap'), M)?.state).toBe('cap');
  expect(parseStatus(base('', 'abc', 'b2'), M)).toMatchObject({ state: 'reboot', rebooted: true });
  expect(parseStatus(base('', ''), M)?.state).toBe('lost');
  expect(parseStatus(sec('state', '') + sec('end', ''), M)).toBeUndefined();
  expect(formatStatus(parseStatus(base('\nended_at=x\nended_by=deadline'), M)!)).toContain(
    'ended: deadline at x',
  );
});
