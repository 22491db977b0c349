/**
 * Detached recording (issue 14 part 1): `hush profile start` sets a profiling session up with the
 * spool sink and leaves; the host keeps the trace and ends the recording on its own at the
 * deadline (or the cap); `status` reads it, `finish` ends it, fetches and summarizes it,
 * `cancel` ends it and removes the spool.
 *
 *   await startRecording({ unit, connect, deadline, capBytes });   // returns once handed over
 *   await recordingStatus(conn, unit);
 *   const { profile } = await finishRecording({ unit, connect });
 *
 * The start is the ordinary plan and start steps (remote/profile: leftovers, hush's drop-in set
 * aside, the wrapper, the wrapped restart) with the heartbeat watchdog as the deadline while the
 * controller sets up; once the unit runs under the recorder, the controller hands over: the
 * heartbeat watchdog is disarmed, and from then on the recording's persistent deadline timer and
 * its monitor (cap, free space) are what restore the unit. A controller that dies before the
 * handover leaves a session its heartbeat watchdog restores (the recording then ends as `lost`).
 */
import { DEFAULT_DRAIN_TIMEOUT_MS, HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import type { Profile } from '../../core/profile/schema';
import type { Host, HostExec, SessionHost } from '../host';
import { sh } from '../shell';
import { parseRunnableUnitName } from '../../core/systemd/unitName';
import { disarmWatchdog } from '../profile/deadline';
import { summarizeSession, type FinishedSession } from '../profile/finish';
import { sessionPaths } from '../profile/layout';
import { Link } from '../profile/link';
import type { ProfileServiceOptions } from '../profile/options';
import { planSession } from '../profile/plan';
import { recorderFor } from '../profile/recorder';
import { confirmRestored } from '../profile/restore';
import { startSession } from '../profile/start';
import { parsePlan } from '../profile/state';
import { activeStateOf, waitActive } from '../profile/unitState';
import { endCommand, recordingPlanFile } from './hostScripts';
import { parseRecordingState, type EndReason, type RecordingState } from './spool';
import { recordingPathsOf, SpoolSink } from './spoolSink';
import { parseStatus, statusCommand, type RecordingStatus } from './status';

export type StartRecordingOptions = Omit<
  ProfileServiceOptions,
  // the spool holds strace text: the in-kernel recorder is not offered for a recording yet
  'durationMs' | 'remoteWorkload' | 'localWorkload' | 'signal' | 'compress' | 'spool' | 'recorder'
> & { deadline: Date; capBytes: number };

export interface RecordingStarted {
  unit: string;
  session: string;
  deadline: Date;
  capBytes: number;
  /** The traced Exec commands (one spool file each). */
  slots: string[];
  warnings: string[];
}

/** A recording of the unit (running or ended, not yet finished or cancelled) exists on the host. */
export class RecordingExistsError extends Error {
  constructor(unit: string, endedBy: string | undefined) {
    super(
      `a recording of ${unit} already exists on the host (${endedBy ? `ended: ${endedBy}` : 'running'}): ` +
        `see hush profile status ${unit}; hush profile finish ${unit} or hush profile cancel ${unit} first`,
    );
    this.name = 'RecordingExistsError';
  }
}

export class NoRecordingError extends Error {
  constructor(unit: string, host: string) {
    super(`there is no recording of ${unit} on ${host} (hush profile start ${unit} makes one)`);
    this.name = 'NoRecordingError';
  }
}

async function readRecordingState(
  conn: Pick<Host, 'readFile'>,
  unit: string,
): Promise<Partial<RecordingState> | undefined> {
  const rec = recordingPathsOf(sessionPaths(unit));
  const text = await conn.readFile(rec.state);
  return text === undefined ? undefined : parseRecordingState(text.toString('utf8'));
}

export async function startRecording(opts: StartRecordingOptions): Promise<RecordingStarted> {
  const log = opts.log ?? (() => undefined);
  const unit = parseRunnableUnitName(opts.unit).unit;
  if (opts.deadline.getTime() <= Date.now())
    throw new Error('the deadline of a recording must be in the future');
  const link = new Link(opts.connect, log);
  try {
    const existing = await readRecordingState(await link.get(), unit);
    if (existing) throw new RecordingExistsError(unit, existing.endedBy);
    const warnings: string[] = [];
    // whole seconds: the deadline timer's OnCalendar= and the monitor's check compare seconds
    const deadline = new Date(Math.ceil(opts.deadline.getTime() / 1000) * 1000);
    const { plan, paths } = await planSession(
      link,
      { ...opts, unit, spool: { deadline, capBytes: opts.capBytes } },
      log,
      warnings,
    );
    const started = await startSession(link, plan, paths, log, warnings);
    // The hand-over: from here on the recording's deadline timer and monitor guard the unit.
    await started.stopKeepAlive();
    await disarmWatchdog(await link.get(), paths);
    log(
      `recording ${unit} until ${deadline.toISOString()} (cap ${opts.capBytes} bytes compressed); the host ends it on its own`,
    );
    return {
      unit,
      session: plan.session,
      deadline,
      capBytes: opts.capBytes,
      slots:
        plan.recorder.kind === 'strace-wrapper'
          ? plan.recorder.slots.filter((s) => s.traced).map((s) => s.id)
          : [],
      warnings,
    };
  } finally {
    await link.close();
  }
}

/** What `hush profile status` shows; NoRecordingError when there is none. */
export async function recordingStatus(
  conn: HostExec & Pick<SessionHost, 'host'>,
  unit: string,
): Promise<RecordingStatus> {
  const name = parseRunnableUnitName(unit).unit;
  const sp = sessionPaths(name);
  const rec = recordingPathsOf(sp);
  const marker = `@@hush-status-${Date.now().toString(36)}@@`;
  const r = await conn.exec(statusCommand(rec, sp, marker), { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS });
  const status = parseStatus(r.stdout, marker);
  if (!status) throw new NoRecordingError(name, conn.host);
  return status;
}

export interface FinishRecordingOptions {
  unit: string;
  connect: () => Promise<SessionHost>;
  log?: (line: string) => void;
}

export interface RecordingFinished {
  unit: string;
  session: string;
  profile: Profile;
  /** How the recording ended (`finish` when this finish ended it). */
  endedBy: EndReason | undefined;
  traceBytes: number;
  segments: { slot: string; invocation: number; bytes: number; lines: number; complete: boolean }[];
  restored: FinishedSession['restored'];
  warnings: string[];
}

/**
 * Ends the recording (if the host has not already), confirms the unit is back on its own
 * configuration over a fresh connection, fetches and parses the spool, removes it, summarizes.
 */
export async function finishRecording(opts: FinishRecordingOptions): Promise<RecordingFinished> {
  const log = opts.log ?? (() => undefined);
  const unit = parseRunnableUnitName(opts.unit).unit;
  const sp = sessionPaths(unit);
  const rec = recordingPathsOf(sp);
  const link = new Link(opts.connect, log);
  const warnings: string[] = [];
  try {
    const conn = await link.get();
    const text = await conn.readFile(recordingPlanFile(rec));
    if (text === undefined) throw new NoRecordingError(unit, conn.host);
    const plan = parsePlan(text.toString('utf8'));
    if (plan.sink.kind !== 'spool') throw new Error(`the recording of ${unit} on the host is not a spool`);
    const recorder = recorderFor(plan);
    const sink = new SpoolSink(sp, recorder, plan, plan.sink, log);
    const t0 = Date.now();
    // drain ends the recording on the host first (restore.sh, when the session still runs)
    await sink.drain(link, DEFAULT_DRAIN_TIMEOUT_MS);
    const after = await link.get();
    const activeState = plan.wasActive
      ? await waitActive(after, unit, plan.settleTimeoutMs)
      : await activeStateOf(after, unit);
    if (plan.wasActive && activeState !== 'active')
      warnings.push(`${unit} is ${activeState} after the recording ended`);
    const { catIdentical } = await confirmRestored(() => link.fresh(), plan);
    if (!catIdentical) warnings.push(`systemctl cat ${unit} differs from before the recording`);
    const state = await readRecordingState(after, unit);
    if (state?.endedBy && state.endedBy !== 'finish')
      log(`the recording had ended on the host: ${state.endedBy} (${state.endedAt ?? '?'})`);
    if (state?.endedBy === 'cap' || state?.endedBy === 'disk')
      warnings.push(
        `the recording ended early (${state.endedBy}): the profile covers the window until ${state.endedAt ?? '?'}`,
      );
    if (state?.endedBy === 'lost' || state?.endedBy === 'reboot')
      warnings.push(`the recording ended with the host (${state.endedBy}): it covers the window until then`);
    const segments = sink.segments().sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    const traceBytes = segments.reduce((n, s) => n + s.bytes, 0);
    const finished: FinishedSession = {
      plan,
      recorder,
      segments,
      traceBytes,
      restored: { wasActive: plan.wasActive, activeState, catIdentical },
      restoreMs: Date.now() - t0,
    };
    const profile = await summarizeSession(link, finished, log, warnings);
    await after.exec(sh`rm -rf -- ${rec.dir}`, { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS });
    return {
      unit,
      session: plan.session,
      profile,
      endedBy: state?.endedBy,
      traceBytes,
      segments: segments.map((s) => ({
        slot: s.slot,
        invocation: s.invocation,
        bytes: s.bytes,
        lines: s.lines,
        complete: s.complete,
      })),
      restored: finished.restored,
      warnings,
    };
  } finally {
    await link.close();
  }
}

/** Ends the recording now and removes the spool; the unit is back on its own configuration. */
export async function cancelRecording(
  conn: HostExec & Pick<SessionHost, 'host' | 'readFile'>,
  unit: string,
): Promise<{ endedBy: EndReason | undefined; activeState: string }> {
  const name = parseRunnableUnitName(unit).unit;
  const sp = sessionPaths(name);
  const rec = recordingPathsOf(sp);
  const before = await readRecordingState(conn, name);
  if (!before) throw new NoRecordingError(name, conn.host);
  await conn.exec(endCommand(rec, 'cancel'), { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS });
  const activeState =
    before.wasActive === false ? await activeStateOf(conn, name) : await waitActive(conn, name, 60_000);
  return { endedBy: before.endedBy ?? 'cancel', activeState };
}
