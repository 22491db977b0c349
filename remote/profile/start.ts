/**
 * Step 2, start: persist the plan and create the transport on the host, arm the host-side
 * deadline, attach the sink, then make the recorder's unit changes and restart the unit under
 * them. A failure puts the unit back on its own configuration before it is reported.
 */
import { WrappedStartError } from '../../core/profiling/errors';
import { heartbeatPeriodSec, HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import { LAUNCHER_SCRIPT } from '../../core/profiling/wrapper';
import type { Host, HostExec } from '../host';
import { seq, sh, type ShellCommand } from '../shell';
import { armWatchdog, watchdogScript } from './deadline';
import { fifoPath, type SessionPaths } from './layout';
import type { Link } from './link';
import { recorderFor, type Recorder } from './recorder';
import { restoreOnHost, restoreScript } from './restore';
import { sinkFor, type TraceSink } from './sink';
import { renderPlan, renderState, type SessionPlan } from './state';
import { startKeepAlive } from './stream';
import { makeFifoCommand, sessionDirsCommand, type TraceStream } from './traceFiles';
import { sessionUnitChanges } from './unitChanges';
import { journalTail, waitActive } from './unitState';

/** The controller's handles on a started session (the plan itself is on the host). */
export interface StartedSession {
  sink: TraceSink;
  stopKeepAlive: () => Promise<void>;
  /** daemon-reload + restart under the recorder until active. */
  wrappedRestartMs: number;
}

export async function startSession(
  link: Link,
  plan: SessionPlan,
  paths: SessionPaths,
  log: (line: string) => void,
  warnings: string[],
): Promise<StartedSession> {
  const conn = await link.get();
  const recorder = recorderFor(plan);
  await conn.exec(prepareCommand(paths, plan, recorder.streams), {
    check: true,
    timeoutMs: HOST_CMD_TIMEOUT_MS,
    stdin: renderPlan(plan),
  });
  const sink = sinkFor(plan, paths, recorder, log);
  let stopKeepAlive: () => Promise<void> = async () => undefined;
  try {
    const periodSec = heartbeatPeriodSec(plan.watchdogTimeoutSec);
    await armWatchdog(conn, paths, { periodSec });
    // The heartbeat runs from here on: setup (a slow wrapped start) can outlast the timeout.
    stopKeepAlive = startKeepAlive(link, paths, periodSec, sink, log, warnings);
    await conn.exec(sink.startCommand, { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS });
    await sink.attach(conn);
    if (recorder.startCommand) {
      await conn.exec(recorder.startCommand(paths), { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS });
      log("eBPF recorder attached to the unit's cgroup");
    }
    const wrappedRestartMs = await restartUnderRecorder(conn, link, plan, paths, recorder, log);
    return { sink, stopKeepAlive, wrappedRestartMs };
  } catch (err) {
    sink.abort();
    await stopKeepAlive();
    if (!(err instanceof WrappedStartError)) {
      await restoreOnHost(
        link,
        paths,
        plan.restartTimeoutMs,
        log,
        `setup failed: ${(err as Error).message}`,
      ).catch((e: unknown) => warnings.push(`restore after failed setup: ${(e as Error).message}`));
    }
    throw err;
  }
}

/**
 * Creates the session directory, state, plan (from stdin), scripts, FIFOs and the first
 * heartbeat. Fails if a session directory already exists (the plan step cleared leftovers).
 */
export function prepareCommand(
  p: SessionPaths,
  plan: SessionPlan,
  streams: readonly TraceStream[],
): ShellCommand {
  const state = renderState({
    session: plan.session,
    wasActive: plan.wasActive,
    watchdogTimeoutSec: plan.watchdogTimeoutSec,
    startedAt: plan.startedAt,
  });
  const fifos = streams.map((s) => makeFifoCommand(fifoPath(p, s.id), s.writer));
  return sh`set -e; ${sessionDirsCommand(p)}; printf '%s\\n' ${state} > ${p.state}; cat > ${p.plan}; printf '%s' ${restoreScript(p)} > ${p.restoreScript}; printf '%s' ${watchdogScript(p, plan.watchdogTimeoutSec)} > ${p.watchdogScript}; printf '%s' ${LAUNCHER_SCRIPT} > ${p.launcher}; touch -- ${p.heartbeat}; ${seq(...fifos, sh`true`)}`;
}

/** Makes the recorder's unit changes, restarts the unit and waits for it; returns how long that took. */
async function restartUnderRecorder(
  conn: HostExec & Pick<Host, 'writeFileAtomic'>,
  link: Link,
  plan: SessionPlan,
  paths: SessionPaths,
  recorder: Recorder,
  log: (line: string) => void,
): Promise<number> {
  const { unit } = plan;
  for (const change of [...sessionUnitChanges(plan), ...recorder.unitChanges])
    await change.apply(conn, paths);
  const t0 = Date.now();
  const restart = await conn.exec(sh`systemctl daemon-reload && systemctl restart -- ${unit}`, {
    timeoutMs: plan.restartTimeoutMs,
  });
  // A oneshot (a timer's or a boot job) has run to its end once `systemctl restart` returns 0,
  // and is inactive afterwards unless RemainAfterExit=: that successful run is its "up".
  const oneshot = plan.info.properties.Type === 'oneshot';
  const state =
    restart.code !== 0 ? 'failed' : oneshot ? 'ran' : await waitActive(conn, unit, plan.settleTimeoutMs);
  const ms = Date.now() - t0;
  if (state !== 'active' && state !== 'ran') {
    const journal = await journalTail(conn, unit);
    await restoreOnHost(link, paths, plan.restartTimeoutMs, log, 'failed under the wrapper');
    throw new WrappedStartError(
      `${unit} did not start under the profiling wrapper (${state}; ${restart.stderr.trim() || `exit ${restart.code}`}). ` +
        `It was put back on its own configuration. Journal:\n${journal}`,
    );
  }
  log(
    `${unit} restarted under ${recorder.state.kind === 'ebpf' ? 'the eBPF recorder' : 'strace'} in ${ms} ms; profiling window open`,
  );
  return ms;
}
