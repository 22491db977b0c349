/**
 * ServiceProfile's recording phase (issue 14, `window.record`): a profile taken from a detached
 * recording over hours or days of real traffic, across several `pulumi up`s, none of which
 * blocks for the window.
 *
 *   up #1          create: start the recording (remote/recording: wrapper, spool, the host's own
 *                  deadline timer) and return; phase `recording`, no profile yet
 *   preview        diff: asks the host for the progress (events, spool size, restarts, time left)
 *                  and plans nothing until the deadline passed (or the host ended it: cap, disk)
 *   refresh        read: the same progress, kept in the state (`recording.progress`)
 *   up after it    diff plans an update; update finishes it (restore confirmed over a fresh
 *                  login, fetch, summarize): phase `profiled`, the profile in the state
 *   destroy        delete cancels a recording still on the host (the unit back on its own
 *                  configuration, the spool removed)
 *
 * The recording itself is the host's: a controller that never comes back leaves a unit the host
 * restores at the deadline (remote/recording/spool.ts).
 */
import { fingerprint } from '../../core/profile';
import { canonicalJson } from '../../core/profile';
import { connect, ConnectionArgs } from '../../remote/connection';
import {
  cancelRecording,
  finishRecording,
  NoRecordingError,
  recordingStatus,
  startRecording,
} from '../../remote/recording/session';
import { DEFAULT_MAX_TRACE, parseSize, parseUntil } from '../../remote/recording/spool';
import type { RecordingStatus } from '../../remote/recording/status';
import type { RecordWindow } from '../inputs';
import type { RecordingProgress, ServiceProfileState } from '../state';
import {
  checkDeadline,
  collectingWarnings,
  seconds,
  targetOf,
  withConnection,
  WORKLOAD_OUTPUT,
  type OperationContext,
} from './context';
import { declaredInputs, type ServiceProfileArgs } from './serviceProfile';
import { checkSessionUnit } from './sessionPolicy';

/** How long a preview waits for the host's answer about a recording before deciding without it. */
export const PROGRESS_TIMEOUT_MS = 60_000;

/** The CLI's wording of a flag, as the input's field. */
const asField = (err: unknown, flag: string, field: string): Error =>
  new Error(`${field}: ${(err instanceof Error ? err.message : String(err)).split(flag).join('').trim()}`);

export function progressOf(s: RecordingStatus, now: Date = new Date()): RecordingProgress {
  return {
    state: s.state,
    spoolBytes: s.spoolBytes,
    lines: s.lines,
    restartsSeen: s.restartsSeen,
    secondsLeft: s.secondsLeft,
    ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
    checkedAt: now.toISOString(),
  };
}

function kib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** One progress line for the engine's log. */
export function progressLine(unit: string, p: RecordingProgress): string {
  const what = `${p.lines} events, ${kib(p.spoolBytes)} spool, ${p.restartsSeen} restart(s) seen`;
  if (p.state === 'missing')
    return `recording of ${unit}: no longer on the host (finished or cancelled outside Pulumi)`;
  if (p.state === 'running') return `recording ${unit}: ${what}, ${p.secondsLeft} s left`;
  return `recording of ${unit} ended on the host (${p.state}): ${what}; the next up finishes it`;
}

/**
 * Whether the next `up` finishes the recording: the deadline passed, or the host says it ended
 * (cap, free space, reboot, lost). A recording gone from the host is not finished: it is replaced.
 */
export function finishDue(
  state: ServiceProfileState,
  progress: RecordingProgress | undefined,
  now: Date,
): boolean {
  const rec = state.recording;
  if (!rec) return false;
  if (now.getTime() >= Date.parse(rec.deadline)) return true;
  return progress !== undefined && progress.state !== 'running' && progress.state !== 'missing';
}

/** create with `window.record`: starts the recording and returns once the host holds it. */
export async function startRecordingPhase(
  args: ServiceProfileArgs,
  record: RecordWindow,
  outer: OperationContext,
): Promise<{ id: string; state: ServiceProfileState }> {
  const { ctx, warnings } = collectingWarnings(outer);
  const connection = ConnectionArgs.parse(args.connection);
  checkDeadline(ctx);
  let deadline: Date;
  let capBytes: number;
  try {
    deadline = parseUntil(record.until);
  } catch (err) {
    throw asField(err, '--until', 'window.record.until');
  }
  try {
    capBytes = parseSize(record.maxTrace ?? DEFAULT_MAX_TRACE, 'window.record.maxTrace');
  } catch (err) {
    throw asField(err, 'window.record.maxTrace', 'window.record.maxTrace');
  }
  const t0 = Date.now();
  await withConnection(connection, ctx, (conn) => checkSessionUnit(conn, args.unit, args.sessionUnit));
  const started = await startRecording({
    unit: args.unit,
    connect: () => connect(connection, { warn: ctx.warn }),
    deadline,
    capBytes,
    ...(args.tracing !== undefined ? { tracing: args.tracing } : {}),
    log: (line) => {
      if (!WORKLOAD_OUTPUT.test(line)) ctx.info(line);
    },
  });
  for (const w of started.warnings) ctx.warn(w);
  ctx.info(
    `recording ${started.unit} until ${started.deadline.toISOString()}: the host restores it at the deadline on its own; ` +
      'the first `pulumi up` after it finishes the recording and hardens from it',
  );
  const state: ServiceProfileState = {
    ...declaredInputs(args, started.unit),
    phase: 'recording',
    reprofileReasons: [],
    recording: {
      session: started.session,
      startedAt: new Date(t0).toISOString(),
      deadline: started.deadline.toISOString(),
      capBytes: started.capBytes,
      slots: started.slots,
      startSeconds: seconds(Date.now() - t0),
    },
    warnings,
  };
  return { id: `${targetOf(connection)}/${started.unit}`, state };
}

/** The host's word on the recording (`missing` when there is none any more). */
async function askHost(olds: ServiceProfileState, ctx: OperationContext): Promise<RecordingProgress> {
  const connection = ConnectionArgs.parse(olds.connection);
  return withConnection(connection, ctx, async (conn) => {
    try {
      return progressOf(await recordingStatus(conn, olds.unit));
    } catch (err) {
      if (!(err instanceof NoRecordingError)) throw err;
      return {
        state: 'missing',
        spoolBytes: 0,
        lines: 0,
        restartsSeen: 0,
        secondsLeft: 0,
        checkedAt: new Date().toISOString(),
      };
    }
  });
}

/** Refresh while recording: the progress, logged and kept in the state. */
export async function readRecordingPhase(
  olds: ServiceProfileState,
  outer: OperationContext,
): Promise<ServiceProfileState> {
  const { ctx, warnings } = collectingWarnings(outer);
  const progress = await askHost(olds, ctx);
  const line = progressLine(olds.unit, progress);
  if (progress.state === 'missing') ctx.warn(`${line}: the next up starts a new recording`);
  else ctx.info(line);
  const recording = olds.recording ? { ...olds.recording, progress } : undefined;
  return { ...olds, ...(recording ? { recording } : {}), warnings };
}

/**
 * What a preview (diff) learns from the host: the progress, logged. A host that does not answer
 * in time leaves the decision to the deadline alone (with a warning), so a preview never hangs.
 */
export async function progressForDiff(
  olds: ServiceProfileState,
  ctx: OperationContext,
): Promise<RecordingProgress | undefined> {
  const signal = AbortSignal.any([
    ...(ctx.signal ? [ctx.signal] : []),
    AbortSignal.timeout(PROGRESS_TIMEOUT_MS),
  ]);
  try {
    const progress = await askHost(olds, { ...ctx, signal, deadlineName: 'the progress check' });
    ctx.info(progressLine(olds.unit, progress));
    return progress;
  } catch (err) {
    ctx.warn(
      `could not read the recording of ${olds.unit} from the host (${err instanceof Error ? err.message : String(err)}); ` +
        'deciding on its deadline alone',
    );
    return undefined;
  }
}

/**
 * Update while recording: finishes it when due (the deadline passed, or the host ended it),
 * else keeps it (only credentials changed). Finishing: restore confirmed over a fresh login,
 * fetch, summarize, remove the spool (remote/recording/session.ts finishRecording).
 */
export async function updateRecordingPhase(
  olds: ServiceProfileState,
  news: ServiceProfileArgs,
  outer: OperationContext,
): Promise<ServiceProfileState> {
  const { ctx, warnings } = collectingWarnings(outer);
  const rec = olds.recording;
  if (!rec) throw new Error(`the state of ${olds.unit}'s recording has no recording`);
  const withNews = { ...olds, connection: news.connection };
  const progress = await askHost(withNews, ctx);
  ctx.info(progressLine(olds.unit, progress));
  if (!finishDue(withNews, progress, new Date()))
    return { ...withNews, recording: { ...rec, progress }, warnings };
  if (progress.state === 'missing')
    throw new Error(
      `the recording of ${olds.unit} is no longer on the host (finished or cancelled outside Pulumi): ` +
        'run `pulumi up --refresh` to start a new one',
    );
  const connection = ConnectionArgs.parse(news.connection);
  const t0 = Date.now();
  const r = await finishRecording({
    unit: olds.unit,
    connect: () => connect(connection, { warn: ctx.warn }),
    log: (line) => {
      if (!WORKLOAD_OUTPUT.test(line)) ctx.info(line);
    },
  });
  for (const w of r.warnings) ctx.warn(w);
  const facts = r.profile.host;
  if (!facts) throw new Error(`the recording of ${olds.unit} returned no host facts`);
  const fp = fingerprint(facts);
  const lines = r.profile.runs.reduce((n, x) => n + x.lines, 0);
  const finishSeconds = seconds(Date.now() - t0);
  // The window: from the start until the host ended it (deadline, cap…) or this finish did.
  const endedAt = progress.endedAt !== undefined ? Date.parse(progress.endedAt) : Date.now();
  const windowEnd = Math.min(endedAt, Date.parse(rec.deadline));
  ctx.info(
    `profiled ${r.unit} from its recording (ended: ${r.endedBy ?? 'finish'}): ${lines} lines traced, ` +
      `${r.profile.actions.length} actions, ${r.profile.runs.length} run(s), ${kib(r.traceBytes)} of trace`,
  );
  return {
    ...withNews,
    phase: 'profiled',
    profile: canonicalJson(r.profile),
    profiledFingerprint: fp,
    currentFingerprint: fp.digest,
    reprofileReasons: [],
    stats: {
      lines,
      syscalls: r.profile.runs.reduce((n, x) => n + x.syscalls, 0),
      actions: r.profile.actions.length,
      traceBytes: r.traceBytes,
      windowSeconds: seconds(Math.max(0, windowEnd - Date.parse(rec.startedAt))),
      tracing: r.profile.runs[0]?.tracing ?? 'full',
      setupSeconds: rec.startSeconds,
      finishSeconds,
      totalSeconds: seconds(rec.startSeconds * 1000 + (Date.now() - t0)),
    },
    recording: { ...rec, progress: { ...progress, state: r.endedBy ?? progress.state } },
    warnings,
  };
}

/** Delete while recording: cancels it (the unit back on its own configuration, spool removed). */
export async function cancelRecordingPhase(olds: ServiceProfileState, ctx: OperationContext): Promise<void> {
  const connection = ConnectionArgs.parse(olds.connection);
  await withConnection(connection, ctx, async (conn) => {
    try {
      const r = await cancelRecording(conn, olds.unit);
      ctx.info(
        `recording of ${olds.unit} cancelled (spool removed); ${olds.unit} is ${r.activeState} on its own configuration`,
      );
    } catch (err) {
      if (!(err instanceof NoRecordingError)) throw err;
      ctx.info(`the recording of ${olds.unit} is no longer on the host: nothing to cancel`);
    }
  });
}
