/**
 * The pure parts of the real-CPU overhead bench (bench/overhead): the wrapped commands come from
 * hush's own wrapper and read back as systemd would, the load tools' outputs parse, and ratios are
 * only formed within a round.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execWord } from '../../core/systemd/execWords';
import { execArgv, hushWrapped, type LocalStrace } from '../../bench/overhead/recorders';
import { summarizeRuns, median, type LocalRun } from '../../bench/overhead/report';
import { nginxService, parseRedisBenchmarkCsv, parseWrk, redisService } from '../../bench/overhead/services';

const STRACE: LocalStrace = {
  path: '/usr/bin/strace',
  versionLine: 'strace -- version 6.1',
  help: 'usage: strace ... --seccomp-bpf ...',
  supportsArgv0: false,
};

describe('bench:overhead', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hush-bench-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads back every word hush writes into an Exec line', () => {
    const words = ['/usr/bin/strace', 'trace=!?a,?b', 'a b', 'x"y\\z', '100%', '$HOME'];
    expect(execArgv(words.map((w) => execWord(w, { envExpansion: true })).join(' '))).toEqual(words);
  });

  it("runs nginx under hush's own wrapper: decisions by default, full when asked", () => {
    const svc = nginxService(dir, 18080);
    const d = hushWrapped(svc, STRACE, undefined, '/run/x/fifo', 252);
    expect(d.tracing).toBe('decisions');
    expect(d.argv[0]).toBe('/usr/bin/strace');
    expect(d.argv).toEqual(expect.arrayContaining(['-D', '--seccomp-bpf', '-o', '/run/x/fifo/ExecStart-0']));
    expect(d.argv.slice(d.argv.indexOf('--') + 1)).toEqual(svc.execStart.split(' '));
    expect(d.argv.find((a) => a.startsWith('trace=!'))).toContain('?writev');
    expect(d.reader).toEqual(expect.arrayContaining(['dd', 'if=/run/x/fifo/ExecStart-0']));
    const f = hushWrapped(svc, STRACE, 'full', '/run/x/fifo', 252);
    expect(f.tracing).toBe('full');
    expect(f.argv).not.toContain('--seccomp-bpf');
    expect(f.argv.slice(f.argv.indexOf('--') + 1)).toEqual(svc.execStart.split(' '));
  });

  it('parses wrk and redis-benchmark output', () => {
    const wrk = parseWrk(
      '  102085 requests in 3.00s, 80.1MB read\n  Socket errors: connect 0, read 1, write 0, timeout 2\nRequests/sec:  33608.10\n',
    );
    expect(wrk).toEqual({ requestsPerSec: 33608.1, requests: 102085, errors: 3 });
    const csv = '"test","rps","avg_latency_ms"\n"SET","100000.00","0.1"\n"GET","50000.00","0.2"\n';
    // 2 × 10000 requests in 0.1 + 0.2 s
    expect(parseRedisBenchmarkCsv(csv, 10000).requestsPerSec).toBeCloseTo(20000 / 0.3, 6);
    expect(() => parseRedisBenchmarkCsv('ERROR', 10)).toThrow(/redis-benchmark/);
    expect(redisService(dir, 16379, 1000).load(5)).toContain('1000');
  });

  it('divides each rate by the unprofiled rate and by SHH of its own round', () => {
    const run = (round: number, recorder: LocalRun['recorder'], requestsPerSec: number): LocalRun => ({
      cpuUsPerRequest: 1e6 / requestsPerSec,
      round,
      service: 'nginx',
      recorder,
      requestsPerSec,
      requests: 1,
      errors: 0,
      loadAtStart: '',
      loadBeforeLoad: '',
      startMs: 0,
      traceBytes: 0,
      note: '',
    });
    const s = summarizeRuns([
      run(0, 'unprofiled', 1000),
      run(0, 'hush decisions', 500),
      run(0, 'shh', 100),
      run(1, 'unprofiled', 2000),
      run(1, 'hush decisions', 600),
      run(1, 'shh', 300),
    ]);
    const d = s.find((x) => x.recorder === 'hush decisions')!;
    expect([d.vsUnprofiledMin, d.vsUnprofiledMedian]).toEqual([0.3, 0.4]);
    expect([d.vsShhMin, d.vsShhMedian]).toEqual([2, 3.5]);
    // CPU per request here is 1/rate, so its ratio equals the rate ratio
    expect(d.cpuVsUnprofiledMin).toBeCloseTo(0.3, 10);
    expect(d.cpuVsUnprofiledMedian).toBeCloseTo(0.4, 10);
    expect(s.find((x) => x.recorder === 'shh')!.vsShhMedian).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
  });
});
