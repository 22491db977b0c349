/**
 * Comparison (c): hardening strength. For each corpus unit on debian-13: profile it with the same
 * workload (its functional check, test/host/checks/NAME.sh, run on the VM during the window) by
 * hush and by SHH, apply what each found, then record `systemd-analyze security` exposure and the
 * functional check. The VM is reset (loadvm) before each tool's run, so each starts from the
 * stock unit.
 *
 * hush: remote/profile/ → core/resolve (its default mode) → core/dropin → remote/apply (its own
 * verification: active after the settle time, no restart loop, no SIGSYS/EPERM; no health command,
 * so the functional check afterwards is the same oracle for both tools), every unit in one corpus
 * run (hardenAllWithHush).
 * SHH: `shh service start-profile UNIT`, the workload, `shh service finish-profile UNIT -a`
 * (writes zz_shh-harden.conf and starts the unit), both in SHH's default (standard) mode.
 */
import { corpusTable, hardenCorpus, type CorpusUnit } from '../../test/host/corpusRun';
import { VM_DIR, VM_SHH, type Vm } from './vm';

export type { CorpusUnit } from '../../test/host/corpusRun';

export interface ToolResult {
  /** what happened to the hardening: applied, rolled back (hush's verification), failed… */
  verdict: string;
  exposure: number;
  checkOk: boolean;
  /** the first FAIL lines of the check, when it failed */
  checkFailures: string;
  /** the check after a reload-or-restart of the hardened unit (hush's corpus run) */
  afterCycleOk?: boolean;
  /** options written (count of Key= lines) */
  options: number;
  workloadCode: number | null;
  seconds: number;
  /** the drop-in the tool wrote (hush: what it applied or tried to; SHH: zz_shh-harden.conf) */
  dropIn?: string;
  /** why an apply failed, in full (hush: failures + journal lines; SHH: the end of its output) */
  detail?: string;
}

export interface UnitStrength {
  unit: string;
  check: string;
  stockExposure: number;
  hush?: ToolResult;
  shh?: ToolResult;
  /** SHH's previous run of this unit, when it was re-run (e.g. with the stop-timeout drop-in) */
  shhEarlier?: ToolResult;
  error?: string;
}

const workload = (check: string) => `bash ${VM_DIR}/check-${check}.sh`;
const failures = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('FAIL'))
    .slice(0, 3)
    .join('; ');

async function settleAndMeasure(
  vm: Vm,
  u: CorpusUnit,
  verdict: string,
  options: number,
  workloadCode: number | null,
  t0: number,
): Promise<ToolResult> {
  const check = await vm.check(u.check);
  const exposure = await vm.exposure(u.unit);
  return {
    verdict,
    exposure,
    checkOk: check.ok,
    checkFailures: check.ok ? '' : failures(check.output),
    options,
    workloadCode,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

/**
 * hush on every unit at once, on the VM as it is (reset it first): the corpus run of the test
 * suite (test/host/corpusRun.ts: independent units profiled side by side, applied together, the
 * check after the apply and after a reload-or-restart cycle).
 */
export async function hardenAllWithHush(
  vm: Vm,
  units: readonly CorpusUnit[],
  log: (l: string) => void,
): Promise<Map<string, ToolResult>> {
  const runs = await hardenCorpus(vm.host, units, { log: (l) => log(`hush ${l}`) });
  log(`hush corpus run:\n${corpusTable(runs)}`);
  const out = new Map<string, ToolResult>();
  for (const r of runs) {
    out.set(r.unit, {
      verdict: r.verdict ?? r.error ?? 'not applied',
      exposure: r.exposure ?? NaN,
      checkOk: r.afterApply?.ok ?? false,
      checkFailures: r.afterApply?.ok ? '' : failures(r.afterApply?.output ?? ''),
      afterCycleOk: r.afterCycle?.ok ?? false,
      options: r.plan?.chosen.length ?? 0,
      workloadCode: r.workloadCode ?? null,
      seconds: (r.seconds.profile ?? 0) + (r.seconds.apply ?? 0),
      ...(r.dropIn !== undefined ? { dropIn: r.dropIn } : {}),
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
    });
  }
  return out;
}

export async function hardenWithShh(
  vm: Vm,
  localShh: string,
  u: CorpusUnit,
  log: (l: string) => void,
  opts: { stopTimeoutSec?: number } = {},
): Promise<ToolResult> {
  await vm.installShh(localShh);
  const t0 = Date.now();
  const name = u.unit.replace(/\.service$/, '');
  if (opts.stopTimeoutSec !== undefined) {
    // SHH resolves and prints its options in ExecStopPost (merge-profile-data), inside the unit's
    // stop timeout; nginx's stock TimeoutStopSec=5 is too short for that under TCG, and SHH does
    // not raise it (hush scales timeouts while profiling). Given only when asked, and reported.
    const dir = `/etc/systemd/system/${u.unit}.d`;
    await vm.run(
      `mkdir -p ${dir} && printf '[Service]\\nTimeoutStopSec=${Math.round(opts.stopTimeoutSec)}\\n' > ${dir}/zz-bench-stop-timeout.conf && systemctl daemon-reload`,
    );
  }
  const start = await vm.exec(`${VM_SHH} service start-profile ${name} 2>&1`, 10 * 60_000);
  if (start.code !== 0)
    throw new Error(`shh start-profile ${name} exited ${start.code}: ${start.stdout.slice(-800)}`);
  try {
    await vm.waitReady(u.unit, 'true', 180);
  } catch {
    // e.g. a unit whose own NoExecPaths= forbids executing shh: SHH cannot profile it. Put the
    // unit back with SHH's own reset and measure what is left (the stock unit).
    const why = await vm.exec(`journalctl -u ${u.unit} --no-pager -n 4 -o cat`);
    await vm.exec(`${VM_SHH} service reset ${name} 2>&1`, 10 * 60_000);
    const verdict = `could not profile: ${why.stdout.trim().split('\n').slice(-2).join(' / ').slice(0, 240)}`;
    log(`shh ${u.unit}: ${verdict}`);
    return { ...(await settleAndMeasure(vm, u, verdict, 0, null, t0)), detail: why.stdout };
  }
  const w = await vm.exec(`${workload(u.check)} 2>&1`, 15 * 60_000);
  // the check's FAIL lines while SHH profiles: what SHH's wrapper changed for the service
  const workloadFailures = w.code === 0 ? '' : failures(w.stdout);
  log(
    `shh ${u.unit}: workload exited ${w.code}${workloadFailures ? ` (${workloadFailures})` : ''}; finish-profile -a`,
  );
  const fin = await vm.exec(`${VM_SHH} service finish-profile ${name} -a 2>&1`, 10 * 60_000);
  const dir = u.unit.includes('@') ? u.unit.replace(/@[^.]*\.service$/, '@.service') : u.unit;
  const conf = await vm.exec(`cat /etc/systemd/system/${dir}.d/zz_shh-harden.conf`);
  const options = conf.code === 0 ? conf.stdout.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).length : 0;
  const why =
    fin.stdout.split('\n').find((l) => /^Error|timed out|Timeout/i.test(l.trim())) ?? fin.stdout.slice(-200);
  const verdict =
    (fin.code === 0
      ? options > 0
        ? 'applied'
        : 'nothing to apply'
      : `finish-profile exit ${fin.code}: ${why.trim()}`) +
    (opts.stopTimeoutSec !== undefined ? ` (bench drop-in TimeoutStopSec=${opts.stopTimeoutSec})` : '');
  log(`shh ${u.unit}: ${verdict}, ${options} options`);
  const measured = await settleAndMeasure(vm, u, verdict, options, w.code, t0);
  return {
    ...measured,
    ...(conf.code === 0 ? { dropIn: conf.stdout } : {}),
    ...(fin.code !== 0 || workloadFailures
      ? {
          detail: [
            workloadFailures ? `workload during profiling: ${workloadFailures}` : '',
            fin.code !== 0 ? fin.stdout.slice(-3000) : '',
          ]
            .filter(Boolean)
            .join('\n'),
        }
      : {}),
  };
}
