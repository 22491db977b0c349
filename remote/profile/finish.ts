/**
 * Step 4, finish: read the session's plan back from the host, restore the unit (restore.ts),
 * confirm it over a fresh connection, drain the trace, remove the session; then summarize the
 * recordings into one profile. Needs nothing from the start step but the sink it attached (a
 * finish in another process builds the sink from the plan).
 */
import { mergeProfiles } from '../../core/profile';
import { PROFILE_SCHEMA, type Profile } from '../../core/profile/schema';
import { ProfilingError } from '../../core/profiling/errors';
import { DEFAULT_DRAIN_TIMEOUT_MS, HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import type { Host, HostExec } from '../host';
import { withExecModesOrUnknown } from '../execModes';
import { sh } from '../shell';
import type { TraceSegment } from './collect';
import { disarmWatchdog } from './deadline';
import { sessionPaths, type SessionPaths } from './layout';
import type { Link } from './link';
import type { ProfileServiceResult } from './options';
import { recorderFor, type Recorder } from './recorder';
import { confirmRestored, restoreOnHost, restoreUnit } from './restore';
import { sinkFor, type TraceSink } from './sink';
import { parsePlan, type SessionPlan } from './state';

export interface FinishedSession {
  plan: SessionPlan;
  recorder: Recorder;
  /** Every recording, oldest first. */
  segments: TraceSegment[];
  traceBytes: number;
  restored: ProfileServiceResult['restored'];
  restoreMs: number;
}

export interface FinishOptions {
  /** The sink the start step attached; absent: built from the plan. */
  sink?: TraceSink;
  /** Stops the start step's keep-alive loop (before the session directory goes). */
  stopKeepAlive?: () => Promise<void>;
  drainTimeoutMs?: number;
  log: (line: string) => void;
  warnings: string[];
}

export async function finishSession(link: Link, unit: string, opts: FinishOptions): Promise<FinishedSession> {
  const { log, warnings } = opts;
  const paths = sessionPaths(unit);
  const stopKeepAlive = opts.stopKeepAlive ?? (async () => undefined);
  let sink = opts.sink;
  let plan: SessionPlan | undefined;
  let finished: Omit<FinishedSession, 'segments' | 'traceBytes'>;
  try {
    const conn = await link.get();
    plan = await loadPlan(conn, paths);
    const recorder = recorderFor(plan);
    sink ??= sinkFor(plan, paths, recorder, log);
    const { activeState, restoreMs } = await restoreUnit(conn, plan, paths, warnings, log);
    const { catIdentical, adminWriteError } = await confirmRestored(() => link.fresh(), plan);
    if (!catIdentical) warnings.push(`systemctl cat ${unit} differs from before profiling`);
    if (adminWriteError) warnings.push(`after restoring ${unit}, ${adminWriteError}`);
    log(
      `${unit} back on its own configuration (${activeState}) after ${restoreMs} ms; collecting the last traces`,
    );
    finished = {
      plan,
      recorder,
      restored: { wasActive: plan.wasActive, activeState, catIdentical },
      restoreMs,
    };
    if (recorder.endCommand) await conn.exec(recorder.endCommand(paths), { timeoutMs: HOST_CMD_TIMEOUT_MS });
    await sink.drain(link, opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
  } catch (err) {
    sink?.abort();
    await stopKeepAlive();
    const timeoutMs = plan?.restartTimeoutMs ?? HOST_CMD_TIMEOUT_MS;
    await restoreOnHost(link, paths, timeoutMs, log, 'finish failed').catch(() => undefined);
    throw err;
  }
  await stopKeepAlive();
  await removeSession(await link.get(), paths);
  const segments = sink.segments().sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  return { ...finished, segments, traceBytes: segments.reduce((n, s) => n + s.bytes, 0) };
}

/**
 * The plan the start step persisted. Its absence means the session was ended on the host (the
 * watchdog fired, or another hush operation cleared it) and the trace is incomplete.
 */
async function loadPlan(conn: Pick<Host, 'readFile'>, paths: SessionPaths): Promise<SessionPlan> {
  const text = await conn.readFile(paths.plan);
  if (text === undefined) {
    throw new ProfilingError(
      `the profiling session of ${paths.unit} was ended on the host (watchdog timeout or another hush operation); ` +
        'the unit runs on its own configuration, and the trace is incomplete',
    );
  }
  return parsePlan(text.toString('utf8'));
}

async function removeSession(conn: HostExec, paths: SessionPaths): Promise<void> {
  await conn.exec(sh`systemctl stop -- ${paths.holdUnit} 2>/dev/null; rm -rf -- ${paths.root}`, {
    timeoutMs: HOST_CMD_TIMEOUT_MS,
  });
  await disarmWatchdog(conn, paths);
}

/**
 * Merges the recordings, lets the recorder complete the profile, and adds the modes of what the
 * profile executed (NoNewPrivileges' proof) when host facts were probed.
 */
export async function summarizeSession(
  link: Link,
  finished: FinishedSession,
  log: (line: string) => void,
  warnings: string[],
): Promise<Profile> {
  let profile: Profile = { schema: PROFILE_SCHEMA, actions: [], syscalls: {}, failedSyscalls: {}, runs: [] };
  for (const s of finished.segments) profile = mergeProfiles(profile, s.profile);
  profile = finished.recorder.complete(profile, log);
  const facts = finished.plan.facts;
  if (facts) {
    const host = await withExecModesOrUnknown(await link.get(), profile, facts, (message) => {
      warnings.push(message);
      log(message);
    });
    profile = { ...profile, host };
  }
  if (finished.segments.some((s) => !s.complete))
    warnings.push('some traces are incomplete (see runs marked "incomplete")');
  return profile;
}
