/**
 * The resolver: Profile × HostFacts × settings → Plan. Pure and deterministic: options are visited
 * in registry order, actions in profile order, and every list is sorted, so the same inputs give a
 * byte-identical plan. Every emitted value carries its reasons; every stricter value not emitted
 * carries what blocked it (an action with its evidence, a gate, the unit's floor, or the user).
 */
import { profileDigest, profileNotes } from '../profile';
import type { HostFacts } from '../profile/hostFacts';
import type { Profile } from '../profile/schema';
import type { Action } from '../summary/actions';
import type { Effect, ListOption, OptionDecl, ScalarOption, TargetView } from '../systemd/model';
import { optionRegistry } from '../systemd/options';
import { mergePaths, printableText } from '../systemd/paths';
import { identityAdvice } from './advice';
import { firstConflict, gateBlocks, type Exceptions } from './check';
import type { Decision, Plan, Rejection } from './plan';
import { ResolveSettings, type ResolveSettingsInput } from './settings';
import { buildView, type ViewState } from './view';

export { ResolveSettings, OptionOverrides, type ResolveSettingsInput } from './settings';
export { Plan, Decision, Rejection, Assignment, HardeningMode, Advice } from './plan';

/** Mounts meant to reach the host break under any option that gives the service its own mount namespace. */
const MOUNT_PROPAGATION: Effect = {
  kind: 'denyAction',
  action: 'mount',
  where: (a) => a.kind === 'mount' && a.propagatesToHost,
};

function evidenceText(a: Action): string {
  const ev = a.ev;
  if (ev.syscall === 'hush-override') return 'user override';
  return `pid ${ev.pid}, line ${ev.line}, ${ev.syscall}${ev.text ? `: ${ev.text}` : ''}`;
}

function rejection(option: string, value: string, why: string, action?: Action): Rejection {
  return action ? { option, value, why, blockedBy: { action, ev: action.ev } } : { option, value, why };
}

interface Outcome {
  decisions: Decision[];
  rejections: Rejection[];
}

function normalizeScalar(decl: ScalarOption, raw: string): string {
  const v = raw.trim();
  return decl.aliases?.[v] ?? v;
}

function floorIndex(decl: ScalarOption, props: Readonly<Record<string, string>>): number {
  if (decl.floorIndex) return decl.floorIndex(props) ?? -1;
  const raw = props[decl.name];
  if (raw === undefined) return -1;
  const v = normalizeScalar(decl, raw);
  return decl.values.findIndex((x) => x.value === v);
}

/** Gates every option shares: the declaration's own, and NoNewPrivileges implied in user managers. */
function optionGate(decl: OptionDecl, t: TargetView): string | undefined {
  const g = gateBlocks(decl.gate, t);
  if (g) return g;
  if (decl.impliesNoNewPrivileges && !t.systemInstance && t.effective('NoNewPrivileges') !== 'yes') {
    return 'implies NoNewPrivileges=yes in a user manager, and NoNewPrivileges could not be set';
  }
  return undefined;
}

function withMountEffects(decl: OptionDecl, effects: readonly Effect[]): readonly Effect[] {
  return decl.mountNamespace ? [...effects, MOUNT_PROPAGATION] : effects;
}

function companionDecisions(exceptions: Exceptions, threshold: number): Decision[] {
  const out: Decision[] = [];
  for (const companion of [...exceptions.keys()].sort()) {
    const uses = exceptions.get(companion)!;
    const merged = mergePaths(uses.keys(), threshold);
    const reasons = [...uses.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([path, { action: a, fold }]) => {
        const folded = fold ? ` for ${printableText(fold.from)}, which ${fold.why}` : '';
        return `${path}: ${a.kind === 'path' ? a.access : a.kind}${folded} (${evidenceText(a)})`;
      });
    if (merged.length < uses.size)
      reasons.push(`merged into ${merged.length} entries (threshold ${threshold})`);
    // `-`: a path missing at start (e.g. created later by the service) must not fail the unit.
    out.push({ option: companion, value: merged.map((p) => `-${p}`), reasons });
  }
  return out;
}

function resolveScalar(decl: ScalarOption, t: TargetView, threshold: number): Outcome {
  const rejections: Rejection[] = [];
  const floor = floorIndex(decl, t.unitProps);
  const gate = optionGate(decl, t);
  const strictest = decl.values[decl.values.length - 1]!.value;
  if (gate) {
    rejections.push(rejection(decl.name, strictest, gate));
    // The unit's own value stays in force without us repeating it.
    return { decisions: [], rejections };
  }
  for (let i = decl.values.length - 1; i >= 0; i--) {
    const v = decl.values[i]!;
    const valueGate = gateBlocks(v.gate, t);
    if (valueGate && i > floor) {
      rejections.push(rejection(decl.name, v.value, valueGate));
      continue;
    }
    const exceptions: Exceptions = new Map();
    const conflict = valueGate ? undefined : firstConflict(withMountEffects(decl, v.effects), t, exceptions);
    if (conflict && i > floor) {
      rejections.push(rejection(decl.name, v.value, conflict.why, conflict.action));
      continue;
    }
    const reasons = [v.gives];
    if (i === floor) {
      reasons.push(`the unit already sets ${decl.name}=${v.value}; hush never lowers it`);
      if (conflict) reasons.push(`kept although the profile shows: ${conflict.why}`);
    } else if (i < decl.values.length - 1) {
      reasons.push(
        `the stricter value${i < decl.values.length - 2 ? 's' : ''} would block observed behaviour (see rejected)`,
      );
    } else {
      reasons.push('nothing observed conflicts with it');
    }
    return {
      decisions: [
        { option: decl.name, value: v.value, reasons },
        ...companionDecisions(exceptions, threshold),
      ],
      rejections,
    };
  }
  return { decisions: [], rejections };
}

function resolveList(decl: ListOption, t: TargetView): Outcome {
  const rejections: Rejection[] = [];
  const gate = optionGate(decl, t);
  if (gate) return { decisions: [], rejections: [rejection(decl.name, '*', gate)] };
  const floor = decl.floor?.(t.unitProps, t);
  const picked: string[] = [];
  const reasons: string[] = [];
  for (const el of decl.elements(t)) {
    const g = gateBlocks(el.gate, t);
    if (g) {
      if (decl.polarity === 'deny') rejections.push(rejection(decl.name, el.item, g));
      continue;
    }
    const conflict = firstConflict(withMountEffects(decl, el.effects), t, new Map());
    if (decl.polarity === 'deny') {
      if (conflict) rejections.push(rejection(decl.name, el.item, conflict.why, conflict.action));
      else picked.push(el.item);
    } else if (conflict) {
      if (floor && !floor.items.has(el.item)) {
        reasons.push(`${el.item}: used, but the unit already forbids it (not re-allowed)`);
        continue;
      }
      picked.push(el.item);
      reasons.push(
        conflict.action
          ? `${el.item}: used (${evidenceText(conflict.action)})`
          : `${el.item}: ${conflict.why}`,
      );
      rejections.push(rejection(decl.name, `without ${el.item}`, conflict.why, conflict.action));
    }
  }
  let items = picked;
  if (decl.polarity === 'deny') {
    // Drop-in deny lists AND with the unit's: repeating the unit's own denials is harmless and keeps `yes`-style summaries right.
    const extra = [...(floor?.items ?? [])].filter((x) => !picked.includes(x)).sort();
    items = [...picked, ...extra];
    if (picked.length) reasons.push(`nothing observed needs: ${picked.join(' ')}`);
    if (extra.length) reasons.push(`already denied by the unit: ${extra.join(' ')}`);
  }
  const assignments = decl.render(items, t);
  return {
    decisions: assignments.map((a) => ({
      option: a.option,
      value: a.value,
      reasons: a.reasons ?? (reasons.length ? reasons : [decl.doc]),
    })),
    rejections,
  };
}

function forcedCompanions(
  decl: ScalarOption,
  value: string | string[],
  t: TargetView,
  threshold: number,
): Decision[] {
  const v = decl.values.find((x) => x.value === value);
  if (!v) return [];
  const exceptions: Exceptions = new Map();
  firstConflict(withMountEffects(decl, v.effects), t, exceptions);
  return companionDecisions(exceptions, threshold);
}

/**
 * Resolve a profile against a target. `facts` describe the target host and unit (versions, kernel
 * features, current unit properties); `settings` the mode and user overrides.
 */
export function resolve(profile: Profile, facts: HostFacts, settingsInput: ResolveSettingsInput = {}): Plan {
  const settings = ResolveSettings.parse(settingsInput);
  const registry = optionRegistry(settings.mergePathsThreshold);
  const scalarByName = new Map<string, ScalarOption>();
  for (const d of registry) if (d.kind === 'scalar') scalarByName.set(d.name, d);
  const state: ViewState = { chosen: new Map() };
  const t = buildView(profile, facts, settings.mode, settings.overrides, state, (option, value) => {
    const d = scalarByName.get(option);
    return d ? normalizeScalar(d, value) : value.trim();
  });
  const forbidden = new Set(settings.overrides.forbid);
  const forced = settings.overrides.force;
  const chosen: Decision[] = [];
  const rejected: Rejection[] = [];

  for (const decl of registry) {
    let outcome: Outcome;
    if (forbidden.has(decl.name)) {
      outcome = { decisions: [], rejections: [rejection(decl.name, '*', 'forbidden by the user')] };
    } else if (decl.kind === 'scalar') {
      outcome = resolveScalar(decl, t, settings.mergePathsThreshold);
    } else if (decl.kind === 'list') {
      outcome = resolveList(decl, t);
    } else {
      const gate = optionGate(decl, t);
      if (gate) {
        outcome = { decisions: [], rejections: [rejection(decl.name, '*', gate)] };
      } else {
        const r = decl.derive(t);
        outcome = {
          decisions: r.assignments.map((a) => ({ option: a.option, value: a.value, reasons: a.reasons })),
          rejections: r.rejected.map((x) => rejection(decl.name, x.value, x.why, x.action)),
        };
      }
    }
    let decisions = outcome.decisions.filter((d) => !forbidden.has(d.option));
    if (forced[decl.name] !== undefined) {
      const value = forced[decl.name]!;
      // A forced scalar gets the companions of the forced value (strict's ReadWritePaths=), not of the one it replaced.
      const companions =
        decl.kind === 'scalar'
          ? forcedCompanions(decl, value, t, settings.mergePathsThreshold)
          : decisions.filter((d) => d.option !== decl.name);
      decisions = [{ option: decl.name, value, reasons: ['forced by the user'] }, ...companions];
    }
    for (const d of decisions) state.chosen.set(d.option, d.value);
    chosen.push(...decisions);
    rejected.push(...outcome.rejections);
  }
  // Forced options the registry does not model are emitted last, by name.
  const known = new Set(chosen.map((d) => d.option));
  for (const name of Object.keys(forced).sort()) {
    if (known.has(name) || registry.some((d) => d.name === name)) continue;
    chosen.push({ option: name, value: forced[name]!, reasons: ['forced by the user'] });
  }

  const notes = profileNotes(profile);
  const advice = identityAdvice(chosen, t, facts.unit?.name);
  return {
    mode: settings.mode,
    profileDigest: profileDigest(profile),
    systemdVersion: facts.systemdVersion,
    chosen,
    rejected,
    ...(notes.length > 0 ? { notes } : {}),
    ...(advice.length ? { advice } : {}),
  };
}
