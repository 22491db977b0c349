/**
 * Agentless profiling of a systemd service over SSH.
 *
 *   const result = await profileService({
 *     unit: 'nginx.service',
 *     connect: () => connect(connectionArgs),
 *     durationMs: 60_000,
 *     localWorkload: 'for i in $(seq 50); do curl -fsS http://host/ >/dev/null; done',
 *   });
 *   result.profile   // core/profile Profile, with host facts
 *
 * The session is four steps, each a module of this folder (README.md: the steps, and the seams
 * they meet at): plan (plan.ts), start (start.ts), the window (window.ts, while stream.ts keeps
 * the host's deadline quiet), finish (finish.ts: restore, confirm, drain, summarize).
 */
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../../core/profiling/timeouts';
import { finishSession, summarizeSession } from './finish';
import { Link } from './link';
import type { ProfileServiceOptions, ProfileServiceResult } from './options';
import { planSession } from './plan';
import { startSession } from './start';
import { runWindow } from './window';

export { ProfilingError, StraceMissingError, WrappedStartError } from '../../core/profiling/errors';
export { DEFAULT_TIMEOUT_SCALE } from '../../core/profiling/timeouts';
export type { ProfileServiceOptions, ProfileServiceResult, ProfileTimings, RecorderChoice } from './options';
export { clearLeftovers, ProfilingInProgressError, type LeftoverReport } from './leftovers';

/** Runs one profiling session: plan, start, window, finish. */
export async function profileService(opts: ProfileServiceOptions): Promise<ProfileServiceResult> {
  const log = opts.log ?? (() => undefined);
  const link = new Link(opts.connect, log);
  try {
    return await runSession(opts, link, log);
  } finally {
    await link.close();
  }
}

async function runSession(
  opts: ProfileServiceOptions,
  link: Link,
  log: (line: string) => void,
): Promise<ProfileServiceResult> {
  const t0 = Date.now();
  const warnings: string[] = [];
  const { plan, paths } = await planSession(link, opts, log, warnings);
  const started = await startSession(link, plan, paths, log, warnings);

  const tWindow = Date.now();
  let workloads: ProfileServiceResult['workloads'] = {};
  let windowError: Error | undefined;
  try {
    workloads = await runWindow(opts, link, log);
  } catch (err) {
    windowError = err as Error;
  }
  const windowMs = Date.now() - tWindow;

  const tFinish = Date.now();
  const finished = await finishSession(link, plan.unit, {
    sink: started.sink,
    stopKeepAlive: started.stopKeepAlive,
    drainTimeoutMs: opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    log,
    warnings,
  });
  if (windowError) throw windowError;
  const profile = await summarizeSession(link, finished, log, warnings);
  return {
    unit: plan.unit,
    session: plan.session,
    profile,
    tracing: finished.recorder.tracing,
    recorder: finished.plan.recorder.kind === 'ebpf' ? 'ebpf' : 'strace',
    slots: finished.plan.recorder.kind === 'strace-wrapper' ? finished.plan.recorder.slots : [],
    segments: finished.segments.map((s) => ({
      slot: s.slot,
      invocation: s.invocation,
      bytes: s.bytes,
      lines: s.lines,
      complete: s.complete,
    })),
    traceBytes: finished.traceBytes,
    workloads,
    restored: finished.restored,
    reconnects: link.reconnects,
    timings: {
      setupMs: tWindow - t0,
      wrappedRestartMs: started.wrappedRestartMs,
      windowMs,
      finishMs: Date.now() - tFinish,
      restoreMs: finished.restoreMs,
      totalMs: Date.now() - t0,
    },
    warnings,
  };
}
