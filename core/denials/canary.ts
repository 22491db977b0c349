/**
 * The log-only canary of a drop-in: its syscall filter turned into `SystemCallLog=` (systemd ≥ 247,
 * kernel ≥ 4.14 for SECCOMP_RET_LOG), so every call the filter would deny is logged by the kernel
 * (a `type=1326 … code=0x7ffc0000` record) and then allowed. Everything else in the drop-in is
 * enforced during the canary: SystemCallFilter= is the only option systemd gives a log-only form.
 *
 * The translation is line by line. SystemCallFilter= and SystemCallLog= merge their lines the same
 * way (the first line's `~` decides whether the list names what is affected or what is spared;
 * later lines with the same polarity add to the list, the other polarity removes from it), and a
 * filter *denies* what the log *logs*: so each line keeps its items and flips its `~`. Per-item
 * errno suffixes (`:EPERM`) and SystemCallErrorNumber= have no meaning for a log and are dropped.
 * Only the first line of an allow list differs: see logLineOf.
 */
import type { Assignment, Decision, Plan } from '../resolve/plan';
import type { Finding } from './findings';

/** Options hush emits that have no log-only form in systemd: enforced during a canary. */
export const NO_LOG_ONLY_FORM: readonly string[] = [
  'SystemCallArchitectures',
  'RestrictAddressFamilies',
  'RestrictNamespaces',
  'MemoryDenyWriteExecute',
  'LockPersonality',
  'RestrictRealtime',
  'RestrictSUIDSGID',
  'ProtectClock',
  'ProtectHostname',
  'ProtectKernelModules',
  'ProtectKernelLogs',
  'ProtectKernelTunables',
  'ProtectControlGroups',
  'ProtectSystem',
  'ProtectHome',
  'ProtectProc',
  'ProcSubset',
  'PrivateTmp',
  'PrivateDevices',
  'PrivateMounts',
  'PrivateIPC',
  'PrivateNetwork',
  'ReadOnlyPaths',
  'ReadWritePaths',
  'InaccessiblePaths',
  'NoExecPaths',
  'ExecPaths',
  'TemporaryFileSystem',
  'BindPaths',
  'BindReadOnlyPaths',
  'CapabilityBoundingSet',
  'NoNewPrivileges',
  'UMask',
  'KeyringMode',
  'IPAddressDeny',
  'IPAddressAllow',
  'SocketBindDeny',
  'SocketBindAllow',
  'DevicePolicy',
  'DeviceAllow',
];

/** systemd release that introduced SystemCallLog=. */
export const SYSTEM_CALL_LOG_SINCE = 247;

function items(value: string | readonly string[]): string[] {
  return (typeof value === 'string' ? value.split(/\s+/) : value.flatMap((v) => v.split(/\s+/))).filter(
    (w) => w !== '',
  );
}

/**
 * One SystemCallFilter= line as the SystemCallLog= line that logs what it denies. `first`: the line
 * starts the list. A filter that starts as an allow list always allows @default too (systemd adds
 * it), a log does not spare it: the first line of an allow list spares @default explicitly.
 */
export function logLineOf(value: string | readonly string[], first = true): string[] {
  const words = items(value);
  if (words.length === 0) return [];
  const inverted = words[0]!.startsWith('~');
  const bare = words.map((w, i) => (i === 0 && inverted ? w.slice(1) : w).replace(/:[A-Za-z0-9_]+$/, ''));
  const [head, ...rest] = bare.filter((w) => w !== '');
  if (head === undefined) return [];
  if (inverted) return [head, ...rest];
  return first ? ['~@default', head, ...rest] : [`~${head}`, ...rest];
}

export interface Canary {
  /** The drop-in's assignments with the filter in log-only form. */
  assignments: Assignment[];
  /** Whether the drop-in had a syscall filter at all (without one a canary only watches). */
  logged: boolean;
}

/** The canary form of a drop-in's assignments (pure; see the module comment). */
export function canaryAssignments(assignments: readonly Assignment[]): Canary {
  const out: Assignment[] = [];
  let logged = false;
  for (const a of assignments) {
    if (a.option === 'SystemCallErrorNumber') continue;
    if (a.option !== 'SystemCallFilter') {
      out.push(a);
      continue;
    }
    const line = logLineOf(a.value, !logged);
    if (line.length === 0) continue;
    out.push({ option: 'SystemCallLog', value: line });
    logged = true;
  }
  return { assignments: out, logged };
}

/** A plan whose rendering is the canary drop-in: same decisions, the filter as a log. */
export function canaryPlan(plan: Plan): { plan: Plan; logged: boolean } {
  const chosen: Decision[] = [];
  let logged = false;
  for (const d of plan.chosen) {
    const c = canaryAssignments([d]);
    for (const a of c.assignments)
      chosen.push(
        a.option === d.option
          ? d
          : {
              ...a,
              reasons: [
                `canary: logs (and allows) what SystemCallFilter=${items(d.value).join(' ')} would deny`,
              ],
            },
      );
    logged ||= c.logged;
  }
  return { plan: { ...plan, chosen }, logged };
}

/** Syscalls the canary logged for the unit, sorted, each once (kernel records only). */
export function loggedSyscalls(findings: readonly Finding[]): string[] {
  const names = new Set<string>();
  for (const f of findings) if (f.kind === 'seccomp' && f.action === 'log' && f.syscall) names.add(f.syscall);
  return [...names].sort();
}
