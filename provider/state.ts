/**
 * The state (outputs) of hush's resources as the engine stores it, as zod schemas: diff, read,
 * update and delete parse what the engine hands back instead of trusting a cast. Parsing strips
 * what hush does not know (a state written through the dynamic provider carries `__provider`),
 * and defaults what older versions did not write (`warnings`), so a stack moves between package
 * versions and from the dynamic provider to the plugin without a rewrite.
 */
import { z } from 'zod';
import { ConnectionArgs } from '../remote/connection';
import { ProfileWindow, SessionUnitInput, TracingInput } from './inputs';

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
  /** Absent for a recording: its start (`setupSeconds`) includes the wrapped restart. */
  wrappedRestartSeconds: z.number().optional(),
  finishSeconds: z.number(),
  totalSeconds: z.number(),
});
export type ProfileStats = z.infer<typeof ProfileStats>;

/**
 * Where a ServiceProfile is in its life: `profiled` (the profile is in the state: inline
 * profiling, or a finished recording) or `recording` (a detached recording runs on the host,
 * started by one `up` and finished by the first `up` after its deadline; no profile yet).
 */
export const ProfilePhase = z.enum(['recording', 'profiled']);
export type ProfilePhase = z.infer<typeof ProfilePhase>;

/** What the host said of a recording when it was last asked (create, preview, refresh). */
export const RecordingProgress = z.object({
  /** `running`, how it ended on the host (deadline, cap, disk, reboot, lost…), or `missing`. */
  state: z.string(),
  /** Compressed bytes in the spool. */
  spoolBytes: z.number(),
  /** Trace lines written so far (events). */
  lines: z.number(),
  restartsSeen: z.number(),
  secondsLeft: z.number(),
  /** When it ended on the host (ISO 8601), once it did. */
  endedAt: z.string().optional(),
  /** When the host was asked (ISO 8601). */
  checkedAt: z.string(),
});
export type RecordingProgress = z.infer<typeof RecordingProgress>;

/** The detached recording a ServiceProfile started (phase `recording`). */
export const RecordingInfo = z.object({
  session: z.string(),
  startedAt: z.string(),
  /** The host ends the recording at this time on its own (ISO 8601). */
  deadline: z.string(),
  capBytes: z.number(),
  /** The traced Exec commands (one spool file each). */
  slots: z.array(z.string()),
  /** Seconds the start took (plan, wrapper, the wrapped restart, the hand-over to the host). */
  startSeconds: z.number(),
  progress: RecordingProgress.optional(),
});
export type RecordingInfo = z.infer<typeof RecordingInfo>;

export const ServiceProfileState = z
  .object({
    connection: ConnectionArgs,
    unit: z.string(),
    window: ProfileWindow,
    tracing: TracingInput.optional(),
    triggers: z.array(z.unknown()).optional(),
    sessionUnit: SessionUnitInput.optional(),
    phase: ProfilePhase.default('profiled'),
    /** The Profile document (core/profile schema) as canonical JSON. Absent while recording. */
    profile: z.string().optional(),
    profiledFingerprint: FingerprintState.optional(),
    currentFingerprint: z.string().optional(),
    reprofileReasons: z.array(z.string()).default([]),
    stats: ProfileStats.optional(),
    /** The detached recording (phase `recording`; kept after the finish as a record of it). */
    recording: RecordingInfo.optional(),
    warnings: z.array(z.string()).default([]),
  })
  .superRefine((s, ctx) => {
    const need =
      s.phase === 'profiled'
        ? (['profile', 'profiledFingerprint', 'currentFingerprint', 'stats'] as const)
        : (['recording'] as const);
    for (const k of need)
      if (s[k] === undefined)
        ctx.addIssue({ code: 'custom', path: [k], message: `is required in phase ${s.phase}` });
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
  sessionUnit: SessionUnitInput.optional(),
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
