/**
 * The one generic checker: does an effect (core/systemd/model.ts) conflict with what the profile
 * shows? Returns the first blocking action in profile order, or collects whitelist exceptions when
 * the effect allows them (relax).
 */
import type { Action } from '../summary/actions';
import { unreadablePaths, type Effect, type Gate, type PathSet, type TargetView } from '../systemd/model';
import { CLOSED_POLICY_DEVICES } from '../systemd/devices';
import { isDeviceOpen } from '../systemd/options';
import { isUnder, nameablePath, parentDir, printableText } from '../systemd/paths';
import { expandSyscallGroup } from '../systemd/syscallFilter';
import { BUNDLED_SYSCALL_GROUPS } from '../systemd/syscallGroups.generated';

export interface Conflict {
  why: string;
  action?: Action;
}

/** Why a companion path is wider than the access: the path itself could not be written (folded). */
export interface Fold {
  from: string;
  why: string;
}

/** A whitelisted path: the first action that needed it, and the fold when it had to be widened. */
export interface Exception {
  action: Action;
  fold?: Fold;
}

/** Companion option → path → what needed it. */
export type Exceptions = Map<string, Map<string, Exception>>;

function inPathSet(path: string, set: PathSet, t: TargetView, except: readonly string[]): boolean {
  if (except.some((e) => isUnder(path, e))) return false;
  if (set.exact?.includes(path)) return true;
  if (set.under?.some((b) => isUnder(path, b))) return true;
  return set.test ? set.test(path, t) : false;
}

function describe(a: Action): string {
  return `${a.ev.syscall} (pid ${a.ev.pid}, line ${a.ev.line})`;
}

const LATEST_GROUPS = (() => {
  const versions = Object.keys(BUNDLED_SYSCALL_GROUPS)
    .map(Number)
    .sort((a, b) => b - a);
  return BUNDLED_SYSCALL_GROUPS[versions[0]!]!;
})();

function firstActionFor(t: TargetView, syscall: string): Action | undefined {
  return t.actions.find((a) => a.ev.syscall === syscall);
}

export function checkEffect(effect: Effect, t: TargetView, exceptions: Exceptions): Conflict | undefined {
  if (effect.modes && !effect.modes.includes(t.mode)) return undefined;
  if (effect.kind === 'pathAccess' || effect.kind === 'emptyPath') {
    const why = unreadablePaths(t);
    if (why) return { why };
  }
  switch (effect.kind) {
    case 'pathAccess':
      return checkPathAccess(effect, t, exceptions);
    case 'emptyPath':
      return checkEmptyPath(effect, t);
    case 'denySyscalls':
      return checkDenySyscalls(effect, t);
    case 'denyAction': {
      const a = t.actions.find((x) => x.kind === effect.action && (!effect.where || effect.where(x, t)));
      return a ? { why: `${effect.action}: ${describe(a)}`, action: a } : undefined;
    }
    case 'restrictDevices':
      return checkRestrictDevices(t);
    case 'custom': {
      const r = effect.check(t);
      return r ? { why: r.why, ...(r.action ? { action: r.action } : {}) } : undefined;
    }
  }
}

type EffectOf<K extends Effect['kind']> = Extract<Effect, { kind: K }>;

/** A path use the option would forbid, unless its relax rule can add the path to a companion option. */
function checkPathAccess(
  effect: EffectOf<'pathAccess'>,
  t: TargetView,
  exceptions: Exceptions,
): Conflict | undefined {
  // Exemptions can depend on the plan so far (exceptWhen): computed once per check, not per path.
  const except = [...(effect.paths.except ?? []), ...(effect.paths.exceptWhen?.(t) ?? [])];
  for (const use of t.paths) {
    if (!effect.accesses.includes(use.access) || !inPathSet(use.path, effect.paths, t, except)) continue;
    const relax = effect.relax;
    if (relax) {
      const needsDir =
        relax.granularity === 'dirForCreate' && (use.access === 'create' || use.access === 'remove');
      const wanted = needsDir ? parentDir(use.path) : use.path;
      // A path systemd cannot be told (not UTF-8, control characters…) is folded to its nearest
      // nameable parent, which must pass the same test: the reason goes into the plan.
      const { path: exception, why: unnameable } = nameablePath(wanted);
      const fold = unnameable === undefined ? undefined : { from: wanted, why: unnameable };
      if (!relax.forbidden(exception)) {
        let m = exceptions.get(relax.companion);
        if (!m) exceptions.set(relax.companion, (m = new Map()));
        if (!m.has(exception)) m.set(exception, fold ? { action: use.action, fold } : { action: use.action });
        continue;
      }
      const folded = fold ? ` (${printableText(wanted)} ${fold.why}: its nearest nameable parent)` : '';
      return {
        why: `${use.access} ${printableText(use.path)}: allowing it would need ${exception}${folded} in ${relax.companion}=, which opens a sensitive tree`,
        action: use.action,
      };
    }
    return { why: `${use.access} ${use.path}`, action: use.action };
  }
  return undefined;
}

/** A use of a tree the option would empty (a path created first, in a writable one, is fine). */
function checkEmptyPath(effect: EffectOf<'emptyPath'>, t: TargetView): Conflict | undefined {
  const created = new Set<string>();
  const keep = effect.keep ?? [];
  for (const use of t.paths) {
    const base = effect.bases.find((b) => isUnder(use.path, b));
    if (!base || keep.some((k) => isUnder(use.path, k))) continue;
    if (use.path === base) {
      if (effect.baseListed && use.access === 'read') {
        return { why: `lists ${base}, whose content would differ`, action: use.action };
      }
      continue;
    }
    if (use.access === 'create') {
      const parent = parentDir(use.path);
      if (effect.writable && (parent === base || created.has(parent))) {
        created.add(use.path);
        continue;
      }
      return {
        why: effect.writable
          ? `creates ${use.path} in ${parent}, which would not exist in the empty ${base}`
          : `creates ${use.path} under ${base}, which would be an empty read-only directory`,
        action: use.action,
      };
    }
    if (created.has(use.path)) continue;
    return {
      why: `${use.access} ${use.path}, which it did not create first (${base} would be empty)`,
      action: use.action,
    };
  }
  return undefined;
}

function checkDenySyscalls(effect: EffectOf<'denySyscalls'>, t: TargetView): Conflict | undefined {
  const groups = t.groups ?? LATEST_GROUPS;
  const denied = new Set<string>();
  for (const n of effect.names) for (const s of expandSyscallGroup(groups, n)) denied.add(s);
  for (const [name, count] of t.syscalls) {
    if (denied.has(name)) {
      const action = firstActionFor(t, name);
      return { why: `calls ${name} (${count}×)`, ...(action ? { action } : {}) };
    }
  }
  // A call that failed while profiling fails differently under EPERM (ENOSYS probes fall back only on ENOSYS).
  if (t.mode === 'conservative') {
    for (const [name, count] of t.failedSyscalls) {
      if (denied.has(name))
        return { why: `calls ${name} (${count}×, failing; conservative mode keeps its error code)` };
    }
  }
  return undefined;
}

/** A device opened outside DevicePolicy=closed's implied list and the plan's DeviceAllow=. */
function checkRestrictDevices(t: TargetView): Conflict | undefined {
  const allowed = new Set<string>();
  const da = t.chosen.get('DeviceAllow');
  for (const item of typeof da === 'string' ? [da] : (da ?? [])) {
    // `PATH RIGHTS`: the path may hold spaces itself, the rights never do.
    const space = item.lastIndexOf(' ');
    allowed.add(space > 0 && /^[rwm]*$/.test(item.slice(space + 1)) ? item.slice(0, space) : item);
  }
  for (const use of t.paths) {
    if (!isDeviceOpen(use)) continue;
    const p = use.path;
    if (allowed.has(p) || /^\/dev\/pts\/\d+$/.test(p)) continue;
    if (CLOSED_POLICY_DEVICES.includes(p)) continue;
    if (/^\/dev\/rtc\d*$/.test(p) && use.access === 'read') continue;
    return { why: `opens device ${p}, outside the implied device allow-list`, action: use.action };
  }
  return undefined;
}

/** The first effect conflict, checking effects in declaration order. */
export function firstConflict(
  effects: readonly Effect[],
  t: TargetView,
  exceptions: Exceptions,
): Conflict | undefined {
  for (const e of effects) {
    const c = checkEffect(e, t, exceptions);
    if (c) return c;
  }
  return undefined;
}

function kernelAtLeast(k: readonly [number, number], min: readonly [number, number]): boolean {
  return k[0] > min[0] || (k[0] === min[0] && k[1] >= min[1]);
}

/** Why the target cannot honour (or the mode does not want) something gated, or undefined. */
export function gateBlocks(gate: Gate | undefined, t: TargetView): string | undefined {
  if (!gate) return undefined;
  if (gate.modes && !gate.modes.includes(t.mode))
    return `not in ${t.mode} mode (only ${gate.modes.join(', ')})`;
  if (gate.minSystemd !== undefined && t.systemdVersion < gate.minSystemd) {
    return `needs systemd ≥ ${gate.minSystemd} (target has ${t.systemdVersion})`;
  }
  if (gate.minKernel) {
    if (!t.kernel) return `needs kernel ≥ ${gate.minKernel.join('.')} (target kernel unknown)`;
    if (!kernelAtLeast(t.kernel, gate.minKernel)) {
      return `needs kernel ≥ ${gate.minKernel.join('.')} (target has ${t.kernel.join('.')})`;
    }
  }
  if ((gate.mountNamespace || gate.systemInstance) && !t.systemInstance) {
    return gate.mountNamespace
      ? 'needs a mount namespace, which a user manager cannot set up'
      : 'system services only';
  }
  if (gate.cgroupV2 && t.cgroupVersion !== 2) {
    return `needs the unified cgroup v2 hierarchy (target: ${t.cgroupVersion ? `v${t.cgroupVersion}` : 'unknown'})`;
  }
  if (gate.bpfFramework && t.bpfFramework !== true) {
    return `needs systemd built with +BPF_FRAMEWORK (target: ${t.bpfFramework === false ? 'built without' : 'unknown'})`;
  }
  if (gate.nonRoot && t.runsAsRoot) return 'the unit runs as root, where it has no effect';
  if (gate.syscallGroups && !t.groups) return `no syscall groups known for systemd ${t.systemdVersion}`;
  return gate.when?.(t);
}
