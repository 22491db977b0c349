/**
 * The resolver's output: which value each option takes and why, and which stricter values were
 * rejected and what blocked them. Rendered to a drop-in by core/dropin.
 */
import { z } from 'zod';
import { Action, Evidence } from '../summary/actions';
import { HardeningMode } from '../systemd/model';

// The mode belongs to the option model (options declare which modes a value needs); the Plan records it.
export { HardeningMode };

/** One `Option=value` assignment. A list value is rendered space-separated, each item quoted as systemd needs. */
export const Assignment = z.object({
  option: z.string(),
  value: z.union([z.string(), z.array(z.string())]),
});
export type Assignment = z.infer<typeof Assignment>;

export const Decision = Assignment.extend({
  /** Human-readable reasons: why this value is safe, what it allows and why. */
  reasons: z.array(z.string()),
});
export type Decision = z.infer<typeof Decision>;

export const Rejection = z.object({
  option: z.string(),
  /** The stricter value that was not chosen. */
  value: z.string(),
  why: z.string(),
  /** The action that blocked it, with its evidence; absent when a gate (version, mode, floor) blocked it. */
  blockedBy: z.object({ action: Action, ev: Evidence }).optional(),
});
export type Rejection = z.infer<typeof Rejection>;

/**
 * Hardening the profile shows within reach that changes identity or file ownership (User=,
 * DynamicUser=, PrivateUsers=): never in the drop-in, printed for the operator with its evidence
 * and the exact steps (core/resolve/advice.ts).
 */
export const Advice = z.object({
  option: z.string(),
  value: z.string(),
  why: z.array(z.string()),
  evidence: z.array(z.string()),
  steps: z.array(z.string()),
});
export type Advice = z.infer<typeof Advice>;

export const Plan = z.object({
  mode: HardeningMode,
  /** sha256 of the canonical profile JSON the plan was computed from. */
  profileDigest: z.string(),
  systemdVersion: z.number().int(),
  /** In rendering order (the option registry's order). */
  chosen: z.array(Decision),
  rejected: z.array(Rejection),
  /** What the operator should know about the profile's completeness (core/profile `profileNotes`). */
  notes: z.array(z.string()).optional(),
  /** Not applied: see Advice. */
  advice: z.array(Advice).optional(),
});
export type Plan = z.infer<typeof Plan>;
