import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectStream, END_OF_TRACE } from '../profile/collect';
import { straceSegment } from '../profile/recorder';
import { createReadStream } from 'node:fs';
import {
  deadlineTimerUnit,
  parseCount,
  parseRecordingState,
  parseSize,
  parseUntil,
  recordingPaths,
  renderRecordingState,
  slotWriter,
} from './spool';

const now = new Date('2026-12-07T12:00:00Z');

test('--until: a duration from now or an ISO time with a zone, in the future, within 30 days', () => {
  expect(parseUntil('6h', now).toISOString()).toBe('2026-12-07T18:00:00.000Z');
  expect(parseUntil('2d', now).toISOString()).toBe('2026-12-09T12:00:00.000Z');
  expect(parseUntil('2026-12-08T09:30:00+01:00', now).toISOString()).toBe('2026-12-08T08:30:00.000Z');
  for (const bad of ['30s', '2026-12-08T09:30:00', 'tomorrow', '40d', '2026-12-01T00:00:00Z', '6 h'])
    expect(() => parseUntil(bad, now)).toThrow(/--until/);
});

test('--max-trace: sizes with binary units, at least 1M', () => {
  expect(parseSize('500M', '--max-trace')).toBe(500 * 1024 ** 2);
  expect(parseSize('2G', '--max-trace')).toBe(2 * 1024 ** 3);
  expect(parseSize('1.5GiB', '--max-trace')).toBe(1.5 * 1024 ** 3);
  for (const bad of ['10K', '-1G', 'lots', '1e9'])
    expect(() => parseSize(bad, '--max-trace')).toThrow(/--max-trace/);
});

test('state round trip; the first end recorded is how it ended; an unknown ended_by is ignored', () => {
  const s = {
    unit: 'nginx.service',
    session: 'abc',
    startedAt: '2026-12-07T12:00:00.000Z',
    deadline: '2026-12-07T18:00:00.000Z',
    capBytes: 1024 ** 3,
    bootId: 'b1',
    wasActive: true,
  };
  expect(parseRecordingState(renderRecordingState(s))).toEqual(s);
  const ended = renderRecordingState(s) + 'ended_at=2026-12-07T13:00:00Z\nended_by=cap\n';
  expect(parseRecordingState(ended)).toMatchObject({ endedBy: 'cap', endedAt: '2026-12-07T13:00:00Z' });
  expect(parseRecordingState(ended + 'ended_by=deadline\n').endedBy).toBe('cap');
  expect(parseRecordingState(renderRecordingState(s) + 'ended_by=whatever\n').endedBy).toBeUndefined();
  expect(parseCount('lines=12 sessions=3\n')).toEqual({ lines: 12, sessions: 3 });
});

test('the deadline timer fires at the deadline in UTC, after a reboot too', () => {
  const t = deadlineTimerUnit(
    recordingPaths('nginx.service', 'nginx-1'),
    new Date('2026-12-07T18:00:00.250Z'),
  );
  expect(t).toMatch(/^OnCalendar=2026-12-07 18:00:00 UTC$/m);
  expect(t).toMatch(/^Persistent=true$/m);
  expect(t).toMatch(/^WantedBy=timers.target$/m);
});

describe('the slot writer (sh, awk, gzip on this machine)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hush-spool-'));
    mkdirSync(`${dir}/spool`);
    mkdirSync(`${dir}/count`);
    execFileSync('mkfifo', [`${dir}/fifo`]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(capBytes: number, writes: string[], whileRunning?: () => void): Promise<void> {
    const p = {
      ...recordingPaths('x.service', 'x-1'),
      dir,
      spoolDir: `${dir}/spool`,
      countDir: `${dir}/count`,
      cappedFlag: `${dir}/capped`,
    };
    const cmd = slotWriter(p, {
      slot: 'ExecStart-0',
      fifo: `${dir}/fifo`,
      stopFlags: [`${dir}/stop`],
      capBytes,
      endMarker: END_OF_TRACE,
    });
    const child = spawn('sh', ['-c', cmd.text], { stdio: 'ignore' });
    const done = new Promise((r) => child.on('close', r));
    // each write is one strace session: open, write, close
    // (a pause between them, as between two starts of a command: two writers that overlap are one
    // session to the reader)
    for (const w of writes) {
      writeFileSync(`${dir}/fifo`, w);
      await new Promise((r) => setTimeout(r, 500));
    }
    whileRunning?.();
    writeFileSync(`${dir}/stop`, '');
    // the wake-up: an O_RDWR open counts as a writer, so the blocked cat returns
    execFileSync('sh', ['-c', `: 1<>"${dir}/fifo"`]);
    await done;
  }

  test('sessions end with the marker, trace lines and non-empty sessions are counted, and collectStream reads the spool back', async () => {
    await run(64 * 1024 * 1024, ['1 getpid() = 1\n2 getpid() = 2\n', '3 getuid() = 0\n']);
    expect(parseCount(readFileSync(`${dir}/count/ExecStart-0`, 'utf8'))).toEqual({ lines: 3, sessions: 2 });
    expect(existsSync(`${dir}/capped`)).toBe(false);
    const segs = await collectStream(createReadStream(`${dir}/spool/ExecStart-0.gz`), {
      slot: 'ExecStart-0',
      source: 't',
      compressed: true,
      newSegment: () => straceSegment(undefined),
    });
    expect(segs.filter((s) => s.complete).map((s) => s.lines)).toEqual([2, 1]);
  });

  test("a session's count is written as soon as it ends, not when the writer stops (awk may buffer a pipe)", async () => {
    let seen = '';
    await run(64 * 1024 * 1024, ['1 getpid() = 1\n', '2 getpid() = 2\n3 getuid() = 0\n'], () => {
      seen = readFileSync(`${dir}/count/ExecStart-0`, 'utf8');
    });
    expect(parseCount(seen)).toEqual({ lines: 3, sessions: 2 });
  });

  test('at the cap the file is cut, the flag set, and the rest drained (the writer never blocks the tracee)', async () => {
    // incompressible text: 2 x 1.4 MB of base64 lines, over 1 MiB once gzipped
    const chunk = () =>
      randomBytes(1024 * 1024)
        .toString('base64')
        .replace(/.{100}/g, '$&\n') + '\n';
    const writes = [chunk(), chunk()];
    const lines = writes.join('').split('\n').length - 1;
    await run(1024 * 1024, writes);
    expect(statSync(`${dir}/spool/ExecStart-0.gz`).size).toBe(1024 * 1024);
    expect(existsSync(`${dir}/capped`)).toBe(true);
    // both sessions were read to the end although the file stopped growing
    expect(parseCount(readFileSync(`${dir}/count/ExecStart-0`, 'utf8'))).toEqual({
      lines,
      sessions: 2,
    });
  });
});
