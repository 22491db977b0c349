/**
 * Parser benchmark: raw line splitting (the floor), parse-only and parse+summarize throughput on
 * real strace logs of >= 1 million lines, each as a ratio of the raw baseline, with peak RSS; then
 * peak RSS of parse+summarize on a 2 GB stream (the log replayed, never stored).
 *
 * Two logs (bench/make-strace-log.sh): `files`, a find/tar/ls/python batch job whose lines are 90 %
 * calls the summary parses fully, with ~160k distinct paths (the hard case, kept as the one the
 * targets are judged on), and `service`, redis-server under redis-benchmark, dominated by
 * read/write/epoll_wait on the name-only fast path (what profiling a service looks like).
 *
 * Targets (issue 2): parse+summarize >= 1,000,000 lines/s on one core, >= 1/3 of raw, peak RSS
 * <= 200 MB on 2 GB. Each measurement runs in a fresh process (parser-worker.ts) so that peak RSS
 * and JIT state belong to that measurement alone; the best of REPEATS runs is kept, since the
 * machine may be shared and noise only ever slows a run down.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkerMode, WorkerResult } from './parser-worker';
import { compareBuilds, type Stage } from './parserCompare';

const REPEATS = Number(process.env.HUSH_BENCH_REPEATS ?? 3);
const BIG_BYTES = Number(process.env.HUSH_BENCH_BIG_BYTES ?? 2 * 1024 ** 3);
const TARGET_LINES_PER_S = 1_000_000;
const TARGET_RATIO = 1 / 3;
/** The "200 MB", read strictly (decimal: 190.7 MiB). */
const TARGET_RSS = 200e6;
/**
 * Node flags for a bounded memory footprint (what the `hush` CLI would run with). V8 sizes its
 * young generation from the machine's memory and lets the old generation grow well past the live
 * set between full collections; the summary's live set is what it must be (one entry per distinct
 * path and access: ~51 MB after the 1.47M-line files log), the rest of the RSS is GC slack, and it
 * varies run to run with GC timing. Measured (peak RSS MiB; best CPU s of 4 on the files log):
 *   files log, 1.47M lines: default 289-301 (3.17 s); these flags 163-181 (3.78 s, +19 %);
 *     growth 30 % instead of 20 %: 170-177 (3.69 s)
 *   files log replayed to 2 GB: default 359-374; 2 MiB semi-spaces alone 253-261; these flags
 *     172-182 (30 %: 173-192, 40 %: 175-195)
 * With them most of the peak is reached in the log's first pass, where the distinct paths are
 * found (bench: 155 MiB after it, 179 MiB after 2 GB); by default 263 MiB, then 359 MiB, and parse
 * alone 146 then 222 MiB: GC slack, not data, grows with the input. 1 MiB and 4/8 MiB semi-spaces
 * measured worse; --optimize-for-size cost 4x the CPU; --single-threaded-gc, --no-page-promotion
 * and --no-allocation-site-pretenuring did not help.
 */
export const LOW_MEMORY_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=20'];
const LOW_MEMORY = LOW_MEMORY_FLAGS.join(' ');

export type LogKind = 'files' | 'service';

export function benchLogPath(kind: LogKind = 'files'): string {
  const cache = process.env.HUSH_CACHE || '/var/cache/hush';
  return path.join(cache, 'bench', kind === 'files' ? 'strace-1m.log' : 'strace-service-1m.log');
}

/** A benchmark log, generated once (bench/make-strace-log.sh traces a real workload). */
export function ensureBenchLog(kind: LogKind = 'files', log = benchLogPath(kind)): string {
  if (!fs.existsSync(log)) {
    const script = path.resolve(__dirname, '..', '..', 'bench', 'make-strace-log.sh');
    execFileSync('bash', [script, log, '1000000', kind], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return log;
}

function runWorker(
  mode: WorkerMode,
  file: string,
  minBytes = 0,
  nodeFlags: string[] = [],
  worker = path.join(__dirname, 'parser-worker.js'),
): WorkerResult {
  const out = execFileSync(process.execPath, [...nodeFlags, worker, mode, file, String(minBytes)], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerResult;
}

/**
 * Each configuration run REPEATS times, the configurations interleaved (raw, parse, summarize,
 * raw, …) so that load drifting on a shared machine hits them alike; the best (least CPU) run of
 * each is kept, with the highest peak RSS seen.
 */
function bestInterleaved(configs: { mode: WorkerMode; flags?: string[] }[], file: string): WorkerResult[] {
  const keep: (WorkerResult | undefined)[] = configs.map(() => undefined);
  const maxRss = configs.map(() => 0);
  for (let i = 0; i < REPEATS; i++) {
    configs.forEach((c, k) => {
      const r = runWorker(c.mode, file, 0, c.flags ?? []);
      maxRss[k] = Math.max(maxRss[k]!, r.maxRss);
      if (!keep[k] || r.cpuSeconds < keep[k].cpuSeconds) keep[k] = r;
    });
  }
  return keep.map((r, k) => ({ ...r!, maxRss: maxRss[k]! }));
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (n: number): string => (n / 1024 ** 2).toFixed(1);

export interface LogFigures {
  kind: LogKind;
  raw: WorkerResult;
  parse: WorkerResult;
  summarize: WorkerResult;
  /** parse+summarize with {@link LOW_MEMORY_FLAGS}. */
  summarizeCapped: WorkerResult;
}

export interface ParserBenchFigures {
  logs: LogFigures[];
  bigParse: WorkerResult;
  bigSummarize: WorkerResult;
  bigSummarizeCapped: WorkerResult;
}

function measureLog(kind: LogKind, print: (line: string) => void): LogFigures {
  const log = ensureBenchLog(kind);
  print(`## ${kind} log: ${log} (${mb(fs.statSync(log).size)} MiB)`);
  const [raw, parse, summarize, summarizeCapped] = bestInterleaved(
    [
      { mode: 'raw' },
      { mode: 'parse' },
      { mode: 'summarize' },
      { mode: 'summarize', flags: LOW_MEMORY_FLAGS },
    ],
    log,
  ) as [WorkerResult, WorkerResult, WorkerResult, WorkerResult];
  print(`log lines: ${fmt(raw.lines)}; unparsed: ${parse.unparsed}; summary: ${summarize.check}`);
  print('stage                        lines/s (cpu)   MB/s (cpu)   vs raw   lines/s (wall)   peak RSS MiB');
  const rows: [string, WorkerResult][] = [
    ['raw line split', raw],
    ['parse', parse],
    ['parse+summarize', summarize],
    ['  with low-memory flags', summarizeCapped],
  ];
  for (const [label, r] of rows) {
    print(
      `${label.padEnd(28)} ${fmt(r.lines / r.cpuSeconds).padStart(13)} ${(r.bytes / 1024 ** 2 / r.cpuSeconds).toFixed(1).padStart(12)}` +
        ` ${(raw.cpuSeconds / r.cpuSeconds).toFixed(2).padStart(8)} ${fmt(r.lines / r.seconds).padStart(16)} ${mb(r.maxRss).padStart(14)}`,
    );
  }
  print('');
  return { kind, raw, parse, summarize, summarizeCapped };
}

/**
 * Rates are per CPU second of the measuring process (user + system): "on one core", and stable
 * when the machine is shared; wall-clock rates are printed beside them.
 */
export async function runParserBench(print: (line: string) => void): Promise<ParserBenchFigures> {
  print(
    `# strace parser  (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cpus, load ${os.loadavg()[0]?.toFixed(1)})`,
  );
  print(
    `best of ${REPEATS} interleaved runs (CPU time), each in a fresh process; "vs raw" = raw CPU time / stage CPU time`,
  );
  print(`low-memory flags: node ${LOW_MEMORY} (what the hush CLI would run with; see LOW_MEMORY_FLAGS)`);
  print('');
  const logs = (['files', 'service'] as const).map((kind) => measureLog(kind, print));

  const log = ensureBenchLog('files');
  print(`streaming ${mb(BIG_BYTES)} MiB of the files log (replayed, never stored)…`);
  const bigParse = runWorker('parse', log, BIG_BYTES);
  const bigSummarize = runWorker('summarize', log, BIG_BYTES);
  const bigSummarizeCapped = runWorker('summarize', log, BIG_BYTES, LOW_MEMORY_FLAGS);
  const bigRows: [string, WorkerResult][] = [
    ['parse', bigParse],
    ['parse+summarize', bigSummarize],
    ['parse+summarize, low-memory flags', bigSummarizeCapped],
  ];
  for (const [label, r] of bigRows) {
    print(
      `  ${label.padEnd(36)} ${mb(r.bytes)} MiB, ${fmt(r.lines)} lines, ` +
        `${fmt(r.lines / r.cpuSeconds)} lines/s (cpu), peak RSS ${mb(r.maxRss)} MiB ` +
        `(${mb(r.firstPassMaxRss ?? 0)} MiB after the first pass)`,
    );
  }
  print('');
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  print('targets (issue 2), parse+summarize:');
  for (const f of logs) {
    for (const [label, r] of [
      ['default', f.summarize],
      ['low-memory flags', f.summarizeCapped],
    ] as const) {
      const lps = r.lines / r.cpuSeconds;
      const ratio = f.raw.cpuSeconds / r.cpuSeconds;
      print(
        `  ${f.kind} log, ${label}: >= ${fmt(TARGET_LINES_PER_S)} lines/s ${verdict(lps >= TARGET_LINES_PER_S)} (${fmt(lps)}); ` +
          `>= 1/3 of raw ${verdict(ratio >= TARGET_RATIO)} (${ratio.toFixed(2)}; parse alone ${(f.raw.cpuSeconds / f.parse.cpuSeconds).toFixed(2)})`,
      );
    }
  }
  // MiB, as every RSS here, and the decimal MB the target is stated in
  const mbBoth = (n: number): string => `${mb(n)} MiB = ${(n / 1e6).toFixed(1)} MB`;
  print(
    `  peak RSS <= 200 MB on 2 GB (files log): default ${verdict(bigSummarize.maxRss <= TARGET_RSS)} (${mbBoth(bigSummarize.maxRss)}; parse alone ${mb(bigParse.maxRss)} MiB); ` +
      `low-memory flags ${verdict(bigSummarizeCapped.maxRss <= TARGET_RSS)} (${mbBoth(bigSummarizeCapped.maxRss)})`,
  );
  return { logs, bigParse, bigSummarize, bigSummarizeCapped };
}

/**
 * `HUSH_BENCH_BASELINE=DIR npm run bench`: this build against the build in DIR (a `dist`
 * directory, e.g. main's, built in another checkout), interleaved in one run (parserCompare.ts).
 * HUSH_BENCH_ROUNDS (5) rounds; HUSH_BENCH_STAGES picks stages (default all:
 * files-parse,files-summarize,files-capped,service-parse,service-summarize,service-capped).
 */
export function runParserComparison(baselineDist: string, print: (line: string) => void): void {
  const rounds = Number(process.env.HUSH_BENCH_ROUNDS ?? 5);
  const all: Stage[] = (['files', 'service'] as const).flatMap((kind) => [
    { kind, mode: 'parse' as const, flags: [], label: 'parse' },
    { kind, mode: 'summarize' as const, flags: [], label: 'parse+summarize' },
    { kind, mode: 'summarize' as const, flags: LOW_MEMORY_FLAGS, label: 'parse+summarize, low-mem flags' },
  ]);
  const key = (st: Stage): string =>
    `${st.kind}-${st.mode === 'parse' ? 'parse' : st.flags.length ? 'capped' : 'summarize'}`;
  const wanted = process.env.HUSH_BENCH_STAGES?.split(',');
  const stages = wanted ? all.filter((st) => wanted.includes(key(st))) : all;
  const logs = { files: ensureBenchLog('files'), service: ensureBenchLog('service') };
  compareBuilds(
    { label: 'baseline', dist: baselineDist },
    { label: 'this', dist: path.resolve(__dirname, '..') },
    stages,
    logs,
    rounds,
    (worker, mode, file, flags) => runWorker(mode, file, 0, flags, worker),
    print,
  );
}
