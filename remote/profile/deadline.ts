/**
 * The host-side deadline: the host restores the unit on its own when the controller is gone.
 *
 * A profiling session changes a live unit (a runtime drop-in wraps its commands in strace). If the
 * controller vanishes (killed, laptop closed, network gone for good), the host must undo that by
 * itself. The start step writes restore.sh (restore.ts) and watchdog.sh into the session directory
 * and arms a transient systemd timer that runs watchdog.sh every few seconds; the controller
 * touches a heartbeat file while it lives (stream.ts). Once the heartbeat is older than the
 * timeout, watchdog.sh runs restore.sh. Everything lives under /run, so a reboot also clears it.
 *
 *   await armWatchdog(conn, paths, { periodSec: 5 });
 *   await heartbeat(conn, paths);               // every periodSec
 *   await disarmWatchdog(conn, paths);
 *
 * A deadline that does not depend on a heartbeat (a session the controller leaves on purpose,
 * restored at a fixed time) is another check in watchdog.sh; the timer, restore.sh and the
 * leftover handling (leftovers.ts) stay the same.
 */
import type { HostExec } from '../host';
import { argv, sh, shQuote, type ShellCommand } from '../shell';
import type { SessionPaths } from './layout';

/** The watchdog's check: restores once the heartbeat is older than the timeout. */
export function watchdogScript(p: SessionPaths, timeoutSec: number): string {
  if (!Number.isInteger(timeoutSec) || timeoutSec <= 0)
    throw new Error('watchdog timeout must be a positive integer');
  const q = shQuote;
  return [
    '#!/bin/sh',
    '# hush: profiling watchdog. The controller touches the heartbeat; if it stops, restore the unit.',
    'set -u',
    `hb=${q(p.heartbeat)}`,
    `restore=${q(p.restoreScript)}`,
    'now=$(date +%s)',
    'last=$(stat -c %Y -- "$hb" 2>/dev/null || echo 0)',
    `if [ $((now - last)) -lt ${timeoutSec} ]; then exit 0; fi`,
    'echo "hush: no heartbeat from the profiling controller for $((now - last)) s: restoring"',
    'if [ -r "$restore" ]; then exec /bin/sh "$restore"; fi',
    `systemctl stop -- ${q(p.watchdogUnit + '.timer')} 2>/dev/null`,
    '',
  ].join('\n');
}

/**
 * Arms the watchdog: a transient timer that runs watchdog.sh every `periodSec`. The script is a
 * file, not an argument, because a transient service expands `$VARS` in its command line.
 */
export function armWatchdogCommand(p: SessionPaths, periodSec: number): ShellCommand {
  return argv([
    'systemd-run',
    '--quiet',
    `--unit=${p.watchdogUnit}`,
    '--description=hush profiling watchdog: restores the unit if the controller vanishes',
    `--on-active=${periodSec}s`,
    `--on-unit-active=${periodSec}s`,
    '--timer-property=AccuracySec=1s',
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    p.watchdogScript,
  ]);
}

export function disarmWatchdogCommand(p: SessionPaths): ShellCommand {
  return sh`systemctl stop -- ${p.watchdogUnit + '.timer'} ${p.watchdogUnit + '.service'} 2>/dev/null; true`;
}

export function heartbeatCommand(p: SessionPaths): ShellCommand {
  return sh`[ -d ${p.root} ] && [ ! -e ${p.stopFlag} ] && touch -- ${p.heartbeat}`;
}

export async function armWatchdog(
  conn: HostExec,
  p: SessionPaths,
  opts: { periodSec: number },
): Promise<void> {
  await conn.exec(armWatchdogCommand(p, Math.max(1, Math.round(opts.periodSec))), {
    check: true,
    timeoutMs: 5 * 60_000,
  });
}

/** Touches the heartbeat. Returns false when the session directory is gone (watchdog fired, or cleared). */
export async function heartbeat(conn: HostExec, p: SessionPaths, timeoutMs = 30_000): Promise<boolean> {
  const r = await conn.exec(heartbeatCommand(p), { timeoutMs });
  return r.code === 0;
}

export async function disarmWatchdog(conn: HostExec, p: SessionPaths): Promise<void> {
  await conn.exec(disarmWatchdogCommand(p), { timeoutMs: 5 * 60_000 });
}
