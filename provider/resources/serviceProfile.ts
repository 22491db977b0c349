/**
 * ServiceProfile's operations, shared by the provider plugin and the dynamic provider: profiling
 * as a resource. create profiles the unit (remote/profile.ts: wrap, window, restore) and keeps the
 * compact Profile and the host fingerprint; read re-probes the host and says why a re-profile is
 * due; only credentials update in place; delete leaves nothing to undo (the session restored the
 * unit when it ended). With `window.record` the profile comes from a detached recording over
 * several `up`s: the recording phase (recording.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { canonicalJson, fingerprint, fingerprintChanges } from '../../core/profile';
import { connect, ConnectionArgs, type ConnectionConfig } from '../../remote/connection';
import { probe } from '../../remote/probe';
import { profileService, type ProfileServiceOptions } from '../../remote/profile';
import { ServiceProfileInputs } from '../inputs';
import { ServiceProfileState } from '../state';
import {
  checkDeadline,
  collectingWarnings,
  deadlineError,
  seconds,
  targetOf,
  withConnection,
  WORKLOAD_OUTPUT,
  type OperationContext,
} from './context';
import { connectionChange, type Diff, type RawInputs } from './diff';
import { checkSessionUnit } from './sessionPolicy';
import {
  cancelRecordingPhase,
  finishDue,
  progressForDiff,
  readRecordingPhase,
  startRecordingPhase,
  updateRecordingPhase,
} from './recording';

export type ServiceProfileArgs = z.output<typeof ServiceProfileInputs>;

/** Inputs that decide what the profile saw: any change is a new profile. */
const PROFILE_DEFINING = ['unit', 'window', 'tracing', 'triggers'] as const;

/**
 * The profiling session a ServiceProfile asks for (remote/profile.ts), without the connection.
 * Whatever the inputs leave out (e.g. `tracing`) is left out here too, so the engine's default applies.
 */
export function profileSessionOptions(args: ServiceProfileArgs): Omit<ProfileServiceOptions, 'connect'> {
  const w = args.window;
  return {
    unit: args.unit,
    ...(w.durationSeconds !== undefined ? { durationMs: w.durationSeconds * 1000 } : {}),
    ...(w.workload !== undefined ? { remoteWorkload: w.workload } : {}),
    ...(w.localWorkload !== undefined ? { localWorkload: w.localWorkload } : {}),
    ...(args.tracing !== undefined ? { tracing: args.tracing } : {}),
  };
}

export async function diffServiceProfile(
  olds: ServiceProfileState,
  news: RawInputs,
  ctx: OperationContext,
): Promise<Diff> {
  const replaces: string[] = PROFILE_DEFINING.filter(
    (k) => !isDeepStrictEqual(olds[k] ?? null, news[k] ?? null),
  );
  const connection = connectionChange(olds.connection, news.connection);
  if (connection === 'target') replaces.push('connection');
  // The session-unit policy is checked before profiling: a change updates the state only.
  const policy = !isDeepStrictEqual(olds.sessionUnit ?? null, news.sessionUnit ?? null);
  if (olds.phase === 'recording') {
    let due = false;
    if (replaces.length === 0) {
      // Progress from the host (shown by preview), and whether this up finishes the recording.
      const progress = await progressForDiff(olds, ctx);
      if (progress?.state === 'missing') replaces.push('recording');
      else due = finishDue(olds, progress, new Date());
    }
    return {
      changes: replaces.length > 0 || due || policy || connection !== 'none',
      replaces,
      // One recording per unit on a host: the old one is cancelled before a new one starts.
      deleteBeforeReplace: true,
    };
  }
  // Set by read (refresh) when the host's binaries/systemd/kernel no longer match the profile.
  if (olds.currentFingerprint !== olds.profiledFingerprint?.digest) replaces.push('hostFingerprint');
  return {
    changes: replaces.length > 0 || policy || connection !== 'none',
    replaces,
    deleteBeforeReplace: false,
  };
}

/** The inputs a state keeps (what the next diff compares), with the unit as systemd names it. */
export function declaredInputs(args: ServiceProfileArgs, unit: string) {
  return {
    connection: args.connection,
    unit,
    window: args.window,
    ...(args.tracing !== undefined ? { tracing: args.tracing } : {}),
    ...(args.triggers !== undefined ? { triggers: args.triggers } : {}),
    ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
  };
}

export async function createServiceProfile(
  args: ServiceProfileArgs,
  outer: OperationContext,
): Promise<{ id: string; state: ServiceProfileState }> {
  if (args.window.record !== undefined) return startRecordingPhase(args, args.window.record, outer);
  const { ctx, warnings } = collectingWarnings(outer);
  const connection = ConnectionArgs.parse(args.connection);
  await withConnection(connection, ctx, (conn) => checkSessionUnit(conn, args.unit, args.sessionUnit));
  checkDeadline(ctx);
  const result = await profileService({
    ...profileSessionOptions(args),
    // A plain connect, not connectBeforeDeadline: after the deadline the session still dials to
    // restore the unit and confirm it over a fresh connection.
    connect: () => connect(connection, { warn: ctx.warn }),
    // The deadline closes the window early; the session then restores the unit as always.
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    log: (line) => {
      if (!WORKLOAD_OUTPUT.test(line)) ctx.info(line);
    },
  });
  if (ctx.signal?.aborted) throw deadlineError(ctx, new Error(`${result.unit} was restored`));
  for (const w of result.warnings) ctx.warn(w);
  const facts = result.profile.host;
  if (!facts) throw new Error(`profiling ${args.unit} returned no host facts`);
  const fp = fingerprint(facts);
  const lines = result.profile.runs.reduce((n, r) => n + r.lines, 0);
  ctx.info(
    `profiled ${result.unit}: ${lines} lines traced (${result.tracing}), ${result.profile.actions.length} actions, ` +
      `${result.profile.runs.length} run(s) in ${seconds(result.timings.totalMs)} s`,
  );
  const state: ServiceProfileState = {
    ...declaredInputs(args, result.unit),
    phase: 'profiled',
    profile: canonicalJson(result.profile),
    profiledFingerprint: fp,
    currentFingerprint: fp.digest,
    reprofileReasons: [],
    stats: {
      lines,
      syscalls: result.profile.runs.reduce((n, r) => n + r.syscalls, 0),
      actions: result.profile.actions.length,
      traceBytes: result.traceBytes,
      windowSeconds: seconds(result.timings.windowMs),
      // How strace traced (the input, or the engine's choice when it was left to it).
      tracing: result.tracing,
      // Where the session's time went: the cost of profiling beyond the window itself.
      setupSeconds: seconds(result.timings.setupMs),
      wrappedRestartSeconds: seconds(result.timings.wrappedRestartMs),
      finishSeconds: seconds(result.timings.finishMs),
      totalSeconds: seconds(result.timings.totalMs),
    },
    warnings,
  };
  return { id: `${targetOf(connection)}/${result.unit}`, state };
}

/** Refresh: the host's fingerprint now, and why a re-profile is due (empty: it still matches). */
export async function readServiceProfile(
  olds: ServiceProfileState,
  outer: OperationContext,
): Promise<ServiceProfileState> {
  if (olds.phase === 'recording') return readRecordingPhase(olds, outer);
  const profiled = olds.profiledFingerprint;
  if (!profiled) throw new Error(`the state of ${olds.unit}'s profile has no fingerprint`);
  const { ctx, warnings } = collectingWarnings(outer);
  const connection: ConnectionConfig = ConnectionArgs.parse(olds.connection);
  const facts = await withConnection(connection, ctx, (conn) => probe(conn, olds.unit));
  const now = fingerprint(facts);
  const reasons = fingerprintChanges(profiled, now);
  if (reasons.length) ctx.info(`${olds.unit} changed since it was profiled: ${reasons.join('; ')}`);
  return { ...olds, currentFingerprint: now.digest, reprofileReasons: reasons, warnings };
}

/**
 * While recording: finishes the recording when due (recording.ts). Otherwise only credentials
 * reach here (everything else replaces): keep the profile, take the new inputs.
 */
export async function updateServiceProfile(
  olds: ServiceProfileState,
  news: ServiceProfileArgs,
  ctx: OperationContext,
): Promise<ServiceProfileState> {
  const { sessionUnit: _old, ...rest } = olds;
  const taken = {
    ...rest,
    connection: news.connection,
    ...(news.sessionUnit !== undefined ? { sessionUnit: news.sessionUnit } : {}),
  };
  if (olds.phase === 'recording') return updateRecordingPhase(taken, news, ctx);
  return taken;
}

/** A recording still on the host is cancelled; a profile leaves nothing on the host. */
export async function deleteServiceProfile(olds: ServiceProfileState, ctx: OperationContext): Promise<void> {
  if (olds.phase === 'recording') await cancelRecordingPhase(olds, ctx);
}

/** A profile lives only in the state: there is nothing on a host to adopt. */
export const SERVICE_PROFILE_IMPORT_REFUSAL =
  'a ServiceProfile cannot be imported: a profile exists only in Pulumi state, nothing on the host holds it. ' +
  'Import the HardeningDropIn (hush:index:HardeningDropIn) and let the program profile again, or keep the stack that has it.';

export { ServiceProfileInputs, ServiceProfileState };
