/**
 * Parser benchmark: raw line splitting (the floor), parse-only and parse+summarize throughput on a
 * real strace log of >= 1 million lines, each as a ratio of the raw baseline, with peak RSS; then
 * peak RSS of parse+summarize on a 2 GB stream (the log replayed, never stored).
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

const REPEATS = Number(process.env.HUSH_BENCH_REPEATS ?? 3);
const BIG_BYTES = Number(process.env.HUSH_BENCH_BIG_BYTES ?? 2 * 1024 ** 3);
const TARGET_LINES_PER_S = 1_000_000;
const TARGET_RATIO = 1 / 3;
const TARGET_RSS = 200 * 1024 ** 2;
const YOUNG_GEN_CAP = '--max-semi-space-size=8';

export function benchLogPath(): string {
  const cache = process.env.HUSH_CACHE || '/var/cache/hush';
  return path.join(cache, 'bench', 'strace-1m.log');
}

/** The benchmark log, generated once (bench/make-strace-log.sh traces a real workload). */
export function ensureBenchLog(log = benchLogPath()): string {
  if (!fs.existsSync(log)) {
    const script = path.resolve(__dirname, '..', '..', 'bench', 'make-strace-log.sh');
    execFileSync('bash', [script, log, '1000000'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return log;
}

function runWorker(mode: WorkerMode, file: string, minBytes = 0, nodeFlags: string[] = []): WorkerResult {
  const worker = path.join(__dirname, 'parser-worker.js');
  const out = execFileSync(process.execPath, [...nodeFlags, worker, mode, file, String(minBytes)], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerResult;
}

function best(mode: WorkerMode, file: string): WorkerResult {
  let keep: WorkerResult | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const r = runWorker(mode, file);
    if (!keep || r.cpuSeconds < keep.cpuSeconds)
      keep = { ...r, maxRss: Math.max(r.maxRss, keep?.maxRss ?? 0) };
  }
  return keep!;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (n: number): string => (n / 1024 ** 2).toFixed(1);

export interface ParserBenchFigures {
  raw: WorkerResult;
  parse: WorkerResult;
  summarize: WorkerResult;
  bigParse: WorkerResult;
  bigSummarize: WorkerResult;
}

/**
 * Rates are per CPU second of the measuring process (user + system): "on one core", and stable
 * when the machine is shared; wall-clock rates are printed beside them.
 */
export async function runParserBench(print: (line: string) => void): Promise<ParserBenchFigures> {
  const log = ensureBenchLog();
  const size = fs.statSync(log).size;
  print(
    `# strace parser  (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cpus, load ${os.loadavg()[0]?.toFixed(1)})`,
  );
  print(`log: ${log} (${mb(size)} MiB); best of ${REPEATS} runs, each in a fresh process`);
  const raw = best('raw', log);
  const parse = best('parse', log);
  const summarize = best('summarize', log);
  print(`log lines: ${fmt(raw.lines)}; unparsed: ${parse.unparsed}; summary: ${summarize.check}`);
  print('');
  print('stage              lines/s (cpu)   MB/s (cpu)   vs raw   lines/s (wall)   peak RSS MiB');
  for (const r of [raw, parse, summarize]) {
    const label = r.mode === 'raw' ? 'raw line split' : r.mode === 'parse' ? 'parse' : 'parse+summarize';
    print(
      `${label.padEnd(18)} ${fmt(r.lines / r.cpuSeconds).padStart(13)} ${(r.bytes / 1024 ** 2 / r.cpuSeconds).toFixed(1).padStart(12)}` +
        ` ${(raw.cpuSeconds / r.cpuSeconds).toFixed(2).padStart(8)} ${fmt(r.lines / r.seconds).padStart(16)} ${mb(r.maxRss).padStart(14)}`,
    );
  }
  print('');
  print(`streaming ${mb(BIG_BYTES)} MiB (the log replayed, never stored)…`);
  const bigParse = runWorker('parse', log, BIG_BYTES);
  const bigSummarize = runWorker('summarize', log, BIG_BYTES);
  for (const r of [bigParse, bigSummarize]) {
    print(
      `  ${(r.mode === 'parse' ? 'parse' : 'parse+summarize').padEnd(16)} ${mb(r.bytes)} MiB, ${fmt(r.lines)} lines, ` +
        `${fmt(r.lines / r.cpuSeconds)} lines/s (cpu), peak RSS ${mb(r.maxRss)} MiB`,
    );
  }
  // V8 sizes its young generation from the machine's memory (tens of MiB per semi-space here);
  // short-lived garbage then sits in RSS. Capping it shows what a deployment flag would buy.
  const capped = runWorker('parse', log, BIG_BYTES, [YOUNG_GEN_CAP]);
  print(
    `  parse, node ${YOUNG_GEN_CAP}: ${fmt(capped.lines / capped.cpuSeconds)} lines/s (cpu), peak RSS ${mb(capped.maxRss)} MiB`,
  );
  const sumLps = summarize.lines / summarize.cpuSeconds;
  const ratio = raw.cpuSeconds / summarize.cpuSeconds;
  const parseRatio = raw.cpuSeconds / parse.cpuSeconds;
  print('');
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  print(
    `targets (issue 2), parse+summarize: >= ${fmt(TARGET_LINES_PER_S)} lines/s: ${verdict(sumLps >= TARGET_LINES_PER_S)} (${fmt(sumLps)});`,
  );
  print(
    `  >= 1/3 of raw: ${verdict(ratio >= TARGET_RATIO)} (${ratio.toFixed(2)}; parse alone ${parseRatio.toFixed(2)});`,
  );
  print(
    `  peak RSS <= 200 MB on 2 GB: ${verdict(bigSummarize.maxRss <= TARGET_RSS)} (${mb(bigSummarize.maxRss)} MiB; parse alone ${mb(bigParse.maxRss)} MiB)`,
  );
  return { raw, parse, summarize, bigParse, bigSummarize };
}
