/**
 * The real-CPU overhead bench's figures: per service and recorder, the rate of each round divided
 * by the unprofiled rate of the same round (min and median over the rounds), and hush's ratio
 * divided by SHH's ratio of the same round. Pure; rendered by bench:overhead and bench:compare.
 */
import type { RecorderName } from './recorders';

export interface LocalRun {
  round: number;
  service: string;
  recorder: RecorderName;
  requestsPerSec: number;
  requests: number;
  errors: number;
  /** `os.loadavg()` (1, 5, 15 min) when the run started and right before the measured load. */
  loadAtStart: string;
  loadBeforeLoad: string;
  /**
   * CPU µs per request over the measured load: the run's cgroup (service, strace, reader, SHH)
   * plus bpftrace's user-space side; the load generator is not in it.
   */
  cpuUsPerRequest: number;
  /** hush's strace recorders: trace lines over the measured load per request (the stops, not load-dependent). */
  tracedCallsPerRequest?: number;
  /** From spawning the service (or its recorder) until it accepted a connection. */
  startMs: number;
  traceBytes: number;
  note: string;
}

export interface RecorderSummary {
  service: string;
  recorder: RecorderName;
  rounds: number;
  /** req/s over the rounds */
  rateMin: number;
  rateMedian: number;
  /** ÷ the unprofiled rate of the same round */
  vsUnprofiledMin: number;
  vsUnprofiledMedian: number;
  /** unprofiled CPU per request ÷ this recorder's, same round (1 = free; robust to machine load) */
  cpuVsUnprofiledMin: number;
  cpuVsUnprofiledMedian: number;
  cpuUsPerRequestMedian: number;
  /** this recorder's ratio ÷ SHH's ratio of the same round (absent for SHH itself or without SHH) */
  vsShhMin?: number;
  vsShhMedian?: number;
  errors: number;
  traceBytesMedian: number;
  tracedCallsPerRequestMedian?: number;
}

export interface LocalOverheadResults {
  started: string;
  finished: string;
  uptimeAtStart: string;
  uptimeAtEnd: string;
  machine: string;
  strace: string;
  shh: string;
  rounds: number;
  seconds: number;
  runs: LocalRun[];
  summary: RecorderSummary[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Ratios are only ever formed within one round (same service, same minutes of machine load). */
export function summarizeRuns(runs: readonly LocalRun[]): RecorderSummary[] {
  const out: RecorderSummary[] = [];
  const services = [...new Set(runs.map((r) => r.service))];
  for (const service of services) {
    const mine = runs.filter((r) => r.service === service);
    const at = (rec: RecorderName, round: number) =>
      mine.find((r) => r.recorder === rec && r.round === round)?.requestsPerSec;
    for (const recorder of [...new Set(mine.map((r) => r.recorder))]) {
      const rs = mine.filter((r) => r.recorder === recorder);
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      const vsShh: number[] = [];
      for (const r of rs) {
        const base = at('unprofiled', r.round);
        if (!base) continue;
        ratios.push(r.requestsPerSec / base);
        const baseCpu = mine.find((u) => u.recorder === 'unprofiled' && u.round === r.round)?.cpuUsPerRequest;
        if (baseCpu && r.cpuUsPerRequest > 0) cpuRatios.push(baseCpu / r.cpuUsPerRequest);
        const shh = at('shh', r.round);
        if (shh && recorder !== 'shh') vsShh.push(r.requestsPerSec / shh);
      }
      out.push({
        service,
        recorder,
        rounds: rs.length,
        rateMin: Math.min(...rs.map((r) => r.requestsPerSec)),
        rateMedian: median(rs.map((r) => r.requestsPerSec)),
        vsUnprofiledMin: Math.min(...ratios),
        vsUnprofiledMedian: median(ratios),
        cpuVsUnprofiledMin: Math.min(...cpuRatios),
        cpuVsUnprofiledMedian: median(cpuRatios),
        cpuUsPerRequestMedian: median(rs.map((r) => r.cpuUsPerRequest)),
        ...(vsShh.length ? { vsShhMin: Math.min(...vsShh), vsShhMedian: median(vsShh) } : {}),
        errors: rs.reduce((n, r) => n + r.errors, 0),
        traceBytesMedian: median(rs.map((r) => r.traceBytes)),
        ...(rs.some((r) => r.tracedCallsPerRequest !== undefined)
          ? {
              tracedCallsPerRequestMedian: median(
                rs.flatMap((r) => (r.tracedCallsPerRequest === undefined ? [] : [r.tracedCallsPerRequest])),
              ),
            }
          : {}),
      });
    }
  }
  return out;
}

/** Targets of the real-CPU nginx rows (issue 16). */
export function nginxTarget(recorder: RecorderName): { vsUnprofiled: number; vsShh: number } | undefined {
  if (recorder === 'hush decisions') return { vsUnprofiled: 0.5, vsShh: 3 };
  if (recorder === 'hush ebpf') return { vsUnprofiled: 0.9, vsShh: 3 };
  return undefined;
}

const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}x`);
const n0 = (v: number) => Math.round(v).toLocaleString('en-US');

export function renderLocalOverhead(r: LocalOverheadResults): string {
  const lines = [
    `Real CPU (no VM): ${r.machine}; ${r.strace}; SHH ${r.shh}; ${r.rounds} interleaved rounds, ${r.seconds} s of load each (redis: a fixed request count)`,
    `${r.started} → ${r.finished}; at start: ${r.uptimeAtStart}; at end: ${r.uptimeAtEnd}`,
    '',
    '| service | recorder | req/s min / median | ÷ unprofiled, same round: min / median | ÷ SHH, same round: min / median | target | CPU µs/request (median) | unprofiled CPU ÷ this, same round: min / median | trace MiB (median) | traced calls per request (median) | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.summary) {
    const t = s.service === 'nginx' ? nginxTarget(s.recorder) : undefined;
    const met =
      t && s.vsShhMedian !== undefined
        ? s.vsUnprofiledMedian >= t.vsUnprofiled && s.vsShhMedian >= t.vsShh
          ? 'met'
          : '**missed**'
        : '';
    lines.push(
      `| ${s.service} | ${s.recorder} | ${n0(s.rateMin)} / ${n0(s.rateMedian)} | ${x(s.vsUnprofiledMin)} / ${x(s.vsUnprofiledMedian)} | ${x(s.vsShhMin)} / ${x(s.vsShhMedian)} | ${t ? `≥ ${t.vsUnprofiled}x unprofiled, ≥ ${t.vsShh}x SHH: ${met}` : ''} | ${s.cpuUsPerRequestMedian.toFixed(1)} | ${x(s.cpuVsUnprofiledMin)} / ${x(s.cpuVsUnprofiledMedian)} | ${(s.traceBytesMedian / 1024 ** 2).toFixed(1)} | ${s.tracedCallsPerRequestMedian?.toFixed(1) ?? '–'} | ${s.errors} |`,
    );
  }
  lines.push('', 'Per run (round, load average 1/5/15 min before the measured load):', '');
  for (const run of r.runs) {
    lines.push(
      `- r${run.round + 1} ${run.service} ${run.recorder}: ${n0(run.requestsPerSec)} req/s, ${run.cpuUsPerRequest.toFixed(1)} CPU µs/request, load ${run.loadBeforeLoad}, up after ${run.startMs} ms${run.note ? `, ${run.note}` : ''}`,
    );
  }
  return lines.join('\n');
}
