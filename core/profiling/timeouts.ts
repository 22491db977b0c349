/**
 * The session's time arithmetic: how long a restart may take, how often the controller proves it
 * is alive, and the defaults of each wait. Pure numbers from the unit's own timeouts.
 */
import { parseTimespanMs } from '../systemd/timespan';

/**
 * The unit's TimeoutStartSec/TimeoutStopSec/WatchdogSec are multiplied by this while it runs under
 * strace: tracing slows start-up, and a start timeout caused by the tracer would leave nothing to
 * profile.
 */
export const DEFAULT_TIMEOUT_SCALE = 3;
/** The host restores the unit this long after the controller's last heartbeat. */
export const DEFAULT_WATCHDOG_TIMEOUT_SEC = 60;
/** How long the unit may take to come back active after each restart. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 60_000;
/** How long to wait for the last trace bytes after the unit stopped. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;
/** Setup commands on the host (mkfifo, systemd-run…): generous, a busy host queues manager jobs. */
export const HOST_CMD_TIMEOUT_MS = 5 * 60_000;

/** The scale actually used: never below 1 (tracing never makes a unit faster). */
export function timeoutScale(asked: number | undefined): number {
  return Math.max(1, asked ?? DEFAULT_TIMEOUT_SCALE);
}

/** Whole seconds, at least 5: a shorter timeout would fire between two heartbeats on a busy host. */
export function watchdogTimeoutSec(asked: number | undefined): number {
  return Math.max(5, Math.round(asked ?? DEFAULT_WATCHDOG_TIMEOUT_SEC));
}

/**
 * Heartbeat and watchdog check every quarter of the timeout, at most every 15 s: each is a process
 * start on the host (an SSH exec, a transient service), which on a small or emulated host competes
 * with the traced service. Readers cut off are re-attached sooner (remote/profile/stream.ts).
 */
export function heartbeatPeriodSec(watchdogTimeoutSec: number): number {
  return Math.max(1, Math.min(15, Math.floor(watchdogTimeoutSec / 4)));
}

/**
 * A restart may take as long as the unit's own start and stop timeouts allow (strace slows
 * start-up a lot on a busy or emulated host): hush waits for systemd's verdict, not its own.
 * An infinite or unknown timeout counts as 10 minutes.
 */
export function restartTimeoutMs(properties: Readonly<Record<string, string>>, scale: number): number {
  const tenMinutes = 10 * 60_000;
  const start = parseTimespanMs(properties.TimeoutStartUSec) ?? tenMinutes;
  const stop = parseTimespanMs(properties.TimeoutStopUSec) ?? tenMinutes;
  return (start + stop) * scale + 60_000;
}
