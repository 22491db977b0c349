/**
 * bench/RESULTS.md: one table of hush vs SHH figures, each a ratio against a baseline measured in
 * the same run, then the context (machine, versions, date) and what each figure means. Pure:
 * results in, markdown out.
 */
import type { FleetComparison, FleetRun } from './fleet';
import type { OverheadComparison } from './overhead';
import { nginxTarget, renderLocalOverhead, type LocalOverheadResults } from '../overhead/report';
import type { ParserComparison } from './parser';
import type { UnitStrength } from './strength';

export interface Environment {
  date: string;
  machine: string;
  node: string;
  hush: string;
  shh: string;
  vm: string;
  strace: string;
  /** the hush tree measured: commit, and whether uncommitted changes were in it */
  tree: string;
}

export interface Section<T> {
  /** when this section was measured (ISO) */
  at: string;
  env: Environment;
  result: T;
  /** how many items the section meant to measure (the corpus size for strength) */
  planned?: number;
}

export interface CompareResults {
  parser?: Section<ParserComparison>;
  overhead?: Section<OverheadComparison>;
  /** b on this machine's own CPU (bench/overhead, `npm run bench:overhead`) */
  cpu?: Section<LocalOverheadResults>;
  /** on debian-13 */
  strength?: Section<UnitStrength[]>;
  /** the same corpus on debian-12 (HUSH_COMPARE_IMAGE=debian-12) */
  strength12?: Section<UnitStrength[]>;
  fleet?: Section<FleetComparison>;
}

export const STRENGTH_TARGETS = { maxEach: 3.0, maxMean: 2.0, marginBelowShh: 1.0 };

/** The strength sections present, with their image. */
function strengthSections(r: CompareResults): [string, Section<UnitStrength[]>][] {
  const out: [string, Section<UnitStrength[]>][] = [];
  if (r.strength) out.push(['debian-13', r.strength]);
  if (r.strength12) out.push(['debian-12', r.strength12]);
  return out;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const x = (n: number) => `${n.toFixed(2)}x`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** `notes`: the hand-written reading of the figures (bench/compare/NOTES.md), appended as is. */
export function renderResults(r: CompareResults, notes = ''): string {
  const rows: string[][] = [];
  if (r.parser) {
    const p = r.parser.result;
    const hushLps = p.hush.lines / p.hush.cpuSeconds;
    const shhLps = p.shh.lines / p.shh.cpuSeconds;
    rows.push([
      'a. parse+summarize, lines per CPU second',
      fmtInt(hushLps),
      `SHH ${fmtInt(shhLps)}`,
      x(p.ratio),
      'hush ≥ 1.0x SHH',
      verdict(p.ratio >= 1),
    ]);
  }
  if (r.overhead) {
    const o = r.overhead.result;
    rows.push([
      'b. emulated (TCG VM): nginx req/s while profiled ÷ unprofiled just before (wrk in the VM)',
      `${o.hush.toFixed(1)} (${x(o.hushVsUnprofiled)} of ${o.baseline.toFixed(1)})`,
      'unprofiled = 1.00x',
      x(o.hushVsUnprofiled),
      'hush ≥ 0.9x unprofiled',
      verdict(o.hushVsUnprofiled >= 0.9),
    ]);
    rows.push([
      'b. emulated (TCG VM): same, hush vs SHH (each ÷ its own unprofiled run)',
      x(o.hushVsUnprofiled),
      `SHH ${x(o.shhVsUnprofiled)} (${o.shh.toFixed(1)} req/s)`,
      x(o.hushVsShh),
      'hush ≥ 2x SHH',
      verdict(o.hushVsShh >= 2),
    ]);
    for (const v of o.variants)
      rows.push([
        `b. emulated (TCG VM): hush with ${v.name}`,
        `${v.requestsPerSec.toFixed(1)} (${x(v.vsUnprofiled)})`,
        `SHH ${x(o.shhVsUnprofiled)}`,
        x(v.vsUnprofiled / o.shhVsUnprofiled),
        '≥ 0.9x unprofiled; ≥ 2x SHH',
        verdict(v.vsUnprofiled >= 0.9 && v.vsUnprofiled / o.shhVsUnprofiled >= 2),
      ]);
  }
  if (r.cpu) {
    const c = r.cpu.result;
    for (const s of c.summary) {
      if (s.recorder === 'unprofiled') continue;
      const t = s.service === 'nginx' ? nginxTarget(s.recorder) : undefined;
      rows.push([
        `b. real CPU: ${s.service} req/s under ${s.recorder} ÷ unprofiled, same round (median of ${s.rounds})`,
        `${fmtInt(s.rateMedian)} (${x(s.vsUnprofiledMedian)}; min ${x(s.vsUnprofiledMin)})`,
        s.vsShhMedian === undefined
          ? 'unprofiled = 1.00x'
          : `÷ SHH ${x(s.vsShhMedian)} (min ${x(s.vsShhMin ?? NaN)})`,
        x(s.vsUnprofiledMedian),
        t ? `≥ ${t.vsUnprofiled}x unprofiled; ≥ ${t.vsShh}x SHH` : 'figure only',
        t && s.vsShhMedian !== undefined
          ? verdict(s.vsUnprofiledMedian >= t.vsUnprofiled && s.vsShhMedian >= t.vsShh)
          : '',
      ]);
    }
  }
  for (const [image, st] of strengthSections(r)) {
    const t = STRENGTH_TARGETS;
    const cell = (tr: UnitStrength['hush']) =>
      tr
        ? `${tr.exposure.toFixed(1)} (${tr.verdict.startsWith('applied') ? '' : `${tr.verdict.split(':')[0]}; `}${tr.checkOk && tr.afterCycleOk !== false ? 'check passes' : 'check FAILS'})`
        : 'not measured';
    for (const u of st.result) {
      const h = u.hush;
      const s = u.shh;
      // SHH does not run everywhere (its wrapper, its prefixes: NOTES c): where it has no figure,
      // hush's own targets decide (applied, healthy after apply and after a reload/restart, ≤ max)
      const hushOk =
        !!h && h.verdict === 'applied' && h.checkOk && h.afterCycleOk !== false && h.exposure <= t.maxEach;
      const ok = hushOk && (!s || (s.checkOk && s.exposure - h.exposure >= t.marginBelowShh));
      rows.push([
        `c. ${image}: exposure of ${u.unit} (stock ${u.stockExposure.toFixed(1)})`,
        cell(h),
        `SHH ${cell(s)}`,
        h && s
          ? `${(s.exposure - h.exposure).toFixed(1)} below`
          : u.error
            ? `error: ${u.error.slice(0, 80)}`
            : '–',
        `both pass; hush ≤ ${t.maxEach.toFixed(1)}, ≥ ${t.marginBelowShh.toFixed(1)} below SHH`,
        verdict(ok),
      ]);
    }
    const all = st.result;
    const planned = Math.max(st.planned ?? all.length, all.length);
    const withHush = all.filter((u) => u.hush);
    const both = all.filter((u) => u.hush && u.shh);
    const mean = (us: UnitStrength[], f: (u: UnitStrength) => number) =>
      us.reduce((a, u) => a + f(u), 0) / us.length;
    if (withHush.length > 0) {
      const hm = mean(withHush, (u) => u.hush?.exposure ?? 0);
      const hmBoth = mean(both, (u) => u.hush?.exposure ?? 0);
      const sm = mean(both, (u) => u.shh?.exposure ?? 0);
      rows.push([
        `c. ${image}: mean exposure (hush: ${withHush.length} units; both tools: ${both.length}; corpus ${planned})`,
        `${hm.toFixed(2)}${both.length ? ` (on the ${both.length} with both: ${hmBoth.toFixed(2)})` : ''}`,
        both.length ? `SHH ${sm.toFixed(2)}` : 'SHH –',
        both.length ? `${(sm - hmBoth).toFixed(2)} below` : '–',
        `hush mean ≤ ${t.maxMean.toFixed(1)}`,
        // a mean over part of the corpus is not the target's mean
        withHush.length === planned
          ? verdict(hm <= t.maxMean)
          : `partial (${hm <= t.maxMean ? 'under' : 'over'} so far)`,
      ]);
    }
  }
  rows.push(fleetRow(r.fleet?.result));

  const out: string[] = [];
  out.push('# hush side by side with SHH (`npm run bench:compare`)');
  out.push('');
  out.push('Generated by bench/compare.ts; do not edit by hand. Each section records when it ran; a ratio');
  out.push('only ever compares figures measured in the same section run.');
  out.push('');
  out.push('| measure | hush | baseline | ratio | target | |');
  out.push('|---|---|---|---|---|---|');
  for (const row of rows) out.push(`| ${row.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  out.push('');
  out.push('## Runs');
  out.push('');
  for (const [name, s] of Object.entries(r) as [string, Section<unknown> | undefined][]) {
    if (!s) continue;
    const e = s.env;
    out.push(
      `- **${name}**: ${s.at}; ${e.machine}; Node ${e.node}; hush ${e.hush} (tree ${e.tree ?? 'unrecorded'}); SHH ${e.shh}; host strace ${e.strace}; VM ${e.vm}`,
    );
  }
  out.push('');
  out.push(...details(r));
  if (notes.trim()) out.push(notes.trim(), '');
  return out.join('\n') + '\n';
}

const secs = (n: number | null | undefined) =>
  n === null || n === undefined || !isFinite(n) ? '–' : `${n.toFixed(0)} s`;

function fleetRow(f: FleetComparison | undefined): string[] {
  const measure = 'd. `pulumi up` cost beyond the window, fleet vs one host';
  const target = 'fleet ≤ 2x one host';
  if (!f) return [measure, 'not measured', '', '', target, 'not run'];
  const cell = (run: FleetRun) =>
    run.error
      ? `error (${run.error.split('\n')[0]?.slice(0, 60)})`
      : `${secs(run.beyondWindowSeconds)} (up ${secs(run.upSeconds)} − window ${secs(run.windowSeconds)}; load ${run.loadAtStart[0]?.toFixed(1)})`;
  const ok = !f.one.error && !f.fleet.error && isFinite(f.ratio);
  return [
    measure,
    `${f.fleet.hosts} hosts in parallel: ${cell(f.fleet)}`,
    `one host ${cell(f.one)}`,
    ok ? x(f.ratio) : '–',
    target,
    ok ? verdict(f.ratio <= 2) : 'error',
  ];
}

function fleetDetails(f: FleetComparison): string[] {
  const runs = [f.one, f.fleet];
  const out = [
    `**d. \`pulumi up\` fleet cost.** The real Pulumi engine (${f.engine}, file backend, as the e2e tests`,
    `run it) on the examples/fleet program: nginx hardened on one debian-13 VM, then on ${f.fleet.hosts} VMs in`,
    `parallel (one stack each, back to back; TCG-emulated VMs of ${f.vmCpus} vCPUs, all booted before both runs),`,
    `window ${f.profileSeconds} s with the workload \`${f.workload.replace(/ \(on the host\)$/, '')}\` on each host.`,
    '"Beyond the window" = up\'s wall time − the longest measured window of the run\'s hosts (their',
    'windows overlap). After each up: the functional check on every host; then `pulumi destroy` and',
    'every unit checked back to stock (`systemctl cat` identical, no drop-in, active).',
    ...(f.note ? ['', `Note: ${f.note}`] : []),
    '',
    "| run | load at start (1/5/15 min) | load during up (mean / max) | up | window | beyond the window | engine + program start | slowest host's steps | CPU s during up: machine (of 2 × up) / these VMs / controller | destroy | back to stock |",
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (run) =>
        `| ${run.hosts} host${run.hosts > 1 ? 's' : ''} | ${run.loadAtStart.map((l) => l.toFixed(1)).join(' / ')} | ${run.loadDuringUp ? `${run.loadDuringUp.mean.toFixed(1)} / ${run.loadDuringUp.max.toFixed(1)}` : '–'} | ${secs(run.upSeconds)} | ${secs(run.windowSeconds)} | ${secs(run.beyondWindowSeconds)} | ${secs(run.engineStartSeconds)} | ${secs(run.slowestHostStepsSeconds)} | ${run.cpuDuringUp ? `${run.cpuDuringUp.machine.toFixed(0)} (of ${(2 * run.upSeconds).toFixed(0)}) / ${run.cpuDuringUp.vms.toFixed(0)} / ${run.cpuDuringUp.controller.toFixed(0)}` : '–'} | ${secs(run.destroySeconds)} | ${run.restored ? 'yes' : `NO: ${run.restoreProblems.join('; ').replace(/\|/g, '\\|').replace(/\n/g, ' ')}`} |`,
    ),
    '',
    'Per host (profiling session from ServiceProfile `profileStats`; steps from the engine event log, whole seconds):',
    '',
    '| run | host | tracing | setup (of it wrapped restart) | window | finish | ServiceProfile step | HardeningDropIn step (apply + verify + exposure) | exposure | check |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.flatMap((run) =>
      run.perHost.map(
        (h) =>
          `| ${run.hosts} host${run.hosts > 1 ? 's' : ''} | ${h.host} | ${h.tracing} | ${secs(h.setupSeconds)} (${secs(h.wrappedRestartSeconds)}) | ${secs(h.windowSeconds)} | ${secs(h.finishSeconds)} | ${secs(h.profileStepSeconds)} | ${secs(h.dropInStepSeconds)} | ${h.exposureBefore?.toFixed(1) ?? '–'} → ${h.exposureAfter?.toFixed(1) ?? '–'} | ${h.checkOk ? 'pass' : 'FAIL'} |`,
      ),
    ),
    '',
  ];
  for (const run of runs)
    if (run.error) out.push(`Error of the ${run.hosts}-host run:`, '', '```', run.error.trim(), '```', '');
  return out;
}

function details(r: CompareResults): string[] {
  const out: string[] = ['## What the figures are', ''];
  if (r.parser) {
    const p = r.parser.result;
    const mb = (n: number) => (n / 1024 ** 2).toFixed(0);
    out.push(
      `**a. Parser.** One real strace log of ${fmtInt(p.lines)} lines (${mb(p.logBytes)} MiB: find, tar, ls -R and a`,
      `threaded Python workload traced by this machine's strace with SHH's own format flags`,
      '`-f -r -xx -v -y -A --status=successful,failed`), the identical file through both tools, best of',
      `${p.repeats} runs each by CPU time (user+system of the process; the machine is shared, wall time is not`,
      'comparable). hush: `dist/bench/parser-worker.js summarize` (parse + summarize to a Profile).',
      'SHH: `shh run -p FILE -- true` with bench/shh-replay/strace first on PATH, which copies the log',
      "into SHH's FIFO: SHH parses, summarizes and serializes its actions (no option resolution).",
      `hush ${p.hush.cpuSeconds.toFixed(2)} CPU s (${p.hush.seconds.toFixed(1)} s wall, peak RSS ${mb(p.hush.maxRss)} MiB,`,
      `${p.hush.unparsed} unparsed lines); SHH ${p.shh.cpuSeconds.toFixed(2)} CPU s (${p.shh.wallSeconds.toFixed(1)} s wall,`,
      `peak RSS ${mb(p.shh.maxRssBytes)} MiB, ${p.shh.unparsed} lines it logged as ignored/unparsable); the replaying`,
      `\`cat\` alone costs ${p.replay.cpuSeconds.toFixed(2)} CPU s and is not in SHH's figure (SHH never waits for it).`,
      "Caveat: SHH's summarizer also reads the controller's filesystem (symlinks, ELF interpreters) for the",
      'paths in the log, as it does in real use; that is part of its figure.',
      '',
    );
  }
  if (r.overhead) {
    const o = r.overhead.result;
    out.push(
      '**b. Profiling overhead.** nginx (stock Debian unit) in the debian-13 test VM (TCG-emulated, 2 vCPUs,',
      `on the shared 2-core machine), load: ${o.wrk}. The VM is reset (loadvm) before each run.`,
      'Each profiled run is paired with an unprofiled wrk run on the same fresh VM just before it. hush: `profileService()` of',
      'remote/profile/ with wrk as its remote workload (its default tracing). SHH: `shh service',
      'start-profile nginx`, wrk once nginx answers, `shh service finish-profile nginx`.',
      '',
      '| run | req/s | unprofiled just before | ratio | requests | errors | note |',
      '|---|---|---|---|---|---|---|',
      ...o.runs.map(
        (x) =>
          `| ${x.variant} | ${x.requestsPerSec.toFixed(1)} | ${x.paired.toFixed(1)} | ${(x.requestsPerSec / x.paired).toFixed(2)}x | ${x.requests} | ${x.errors} | ${x.note} |`,
      ),
      '',
    );
  }
  if (r.cpu) {
    out.push(
      '**b. Profiling overhead on real CPU.** `npm run bench:overhead` (bench/overhead): nginx (one worker, static page,',
      'access log, `wrk -t1 -c8`) and redis (`redis-benchmark -c 8`, GET/SET) on this machine, no VM, each run under',
      "the ExecStart line hush's wrapper writes (its trace FIFO drained by the session's own reader), under SHH's",
      '`shh run`, and unprofiled, in an order rotated per round; each rate ÷ the unprofiled rate of its own round.',
      '',
      renderLocalOverhead(r.cpu.result),
      '',
    );
  }
  for (const [image, st] of strengthSections(r)) {
    out.push(
      `**c. Hardening strength, ${image}.** Each corpus unit of the ${image} VM, profiled by each tool with the same`,
      "workload (the unit's functional check, test/host/checks/NAME.sh, run in the VM during the window),",
      'then hardened with what each tool found; then the functional check and `systemd-analyze security`.',
      'hush: every unit of the corpus on one freshly reset VM, independent units profiled side by side in',
      'one window (test/host/corpusRun.ts), default mode, applied together with its own apply transaction',
      '(verify, roll back on failure), no health command; the check is run after the apply and again',
      'after a reload-or-restart of every unit (both must pass). SHH: one unit at a time on a freshly reset',
      'VM, default (standard) mode, `finish-profile -a`.',
      '',
      '| unit | stock | hush: verdict, options, exposure, check | SHH: verdict, options, exposure, check |',
      '|---|---|---|---|',
      ...st.result.map((u) => {
        const c = (t: UnitStrength['hush']) =>
          t
            ? `${t.verdict.replace(/\|/g, '\\|').replace(/\n/g, ' ')}, ${t.options} options, ${t.exposure.toFixed(1)}, ${t.checkOk ? 'pass' : `FAIL (${t.checkFailures.replace(/\|/g, '\\|')})`}${t.afterCycleOk === undefined ? '' : t.afterCycleOk ? ', pass after reload/restart' : ', FAIL after reload/restart'}, ${t.seconds} s`
            : (u.error ?? 'not measured');
        const earlier = u.shhEarlier ? `; earlier run: ${c(u.shhEarlier)}` : '';
        return `| ${u.unit} | ${u.stockExposure.toFixed(1)} | ${c(u.hush)} | ${c(u.shh)}${earlier} |`;
      }),
      '',
    );
    // what each tool wrote and why an apply failed, for whoever checks these figures
    for (const u of st.result) {
      for (const [tool, t] of [
        ['hush', u.hush],
        ['SHH', u.shh],
      ] as const) {
        if (!t?.dropIn && !t?.detail) continue;
        out.push(
          `<details><summary>${tool} on ${u.unit}: ${t.dropIn ? 'drop-in' : ''}${t.detail ? ', failure detail' : ''}</summary>`,
          '',
        );
        if (t.dropIn) out.push('```ini', t.dropIn.trim(), '```', '');
        if (t.detail) out.push('```', t.detail.trim(), '```', '');
        out.push('</details>', '');
      }
    }
  }
  if (r.fleet) out.push(...fleetDetails(r.fleet.result));
  return out;
}
