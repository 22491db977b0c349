/**
 * Comparison (a): the same real strace log through hush's parse+summarize and through SHH's
 * parser+summarizer, lines per CPU second each, and the ratio.
 *
 * The log is recorded once with SHH's own format flags (`-f -r -xx -v -y -A
 * --status=successful,failed`; bench/make-strace-log.sh with STRACE_FLAGS) by this
 * machine's strace, so both tools read the identical file in the format SHH expects.
 *
 * SHH reads strace output only from a FIFO it creates while running `strace … -o FIFO -- CMD`, so
 * it is fed by bench/shh-replay/strace (first on PATH), which copies the log into that FIFO.
 * `shh run -p FILE -- true` then parses and summarizes everything and serializes the actions
 * (no option resolution): the same work as hush's `summarize` worker mode. SHH's CPU time is its
 * process's user+system time from GNU time (wait4 rusage); the replaying `cat` is a separate
 * process SHH never waits for, and its own cost is measured and printed beside it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { WorkerResult } from '../parser-worker';

export const SHH_FORMAT_FLAGS = '-f -r -xx -v -y -A --status=successful,failed';
const REPO = path.resolve(__dirname, '..', '..');

export function shhFormatLogPath(): string {
  return path.join(process.env.HUSH_CACHE || '/var/cache/hush', 'bench', 'strace-shh-format-1m.log');
}

/** The log in SHH's format, generated once (about two minutes). */
export function ensureShhFormatLog(log = shhFormatLogPath()): string {
  if (!fs.existsSync(log)) {
    execFileSync('bash', [path.join(REPO, 'bench', 'make-strace-log.sh'), log, '1000000'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, STRACE_FLAGS: SHH_FORMAT_FLAGS },
    });
  }
  // `PID  REL_TS name(…`: the -r column SHH's grammar requires (a log without it is all "Ignored")
  const head = Buffer.alloc(200);
  const fd = fs.openSync(log, 'r');
  const n = fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const first = head.subarray(0, n).toString('latin1');
  if (!/^\d+ +\d+\.\d{6} \w+\(/.test(first)) {
    throw new Error(
      `${log} is not in SHH's format (${SHH_FORMAT_FLAGS}); delete it, and check that ` +
        'bench/make-strace-log.sh still honours STRACE_FLAGS',
    );
  }
  return log;
}

export interface TimedRun {
  lines: number;
  cpuSeconds: number;
  wallSeconds: number;
  maxRssBytes: number;
}

export interface ShhParserRun extends TimedRun {
  /** lines SHH logged as `Ignored line` or `Failed to parse line` */
  unparsed: number;
}

export interface ParserComparison {
  log: string;
  logBytes: number;
  lines: number;
  repeats: number;
  hush: WorkerResult;
  shh: ShhParserRun;
  /** `cat LOG > /dev/null`: what the stand-in strace costs (not inside SHH's figure) */
  replay: TimedRun;
  /** hush lines/s ÷ SHH lines/s, both per CPU second */
  ratio: number;
}

const TimeLine = z
  .string()
  .trim()
  .transform((s) => s.split(/\s+/).map(Number))
  .pipe(z.tuple([z.number(), z.number(), z.number(), z.number()]));

/** Runs argv under GNU time; returns wall, cpu (user+sys) and peak RSS of that process tree as waited for. */
function timed(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stderrFile: string,
): { wall: number; cpu: number; rss: number; code: number | null } {
  const timeFile = path.join(os.tmpdir(), `hush-compare-time-${process.pid}`);
  const err = fs.openSync(stderrFile, 'w');
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...argv], {
      env,
      stdio: ['ignore', 'ignore', err],
    });
    const [wall, user, sys, rssKb] = TimeLine.parse(
      fs.readFileSync(timeFile, 'utf8').split('\n').at(-2) ?? '',
    );
    return { wall, cpu: user + sys, rss: rssKb * 1024, code: r.status };
  } finally {
    fs.closeSync(err);
    fs.rmSync(timeFile, { force: true });
  }
}

function countLines(file: string): number {
  return Number(execFileSync('wc', ['-l', file], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
}

function runShhOnce(shh: string, log: string, lines: number): ShhParserRun {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hush-compare-shh-'));
  try {
    const stderrFile = path.join(work, 'stderr');
    const dataFile = path.join(work, 'profile.postcard');
    const env = {
      ...process.env,
      PATH: `${path.join(REPO, 'bench', 'shh-replay')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HUSH_SHH_REPLAY_LOG: log,
      RUST_LOG: 'warn',
      TMPDIR: work,
    };
    const t = timed([shh, 'run', '-p', dataFile, '--', 'true'], env, stderrFile);
    const stderr = fs.readFileSync(stderrFile, 'latin1');
    if (t.code !== 0 || !fs.existsSync(dataFile) || fs.statSync(dataFile).size === 0) {
      throw new Error(`shh run failed (exit ${t.code}): ${stderr.slice(-2000)}`);
    }
    const unparsed = (stderr.match(/Ignored line|Failed to parse line/g) ?? []).length;
    return { lines, cpuSeconds: t.cpu, wallSeconds: t.wall, maxRssBytes: t.rss, unparsed };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function runHushOnce(log: string): WorkerResult {
  const worker = path.join(REPO, 'dist', 'bench', 'parser-worker.js');
  if (!fs.existsSync(worker)) throw new Error(`${worker} is missing: run \`npm run build\` first`);
  const out = execFileSync(process.execPath, [worker, 'summarize', log], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as WorkerResult;
}

function bestOf<T extends { cpuSeconds: number }>(n: number, run: () => T): T {
  let keep: T | undefined;
  for (let i = 0; i < n; i++) {
    const r = run();
    if (!keep || r.cpuSeconds < keep.cpuSeconds) keep = r;
  }
  return keep as T;
}

/**
 * Best of `repeats` runs each (by CPU seconds: on a shared machine noise only ever slows a run
 * down), hush and SHH interleaved so that a load change hits both.
 */
export function compareParsers(shh: string, repeats: number, log = ensureShhFormatLog()): ParserComparison {
  const lines = countLines(log);
  let hush: WorkerResult | undefined;
  let shhBest: ShhParserRun | undefined;
  for (let i = 0; i < repeats; i++) {
    const h = runHushOnce(log);
    if (!hush || h.cpuSeconds < hush.cpuSeconds) hush = h;
    const s = runShhOnce(shh, log, lines);
    if (!shhBest || s.cpuSeconds < shhBest.cpuSeconds) shhBest = s;
  }
  const replay = bestOf(repeats, () => {
    const t = timed(['sh', '-c', 'cat -- "$1" >/dev/null', 'sh', log], process.env, '/dev/null');
    return { lines, cpuSeconds: t.cpu, wallSeconds: t.wall, maxRssBytes: t.rss };
  });
  if (!hush || !shhBest) throw new Error('no parser runs');
  const ratio = hush.lines / hush.cpuSeconds / (shhBest.lines / shhBest.cpuSeconds);
  return { log, logBytes: fs.statSync(log).size, lines, repeats, hush, shh: shhBest, replay, ratio };
}
