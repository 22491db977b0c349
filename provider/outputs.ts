/**
 * The outputs of hush's resources as TypeScript sees them, once for both ways of serving them
 * (the dynamic-provider classes of provider/serviceProfile.ts and provider/hardeningDropIn.ts,
 * and the plugin SDK of provider/plugin/sdk.ts): each class merges the interface of its kind,
 * and registers the names below as its (unknown until the engine answers) output properties.
 */
import * as pulumi from '@pulumi/pulumi';
import type { ExistingHardening, ProfilePhase, ProfileStats, RecordingInfo } from './state';

export interface ServiceProfileOutputs {
  readonly unit: pulumi.Output<string>;
  /**
   * Where the profile is: `profiled`, or `recording` (`window.record`: a detached recording runs
   * on the host; the first `up` after its deadline finishes it).
   */
  readonly phase: pulumi.Output<ProfilePhase>;
  /** The Profile document (core/profile schema) as canonical JSON. Undefined while recording. */
  readonly profile: pulumi.Output<string | undefined>;
  /** What the profile depends on, when it was taken (core/profile fingerprint()). */
  readonly profiledFingerprint: pulumi.Output<{ digest: string } | undefined>;
  /** The fingerprint digest seen by the last create or refresh. */
  readonly currentFingerprint: pulumi.Output<string | undefined>;
  /** Why a re-profile is due (empty while the host matches the profile). */
  readonly reprofileReasons: pulumi.Output<string[]>;
  /** What the session saw, how strace traced and where the time went. Undefined while recording. */
  readonly stats: pulumi.Output<ProfileStats | undefined>;
  /**
   * The detached recording (`window.record`): session, deadline, cap, and the progress the host
   * reported at the last create, refresh or finish (events, spool size, restarts, time left).
   */
  readonly recording: pulumi.Output<RecordingInfo | undefined>;
  /** Warnings of the last operation (also shown by the engine as it ran). */
  readonly warnings: pulumi.Output<string[]>;
}

export interface HardeningDropInOutputs {
  readonly unit: pulumi.Output<string>;
  /** hush's drop-in as it was last written or adopted (null: none yet). */
  readonly content: pulumi.Output<string | null>;
  /** Absolute path of the drop-in on the host. */
  readonly path: pulumi.Output<string>;
  /** Set by refresh when the host no longer matches: `edited`, `deleted` or `unit-changed`. */
  readonly drift: pulumi.Output<string | null>;
  /** `systemd-analyze security` exposure measured on the host before hush and with the drop-in. */
  readonly exposureBefore: pulumi.Output<number | null>;
  readonly exposureAfter: pulumi.Output<number | null>;
  /** Hardening the unit had outside hush when it was imported (never touched by hush). */
  readonly existingHardening: pulumi.Output<ExistingHardening[]>;
  /** Warnings of the last operation (also shown by the engine as it ran). */
  readonly warnings: pulumi.Output<string[]>;
}

/** Output-only names (not inputs) of each kind. */
const SERVICE_PROFILE_OUTPUTS = [
  'phase',
  'profile',
  'profiledFingerprint',
  'currentFingerprint',
  'reprofileReasons',
  'stats',
  'recording',
  'warnings',
] as const satisfies readonly (keyof ServiceProfileOutputs)[];
const HARDENING_DROPIN_OUTPUTS = [
  'path',
  'unitDigest',
  'drift',
  'exposureBefore',
  'exposureAfter',
  'existingHardening',
  'warnings',
] as const satisfies readonly (keyof HardeningDropInOutputs | 'unitDigest')[];

/**
 * The properties a resource registers: its inputs with the connection as a secret, and its
 * output-only properties left for the engine to fill. Without inputs (reading an existing
 * resource), only the latter.
 */
function props(args: { connection: pulumi.Input<unknown> } | undefined, outputs: readonly string[]) {
  const unknowns = Object.fromEntries(outputs.map((n) => [n, undefined]));
  return args === undefined ? unknowns : { ...args, connection: pulumi.secret(args.connection), ...unknowns };
}

export const serviceProfileProps = (args: { connection: pulumi.Input<unknown> }) =>
  props(args, SERVICE_PROFILE_OUTPUTS);
export const hardeningDropInProps = (args: { connection: pulumi.Input<unknown> } | undefined) =>
  props(
    args,
    args === undefined ? [...HARDENING_DROPIN_OUTPUTS, 'content', 'unit'] : HARDENING_DROPIN_OUTPUTS,
  );
