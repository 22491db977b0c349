/**
 * A candidate build of the parser against a baseline build, in the same run (`npm run bench` with
 * HUSH_BENCH_BASELINE=DIR, DIR being another checkout's `dist`, e.g. main's):
 *
 * On a shared machine (other engineers' VMs) absolute rates move 2-3x within minutes, so a figure
 * from one run says little about a change. Here every round runs each stage once under each build,
 * in fresh processes, the order of the two builds swapped every round so that drifting load hits
 * both alike; a round's ratio compares two runs seconds apart. Reported per stage: lines per CPU
 * second (user + system of the worker: real CPU of this machine, no emulation) and per wall
 * second, min and median over the rounds for each build, and the median and min of the per-round
 * candidate ÷ baseline ratios, with the load average seen before each round.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogKind } from './parser';
import type { WorkerMode, WorkerResult } from './parser-worker';

export interface Build {
  label: string;
  /** A `dist` directory holding bench/parser-worker.js. */
  dist: string;
}

export interface Stage {
  kind: LogKind;
  mode: WorkerMode;
  flags: string[];
  label: string;
}

interface Sample {
  cpuRate: number;
  wallRate: number;
  maxRss: number;
  check: string;
  digest: string | undefined;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function workerOf(build: Build): string {
  const worker = path.join(path.resolve(build.dist), 'bench', 'parser-worker.js');
  if (!fs.existsSync(worker)) throw new Error(`${build.label}: no ${worker} (build that checkout first)`);
  return worker;
}

/**
 * Runs `rounds` interleaved rounds of every stage under both builds and prints the comparison.
 * `run` runs one worker (injected: parser.ts owns process spawning).
 */
export function compareBuilds(
  base: Build,
  cand: Build,
  stages: Stage[],
  logs: Record<LogKind, string>,
  rounds: number,
  run: (worker: string, mode: WorkerMode, file: string, flags: string[]) => WorkerResult,
  print: (line: string) => void,
): void {
  const builds = [base, cand];
  const workers = builds.map(workerOf);
  const samples = stages.map(() => builds.map((): Sample[] => []));
  const loads: number[] = [];
  print(`# ${cand.label} (${cand.dist}) vs ${base.label} (${base.dist}), ${rounds} interleaved rounds`);
  print(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cpus; real CPU (no emulation)`,
  );
  for (let r = 0; r < rounds; r++) {
    loads.push(os.loadavg()[0] ?? 0);
    stages.forEach((st, si) => {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const b of order) {
        const w = run(workers[b]!, st.mode, logs[st.kind], st.flags);
        samples[si]![b]!.push({
          cpuRate: w.lines / w.cpuSeconds,
          wallRate: w.lines / w.seconds,
          maxRss: w.maxRss,
          check: w.check,
          digest: w.digest,
        });
      }
    });
    print(`round ${r + 1}/${rounds} done (load ${loads[r]!.toFixed(1)})`);
  }
  print('');
  print(
    `load average (1 min) before the rounds: min ${Math.min(...loads).toFixed(1)}, max ${Math.max(...loads).toFixed(1)}`,
  );
  print(
    'log      stage                          build       lines/CPU-s min / median     lines/wall-s min / median   peak RSS MiB',
  );
  stages.forEach((st, si) => {
    builds.forEach((b, bi) => {
      const s = samples[si]![bi]!;
      const cpu = s.map((x) => x.cpuRate);
      const wall = s.map((x) => x.wallRate);
      print(
        `${st.kind.padEnd(8)} ${st.label.padEnd(30)} ${b.label.padEnd(10)} ${fmt(Math.min(...cpu)).padStart(11)} / ${fmt(median(cpu)).padStart(11)}` +
          `   ${fmt(Math.min(...wall)).padStart(11)} / ${fmt(median(wall)).padStart(11)}   ${(Math.max(...s.map((x) => x.maxRss)) / 1024 ** 2).toFixed(1).padStart(8)}`,
      );
    });
    const [bs, cs] = samples[si] as [Sample[], Sample[]];
    const cpuRatios = bs.map((x, i) => cs[i]!.cpuRate / x.cpuRate);
    const wallRatios = bs.map((x, i) => cs[i]!.wallRate / x.wallRate);
    const all = [...bs, ...cs];
    const digests = new Set(all.map((x) => x.digest ?? x.check));
    const result = all.some((x) => x.digest === undefined)
      ? `summaries ${new Set(all.map((x) => x.check)).size === 1 ? 'alike' : 'DIFFER'} (${cs[0]!.check}; a build without profile digests)`
      : `profiles ${digests.size === 1 ? 'byte-identical' : 'DIFFER'} (sha256 ${cs[0]!.digest!.slice(0, 12)}…)`;
    print(
      `${''.padEnd(8)} ${''.padEnd(30)} ${cand.label} ÷ ${base.label}: CPU median ${median(cpuRatios).toFixed(2)}x (min ${Math.min(...cpuRatios).toFixed(2)}x, max ${Math.max(...cpuRatios).toFixed(2)}x);` +
        ` wall median ${median(wallRatios).toFixed(2)}x; ${st.mode === 'summarize' ? result : ''}`,
    );
  });
}
