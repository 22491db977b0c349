/**
 * The state (outputs) of hush's resources as the engine stores it, as zod schemas: diff, read,
 * update and delete parse what the engine hands back instead of trusting a cast. Parsing strips
 * what hush does not know (a state written through the dynamic provider carries `__provider`),
 * and defaults what older versions did not write (`warnings`), so a stack moves between package
 * versions and from the dynamic provider to the plugin without a rewrite.
 */
import { z } from 'zod';
import { ConnectionArgs } from '../remote/connection';
import { ProfileWindow, TracingInput } from './inputs';

/** What a profile depends on (core/profile `Fingerprint`). */
export const FingerprintState = z.object({
  systemdVersion: z.number(),
  kernelRelease: z.string(),
  arch: z.string(),
  binaries: z.array(
    z.object({
      path: z.string(),
      sha256: z.string().optional(),
      package: z.string().optional(),
      packageVersion: z.string().optional(),
    }),
  ),
  digest: z.string(),
});

/** The profiling session's figures: what it saw and where its time went. */
export const ProfileStats = z.object({
  lines: z.number(),
  syscalls: z.number(),
  actions: z.number(),
  traceBytes: z.number(),
  windowSeconds: z.number(),
  tracing: TracingInput,
  setupSeconds: z.number(),
  wrappedRestartSeconds: z.number(),
  finishSeconds: z.number(),
  totalSeconds: z.number(),
});
export type ProfileStats = z.infer<typeof ProfileStats>;

/**
 * Where a ServiceProfile is in its life. Only `profiled` exists today (create profiles inline,
 * within one `pulumi up`); a detached recording (started by one `up`, finished by a later one)
 * adds its phases here, with `profile` empty until it is `profiled`.
 */
export const ProfilePhase = z.enum(['profiled']);

export const ServiceProfileState = z.object({
  connection: ConnectionArgs,
  unit: z.string(),
  window: ProfileWindow,
  tracing: TracingInput.optional(),
  triggers: z.array(z.unknown()).optional(),
  phase: ProfilePhase.default('profiled'),
  /** The Profile document (core/profile schema) as canonical JSON. */
  profile: z.string(),
  profiledFingerprint: FingerprintState,
  currentFingerprint: z.string(),
  reprofileReasons: z.array(z.string()).default([]),
  stats: ProfileStats,
  warnings: z.array(z.string()).default([]),
});
export type ServiceProfileState = z.infer<typeof ServiceProfileState>;

export const Drift = z.enum(['edited', 'deleted', 'unit-changed']);
export type Drift = z.infer<typeof Drift>;

/** A hardening option the unit carries outside hush's file (set by hand, or by its package). */
export const ExistingHardening = z.object({
  option: z.string(),
  value: z.string(),
  /** The unit file or drop-in that sets it. */
  file: z.string(),
});
export type ExistingHardening = z.infer<typeof ExistingHardening>;

export const HardeningDropInState = z.object({
  connection: ConnectionArgs,
  unit: z.string(),
  /**
   * hush's drop-in as hush last wrote (or adopted) it. null only after importing a unit that
   * hush has not hardened yet: the next update writes the declared content.
   */
  content: z.string().nullable(),
  healthCommand: z.string().optional(),
  settleSeconds: z.number().optional(),
  path: z.string(),
  /** sha256 of `systemctl cat` without hush's file (remote/hardeningState.ts). */
  unitDigest: z.string().optional(),
  drift: Drift.nullable().default(null),
  exposureBefore: z.number().nullable().default(null),
  exposureAfter: z.number().nullable().default(null),
  /** Hardening the unit had from elsewhere when it was imported (kept as it is: hush never edits it). */
  existingHardening: z.array(ExistingHardening).default([]),
  warnings: z.array(z.string()).default([]),
});
export type HardeningDropInState = z.infer<typeof HardeningDropInState>;

/**
 * Parses a state, naming the resource and the fields on failure (never a value: the state holds
 * the connection).
 */
export function parseState<S extends z.ZodType>(schema: S, what: string, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`);
  throw new Error(`the stored state of this ${what} is not one hush can read: ${fields.join('; ')}`);
}
