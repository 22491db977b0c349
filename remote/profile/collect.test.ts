import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { collectStream, END_OF_TRACE } from './collect';
import { straceSegment } from './recorder';

// Two strace sessions of one command, as `strace -f -xx -y -v -o FIFO` writes them.
const TRACE_1 = [
  '100 execve("\\x2f\\x62\\x69\\x6e\\x2f\\x78", ["\\x78"], 0x7ffd /* 3 vars */) = 0',
  '100 openat(AT_FDCWD</>, "\\x2f\\x65\\x74\\x63\\x2f\\x78\\x2e\\x63\\x6f\\x6e\\x66", O_RDONLY) = 3</etc/x.conf>',
  '100 exit_group(0)                        = ?',
  '100 +++ exited with 0 +++',
  '',
].join('\n');
const TRACE_2 = [
  '200 execve("\\x2f\\x62\\x69\\x6e\\x2f\\x78", ["\\x78"], 0x7ffd /* 3 vars */) = 0',
  '200 openat(AT_FDCWD</>, "\\x2f\\x65\\x74\\x63\\x2f\\x79", O_RDONLY) = 3</etc/y>',
  '200 +++ exited with 0 +++',
  '',
].join('\n');

function streamOf(chunks: (string | Buffer)[]): PassThrough {
  const s = new PassThrough();
  (async () => {
    for (const c of chunks) {
      s.write(c);
      await new Promise((r) => setImmediate(r));
    }
    s.end();
  })();
  return s;
}

function readPaths(p: { actions: { action: { kind: string } }[] }): string[] {
  return p.actions.flatMap((a) =>
    a.action.kind === 'path' && (a.action as unknown as { access: string }).access === 'read'
      ? [(a.action as unknown as { path: string }).path]
      : [],
  );
}

describe('collectStream', () => {
  test('splits the stream at end-of-trace lines into one profile per strace session', async () => {
    const text = `${TRACE_1}${END_OF_TRACE}\n${TRACE_2}${END_OF_TRACE}\n`;
    // chunk boundaries in awkward places: inside a line and inside the marker
    const cut1 = TRACE_1.length + 5;
    const cut2 = 17;
    const segs = await collectStream(
      streamOf([text.slice(0, cut2), text.slice(cut2, cut1), text.slice(cut1)]),
      {
        slot: 'ExecStart-0',
        source: 'unit:x.service@h',
        compressed: false,
        newSegment: () => straceSegment(undefined),
      },
    );
    expect(segs.map((s) => [s.invocation, s.complete])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(readPaths(segs[0]!.profile)).toContain('/etc/x.conf');
    expect(readPaths(segs[1]!.profile)).toContain('/etc/y');
    expect(readPaths(segs[1]!.profile)).not.toContain('/etc/x.conf');
    expect(segs[0]!.profile.runs[0]?.source).toBe('unit:x.service@h#ExecStart-0/1');
    expect(segs[1]!.lines).toBe(3);
  });

  test('gzip on the wire; a trace cut short is kept and marked incomplete', async () => {
    const gz = gzipSync(Buffer.from(`${TRACE_1}${END_OF_TRACE}\n${TRACE_2.slice(0, 120)}`));
    // truncate the gzip stream too, as a dropped connection would
    const segs = await collectStream(streamOf([gz.subarray(0, gz.length - 6)]), {
      slot: 'ExecStart-0',
      source: 's',
      compressed: true,
      newSegment: () => straceSegment(undefined),
      firstInvocation: 4,
    });
    expect(segs[0]).toMatchObject({ invocation: 4, complete: true });
    expect(segs.at(-1)?.complete).toBe(false);
    expect(segs.at(-1)?.profile.runs[0]?.source).toMatch(/ \(incomplete\)$/);
  });

  test('a marker only counts at the start of a line; an empty session is no segment', async () => {
    const segs = await collectStream(streamOf([`${END_OF_TRACE}\n${TRACE_1}x${END_OF_TRACE}\n`]), {
      slot: 's',
      source: 's',
      compressed: false,
      newSegment: () => straceSegment(undefined),
    });
    expect(segs).toHaveLength(1);
    expect(segs[0]?.complete).toBe(false);
  });
});
