/**
 * Denials attributable to one unit, from its journal and the kernel's seccomp records, each with
 * the option of hush's drop-in that caused it and the relaxation that would fix it. Pure: the
 * journal text, the unit's pids and programs and the drop-in are handed in (remote/watch.ts reads
 * them from the host).
 *
 *   const r = analyzeDenials(journalText, { unit: 'nginx.service', programs: ['/usr/sbin/nginx'],
 *     pids: new Set([812, 813]) }, { dropIn, facts });
 *   r.denials[0].causes[0]   // { option: 'ProtectHome', current: 'yes', relaxation: [...] }
 *
 * Attribution, strongest first: the entry comes from the unit (journald's `_SYSTEMD_UNIT`, or the
 * manager's message about it); a kernel record's pid was seen in the unit's cgroup; the manager
 * reported the unit's main process killed by SIGSYS within a few seconds of the record; the
 * record's executable is one of the unit's programs. Kernel records matching none are left out.
 */
import { causesOf, type Cause, type RelaxContext } from './relax';
import { entryTime, parseJournalLines, type JournalEntry } from './journal';
import { findingOf, fromManager, SETUP_FAILURES, type Finding } from './findings';

export { parseJournalLines, JOURNAL_FIELDS, JournalEntry, entryTime } from './journal';
export { findingOf, pathOf, SETUP_FAILURES, type Finding, type SeccompFinding } from './findings';
export { causesOf, actionsOf, type Cause, type RelaxContext } from './relax';
export {
  canaryAssignments,
  canaryPlan,
  loggedSyscalls,
  logLineOf,
  NO_LOG_ONLY_FORM,
  SYSTEM_CALL_LOG_SINCE,
} from './canary';

export interface UnitContext {
  unit: string;
  /** A user manager's unit (`_SYSTEMD_USER_UNIT`/`USER_UNIT` instead of the system fields). */
  userUnit?: boolean;
  /** Absolute paths of the programs the unit runs (Exec binaries, executed paths of its profile). */
  programs: readonly string[];
  /** Pids seen in the unit's cgroup while watching. */
  pids: ReadonlySet<number>;
}

export type Attribution = 'unit-log' | 'manager' | 'cgroup' | 'main-exit' | 'executable';

export interface Denial {
  at: string;
  cursor: string;
  finding: Finding;
  /** The journal line, as logged. */
  message: string;
  attribution: Attribution;
  /** Options of hush's drop-in that caused it (empty: not explained by hush's options). */
  causes: Cause[];
  /** One line for people. */
  summary: string;
}

export interface DenialReport {
  denials: Denial[];
  /** Cursor of the last entry read: where the next read continues. */
  cursor?: string;
  /** Entries read, and lines that were not entries. */
  entries: number;
  rejectedLines: number;
}

/** How long after a kernel record the manager's "main process killed by SIGSYS" still matches it. */
const MAIN_EXIT_WINDOW_US = 5_000_000n;

function unitOf(e: JournalEntry, user: boolean): string | undefined {
  return user ? (e._SYSTEMD_USER_UNIT ?? undefined) : (e._SYSTEMD_UNIT ?? undefined);
}

function managerUnitOf(e: JournalEntry, user: boolean): string | undefined {
  if (!fromManager(e)) return undefined;
  return user ? e.USER_UNIT : e.UNIT;
}

function describe(f: Finding, causes: readonly Cause[]): string {
  const what = (() => {
    switch (f.kind) {
      case 'seccomp':
        return `${f.syscall ?? `syscall #${f.number} (${f.arch})`} ${f.action === 'log' ? 'logged (would be denied)' : f.action.startsWith('kill') ? 'killed the process (SIGSYS)' : `denied (${f.action})`} in ${f.comm ?? f.exe ?? `pid ${f.pid}`}`;
      case 'errno':
        return `${f.errno} on ${f.op ?? 'access'} ${f.path ?? `${f.address ?? ''}${f.port !== undefined ? `:${f.port}` : ''}`}`;
      case 'exit':
        return `${f.code} with status ${f.status}${SETUP_FAILURES[f.status] ? ` (${SETUP_FAILURES[f.status]})` : ''}`;
      case 'start-failed':
        return f.why === 'start-limit'
          ? 'start limit hit (restart loop)'
          : `failed (result ${f.result ?? '?'})`;
    }
  })();
  if (causes.length === 0) return what;
  const fixes = causes.map((c) => {
    const lines = c.relaxation.map(
      (a) => `${a.option}=${typeof a.value === 'string' ? a.value : a.value.join(' ')}`,
    );
    return `${c.option}=${c.current}${lines.length ? ` → ${lines.join(', ')}` : ''}`;
  });
  return `${what}: caused by ${fixes.join('; ')}`;
}

/** Reads `journalctl -o json` output for the unit's denials (see the module comment). */
export function analyzeDenials(journalText: string, unit: UnitContext, relax: RelaxContext): DenialReport {
  const { entries, rejected } = parseJournalLines(journalText);
  const user = unit.userUnit === true;
  const programs = new Set(unit.programs);
  // the manager's SIGSYS reports for this unit, to match kernel records of processes gone since
  const sigsysExits = entries
    .filter((e) => managerUnitOf(e, user) === unit.unit && e.EXIT_CODE && e.EXIT_STATUS === '31')
    .map((e) => BigInt(e.__REALTIME_TIMESTAMP));
  const denials: Denial[] = [];
  for (const e of entries) {
    const finding = findingOf(e);
    if (!finding) continue;
    let attribution: Attribution | undefined;
    if (finding.kind === 'seccomp') {
      const t = BigInt(e.__REALTIME_TIMESTAMP);
      if (unit.pids.has(finding.pid)) attribution = 'cgroup';
      else if (sigsysExits.some((x) => x >= t && x - t <= MAIN_EXIT_WINDOW_US)) attribution = 'main-exit';
      else if (finding.exe && programs.has(finding.exe)) attribution = 'executable';
    } else if (managerUnitOf(e, user) === unit.unit) attribution = 'manager';
    else if (unitOf(e, user) === unit.unit) attribution = 'unit-log';
    if (!attribution) continue;
    const causes = causesOf(finding, relax);
    // A service's "No such file" is only a denial when hush's options explain it.
    if (finding.kind === 'errno' && causes.length === 0 && finding.errno === 'ENOENT') continue;
    denials.push({
      at: entryTime(e),
      cursor: e.__CURSOR,
      finding,
      message: e.MESSAGE ?? '',
      attribution,
      causes,
      summary: describe(finding, causes),
    });
  }
  const last = entries.at(-1);
  return {
    denials,
    ...(last ? { cursor: last.__CURSOR } : {}),
    entries: entries.length,
    rejectedLines: rejected.length,
  };
}

/** The relaxations of several denials as one list of lines, each option/value once, in first-seen order. */
export function mergedRelaxation(denials: readonly Denial[]): { option: string; value: string | string[] }[] {
  const seen = new Set<string>();
  const out: { option: string; value: string | string[] }[] = [];
  for (const d of denials)
    for (const c of d.causes)
      for (const a of c.relaxation) {
        const key = `${a.option}=${typeof a.value === 'string' ? a.value : a.value.join(' ')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(a);
      }
  return out;
}
