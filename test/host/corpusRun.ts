/**
 * The generalization corpus through hush's library pipeline on one booted test host, many units
 * at once: profile (each unit's functional check as its workload) → resolve → render → apply
 * (verified, rolled back on failure) → the check again → a reload-or-restart cycle → the check
 * again, with `systemd-analyze security` before and after. Used by test/e2e/corpus.test.ts (the
 * CI subset, on debian-13) and by bench:compare's strength section (every unit, both images).
 *
 * Independent units share one profiling window and one apply round: their sessions run
 * concurrently (a bounded number at once), each with its own SSH connection and its own check as
 * workload. Units whose
 * checks would disturb each other (logrotate's postrotate signals rsyslog; the hush-testsvc
 * check covers three units) go to different windows (`corpusWindows`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderDropIn, hushVersion } from '../../core/dropin';
import type { Profile } from '../../core/profile/schema';
import { resolve, type Plan, type ResolveSettingsInput } from '../../core/resolve';
import { connect, type Connection } from '../../remote/connection';
import { applyDropIn, ApplyError } from '../../remote/apply';
import { profileService } from '../../remote/profile';
import { shQuote } from '../../remote/shell';
import { checkService, corpusServices, securityBaseline, type CheckResult } from './checks';
import { handshake, limiter } from './handshakes';
import { sshExec } from './ssh';
import type { TestHostConnection } from './testhost';

const CHECKS_DIR = path.join(__dirname, 'checks');
/** Where the checks go on the host as scripts (the profiling workloads). */
export const HOST_CHECK_DIR = '/run/hush-corpus';

export interface CorpusUnit {
  unit: string;
  /** its functional check (services.tsv) */
  check: string;
}

/**
 * Units that must not share a profiling window: a unit's wrapped restart (the window's start)
 * and its stop (the end) would fail the other's workload. logrotate's postrotate signals rsyslog
 * (`systemctl kill -s HUP rsyslog.service`, which fails while rsyslog is down). (A check that
 * covers several units, hush-testsvc, runs only the profiled unit's part: HUSH_CHECK_ONLY.)
 * Each inner array: units that must be in different windows.
 */
const APART: readonly (readonly string[])[] = [['rsyslog.service', 'logrotate.service']];

/** Splits units into the fewest windows such that no two units of one APART group share one. */
export function corpusWindows(units: readonly CorpusUnit[]): CorpusUnit[][] {
  const windows: CorpusUnit[][] = [];
  for (const u of units) {
    const group = APART.find((g) => g.includes(u.unit)) ?? [];
    let w = windows.find((win) => !win.some((o) => o.unit !== u.unit && group.includes(o.unit)));
    if (!w) windows.push((w = []));
    w.push(u);
  }
  return windows;
}

/** Corpus units of the host, in services.tsv order (patterns such as postgresql@*-main resolved there). */
export async function corpusUnitsOn(host: TestHostConnection): Promise<CorpusUnit[]> {
  const services = corpusServices();
  // `A|B`: the first alternative the host has (services.tsv)
  const patterns = services.flatMap((s) => s.unitPatterns.flatMap((p) => p.split('|')));
  for (const p of patterns) if (!/^[A-Za-z0-9@*._-]+$/.test(p)) throw new Error(`bad unit pattern ${p}`);
  // one round trip: `PATTERN<TAB>UNIT` per match (inactive units too: a socket-activated service)
  const r = await sshExec(
    host,
    `for p in ${patterns.map(shQuote).join(' ')}; do systemctl list-units --all --plain --no-legend --type=service "$p" | awk -v p="$p" '{print p "\\t" $1 "\\t" $3}'; ` +
      `case "$p" in *'*'*) ;; *) systemctl list-unit-files --no-legend "$p" | awk -v p="$p" '{print p "\\t" $1 "\\tfile"}';; esac; done`,
    { timeoutMs: 120_000 },
  );
  const seen = new Set<string>();
  const units: CorpusUnit[] = [];
  const matches = (p: string, activeOnly: boolean) => [
    ...new Set(
      r.stdout.split('\n').flatMap((line) => {
        const [pattern, unit, state] = line.split('\t');
        return pattern === p && unit && (!activeOnly || state === 'active') ? [unit] : [];
      }),
    ),
  ];
  for (const s of services) {
    for (const alternatives of s.unitPatterns) {
      // an alternative that runs wins over one merely installed (as in checks/lib/security.sh)
      const alts = alternatives.split('|');
      const found = [true, false]
        .flatMap((activeOnly) => alts.map((p) => matches(p, activeOnly)))
        .find((m) => m.length > 0);
      for (const unit of found ?? []) {
        if (seen.has(unit)) continue;
        seen.add(unit);
        units.push({ unit, check: s.name });
      }
    }
  }
  return units;
}

/** Every corpus check as a script on the host (`bash HOST_CHECK_DIR/NAME.sh`), in one round trip. */
export async function installChecks(host: TestHostConnection, waitSeconds = 60): Promise<void> {
  const lib = readFileSync(path.join(CHECKS_DIR, 'lib', 'common.sh'), 'utf8');
  const lines = corpusServices().map((s) => {
    if (!/^[a-z0-9-]+$/.test(s.name)) throw new Error(`bad check name ${s.name}`);
    const text = `HUSH_CHECK_WAIT=${waitSeconds}\n${lib}${readFileSync(path.join(CHECKS_DIR, `${s.name}.sh`), 'utf8')}`;
    return `${s.name} ${Buffer.from(text).toString('base64')}\n`;
  });
  const r = await sshExec(
    host,
    `set -e; mkdir -p ${HOST_CHECK_DIR}; while read -r name b64; do printf '%s' "$b64" | base64 -d > "${HOST_CHECK_DIR}/$name.sh"; done`,
    { stdin: lines.join(''), timeoutMs: 120_000 },
  );
  if (r.code !== 0) throw new Error(`cannot install the checks: ${r.stderr}`);
}

/** The workload of one unit: its check, limited to that unit's part (HUSH_CHECK_ONLY). */
export const checkCommand = (u: CorpusUnit) =>
  `HUSH_CHECK_ONLY=${shQuote(u.unit)} bash ${HOST_CHECK_DIR}/${u.check}.sh`;

export interface UnitRun {
  unit: string;
  check: string;
  stockExposure: number;
  /** profiling: the workload's exit code (0 = the check passed under strace) */
  workloadCode?: number | null;
  /** the traced command slots that recorded anything (ExecStart-0, ExecReload-0…) */
  tracedSlots?: string[];
  profile?: Profile;
  plan?: Plan;
  dropIn?: string;
  /** applied | unchanged | unverified | rolled-back: … | error: … */
  verdict?: string;
  /** why an apply failed: verification failures and journal lines */
  detail?: string;
  exposure?: number;
  afterApply?: CheckResult;
  /** after `systemctl reload-or-restart`, then the check again */
  afterCycle?: CheckResult;
  seconds: { profile?: number; apply?: number };
  error?: string;
}

export interface CorpusRunOptions {
  settings?: ResolveSettingsInput;
  log?: (line: string) => void;
  /** profiling sessions running at once within a window (default SESSIONS_AT_ONCE) */
  sessionsAtOnce?: number;
  /** seconds between the start of two sessions of one window (sshd's MaxStartups, a busy host) */
  staggerMs?: number;
}

function connector(host: TestHostConnection): () => Promise<Connection> {
  const privateKey = readFileSync(host.privateKeyPath, 'utf8');
  // Queued with the harness's own dials (handshakes.ts): sshd's MaxStartups stays as shipped.
  // 60 s per dial as the harness's own (hush's 15 s default): with 18 units starting under
  // strace, one handshake on the TCG guest took longer than 15 s ten times in a row (load 17-20).
  // The apply's fresh-login confirmation re-dials with the same settings (Connection.reopen).
  return () =>
    handshake(() =>
      connect({
        host: host.host,
        port: host.port,
        user: host.user,
        privateKey,
        hostKey: host.hostKey,
        perDialTimeout: 60,
        dialErrorLimit: 5,
      }),
    );
}

/**
 * Profiling sessions of one window at once: all 18 side by side left the TCG guest too starved
 * to start a unit under strace in time (caddy failed under the wrapper) or to finish an SSH
 * handshake in 15 s (debian-13, host load 17-20).
 */
const SESSIONS_AT_ONCE = 6;

/** Apply transactions at once (see the apply round). */
const APPLY_CONCURRENCY = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs fn over items concurrently, the i-th one started i × staggerMs after the first. */
async function staggered<T>(items: readonly T[], staggerMs: number, fn: (x: T) => Promise<void>) {
  await Promise.all(
    items.map(async (x, i) => {
      await sleep(i * staggerMs);
      await fn(x);
    }),
  );
}

/**
 * Hardens `units` on the host as described in the module comment; never throws for one unit's
 * failure (it is in that unit's row). The host must be freshly booted (or reset) beforehand.
 */
export async function hardenCorpus(
  host: TestHostConnection,
  units: readonly CorpusUnit[],
  opts: CorpusRunOptions = {},
): Promise<UnitRun[]> {
  const log = opts.log ?? (() => undefined);
  const stagger = opts.staggerMs ?? 2000;
  const dial = connector(host);
  await installChecks(host);
  const before = await securityBaseline(
    host,
    units.map((u) => u.unit),
  );
  const runs: UnitRun[] = units.map((u) => ({
    ...u,
    stockExposure: before.find((b) => b.unit === u.unit)?.exposure ?? NaN,
    seconds: {},
  }));
  const runOf = (unit: string) => runs.find((r) => r.unit === unit)!;

  for (const [i, window] of corpusWindows(units).entries()) {
    log(`window ${i + 1}: profiling ${window.map((u) => u.unit).join(' ')}`);
    const profiling = limiter(opts.sessionsAtOnce ?? SESSIONS_AT_ONCE);
    await staggered(window, stagger, (u) =>
      profiling(async () => {
        const run = runOf(u.unit);
        const t0 = Date.now();
        try {
          const r = await profileService({
            unit: u.unit,
            connect: dial,
            remoteWorkload: checkCommand(u),
            watchdogTimeoutSec: 300,
            log: (l) => log(`${u.unit}: ${l}`),
          });
          run.profile = r.profile;
          run.workloadCode = r.workloads.remote?.code ?? null;
          run.tracedSlots = [...new Set(r.segments.filter((g) => g.lines > 0).map((g) => g.slot))];
          if (!r.profile.host) throw new Error('the profile has no host facts');
          run.plan = resolve(r.profile, r.profile.host, opts.settings ?? {});
          run.dropIn = renderDropIn(run.plan, { version: hushVersion(), unit: u.unit, explain: false });
        } catch (err) {
          run.error = `profile: ${err instanceof Error ? err.message : String(err)}`;
          log(`${u.unit}: ${run.error}`);
        }
        run.seconds.profile = Math.round((Date.now() - t0) / 1000);
      }),
    );
  }

  // One apply round for every unit: each transaction restarts only its own unit. Its
  // fresh-login confirmation dials on its own (not through handshakes.ts), so at most
  // APPLY_CONCURRENCY transactions run at once: their confirmations plus the queued dials stay
  // below sshd's MaxStartups.
  log('applying');
  const applying = limiter(APPLY_CONCURRENCY);
  await staggered(
    runs.filter((r) => r.dropIn !== undefined),
    stagger,
    (run) =>
      applying(async () => {
        const t0 = Date.now();
        let conn: Connection | undefined;
        try {
          conn = await dial();
          const res = await applyDropIn(conn, run.unit, run.dropIn!, {
            settleMs: 5000,
            log: (l) => log(`${run.unit}: ${l}`),
          });
          run.verdict = res.verdict;
        } catch (err) {
          if (err instanceof ApplyError) {
            run.verdict = `${err.result.verdict}: ${err.result.failures.join('; ').slice(0, 300)}`;
            run.detail = [...err.result.failures, ...err.result.journal].join('\n');
          } else run.verdict = `error: ${err instanceof Error ? err.message : String(err)}`;
          log(`${run.unit}: apply: ${run.verdict}`);
        } finally {
          await conn?.close();
        }
        run.seconds.apply = Math.round((Date.now() - t0) / 1000);
      }),
  );

  const checked = [...new Set(units.map((u) => u.check))];
  const checkAll = async (): Promise<Map<string, CheckResult>> => {
    const out = new Map<string, CheckResult>();
    await Promise.all(checked.map(async (c) => out.set(c, await checkService(host, c, { waitSeconds: 60 }))));
    return out;
  };
  log('checks after apply');
  const afterApply = await checkAll();
  const after = await securityBaseline(
    host,
    units.map((u) => u.unit),
  );
  for (const run of runs) {
    run.afterApply = afterApply.get(run.check);
    run.exposure = after.find((a) => a.unit === run.unit)?.exposure;
  }
  // The cycle an operator runs on a hardened unit: reload where it can, else restart. A
  // socket-activated or timer-driven unit that is not running is left to its trigger.
  log('reload-or-restart cycle');
  const cycle = await sshExec(
    host,
    units
      .map(
        (u) =>
          `if [ "$(systemctl show -p ActiveState --value ${shQuote(u.unit)})" = active ]; then timeout 300 systemctl reload-or-restart ${shQuote(u.unit)} || echo "cycle ${u.unit} exit $?"; fi`,
      )
      .join('\n'),
    { timeoutMs: 15 * 60_000 },
  );
  if (cycle.stdout.trim()) log(cycle.stdout.trim());
  const afterCycle = await checkAll();
  for (const run of runs) run.afterCycle = afterCycle.get(run.check);
  return runs;
}

/** One line per unit: stock → hardened exposure, verdict, checks. */
export function corpusTable(runs: readonly UnitRun[]): string {
  const rows = runs.map((r) =>
    [
      r.unit.padEnd(34),
      String(r.stockExposure).padStart(4),
      '→',
      String(r.exposure ?? '?').padStart(4),
      (r.verdict ?? r.error ?? '?').slice(0, 60).padEnd(20),
      `check ${r.afterApply?.ok ? 'ok' : 'FAIL'}/${r.afterCycle?.ok ? 'ok' : 'FAIL'}`,
      `profile ${r.seconds.profile ?? '?'} s, apply ${r.seconds.apply ?? '?'} s`,
    ].join(' '),
  );
  return rows.join('\n');
}
