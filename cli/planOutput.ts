/**
 * Shared by `hush resolve` and `hush run`: the hardening flags (mode, overrides) and the output of
 * a plan (a drop-in, or JSON with chosen/rejected values and their reasons).
 */
import { z } from 'zod';
import { hushVersion, isItemSet, isOnePerLine, renderDropIn } from '../core/dropin';
import type { Advice, Plan } from '../core/resolve/plan';
import { ResolveSettings, type ResolveSettingsInput } from '../core/resolve/settings';
import { UsageError } from './command';

export const HARDENING_USAGE = `hardening flags:
  --mode M             conservative (default) | standard | aggressive
  --threshold N        fold path lists longer than N into common parents (default 5)
  --set OPT=VALUE      force an option (repeatable; space-separated items for list options)
  --forbid OPT         never emit OPT (repeatable)
  --writable PATH      keep PATH writable although not seen (repeatable)
  --readable PATH      keep PATH readable although not seen (repeatable)
  --exec PATH          keep PATH executable although not seen (repeatable)
output flags:
  --json               the plan as JSON: chosen values with reasons, rejected values with what blocked them
  --explain            drop-in with each decision's reasons as comments`;

export const HARDENING_FLAGS = {
  mode: { type: 'string' },
  threshold: { type: 'string' },
  set: { type: 'string', multiple: true },
  forbid: { type: 'string', multiple: true },
  writable: { type: 'string', multiple: true },
  readable: { type: 'string', multiple: true },
  exec: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  explain: { type: 'boolean' },
} as const;

export interface HardeningFlagValues {
  mode?: string;
  threshold?: string;
  set?: string[];
  forbid?: string[];
  writable?: string[];
  readable?: string[];
  exec?: string[];
}

export function settingsFromFlags(v: HardeningFlagValues): ResolveSettings {
  const force: Record<string, string | string[]> = {};
  for (const s of v.set ?? []) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(s);
    if (!m) throw new UsageError(`--set expects OPTION=VALUE, got ${JSON.stringify(s)}`);
    const [, name, value] = m as unknown as [string, string, string];
    force[name] = isItemSet(name)
      ? isOnePerLine(name)
        ? [value]
        : value.split(/\s+/).filter(Boolean)
      : value;
  }
  const input: ResolveSettingsInput = {
    ...(v.mode !== undefined ? { mode: v.mode as ResolveSettingsInput['mode'] } : {}),
    ...(v.threshold !== undefined ? { mergePathsThreshold: Number(v.threshold) } : {}),
    overrides: {
      force,
      forbid: v.forbid ?? [],
      writablePaths: v.writable ?? [],
      readablePaths: v.readable ?? [],
      execPaths: v.exec ?? [],
    },
  };
  const parsed = ResolveSettings.safeParse(input);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}

/** The plan as the user asked: JSON, or a drop-in (optionally with reasons as comments). */
export function formatPlan(
  plan: Plan,
  opts: { json?: boolean; explain?: boolean; unit?: string; notes?: NodeJS.WritableStream; command?: string },
  extra: object = {},
): string {
  // Notes are in the drop-in's header too; on stderr they reach an operator who pipes stdout away.
  for (const n of plan.notes ?? []) opts.notes?.write(`hush ${opts.command ?? 'resolve'}: note: ${n}\n`);
  // Advice changes identity or ownership: printed for the operator, never part of the drop-in.
  for (const a of plan.advice ?? []) opts.notes?.write(formatAdvice(a, opts.command ?? 'resolve'));
  if (opts.json) return JSON.stringify({ ...extra, plan }, null, 2) + '\n';
  return renderDropIn(plan, {
    version: hushVersion(),
    explain: opts.explain ?? false,
    ...(opts.unit ? { unit: opts.unit } : {}),
  });
}

/** One piece of advice as text: the setting, why, the evidence, the steps (none of it applied). */
export function formatAdvice(a: Advice, command: string): string {
  return (
    [
      `hush ${command}: advice (not applied): ${a.option}=${a.value}`,
      ...a.why.map((w) => `  why: ${w}`),
      ...a.evidence.map((e) => `  evidence: ${e}`),
      ...a.steps.map((s) => `  step: ${s.replace(/\n/g, '\n        ')}`),
    ].join('\n') + '\n'
  );
}

export const PositiveInt = z.coerce.number().int().positive();
