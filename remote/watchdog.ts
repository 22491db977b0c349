/**
 * The profiling watchdog, and the leftover check every hush operation runs first.
 *
 * A profiling session changes a live unit (a runtime drop-in wraps its commands in strace). If
 * the controller vanishes (killed, laptop closed, network gone for good), the host must undo
 * that on its own. At session start hush writes restore.sh and watchdog.sh into the session
 * directory and arms a transient systemd timer that runs watchdog.sh every few seconds; the
 * controller touches a heartbeat file while it lives. Once the heartbeat is older than the
 * timeout, watchdog.sh runs restore.sh: remove the drop-in, daemon-reload, restart the unit on its
 * own configuration (or stop it, if it was inactive before), stop the FIFO holder, delete the
 * session directory, stop the timer. Everything lives under /run, so a reboot also clears it.
 *
 *   await armWatchdog(conn, paths, { periodSec: 5 });
 *   await heartbeat(conn, paths);               // every periodSec
 *   await disarmWatchdog(conn, paths);
 *   const r = await clearLeftovers(conn, 'nginx.service');  // before apply/reset/profile
 */
import type { Connection } from './connection';
import { sh, trustedScript } from './shell';
import { parseRunnableUnitName } from './unitName';
import {
  armWatchdogCommand,
  disarmWatchdogCommand,
  heartbeatCommand,
  parseState,
  restoreScript,
  sessionPaths,
  type SessionPaths,
} from './profile/session';

export const DEFAULT_WATCHDOG_TIMEOUT_SEC = 60;

export async function armWatchdog(
  conn: Connection,
  p: SessionPaths,
  opts: { periodSec: number },
): Promise<void> {
  await conn.exec(armWatchdogCommand(p, Math.max(1, Math.round(opts.periodSec))), {
    check: true,
    timeoutMs: 5 * 60_000,
  });
}

/** Touches the heartbeat. Returns false when the session directory is gone (watchdog fired, or cleared). */
export async function heartbeat(conn: Connection, p: SessionPaths, timeoutMs = 30_000): Promise<boolean> {
  const r = await conn.exec(heartbeatCommand(p), { timeoutMs });
  return r.code === 0;
}

export async function disarmWatchdog(conn: Connection, p: SessionPaths): Promise<void> {
  await conn.exec(disarmWatchdogCommand(p), { timeoutMs: 5 * 60_000 });
}

/** A live profiling session holds the unit: another operation must not tear it down. */
export class ProfilingInProgressError extends Error {
  constructor(
    readonly unit: string,
    readonly heartbeatAgeSec: number,
    readonly timeoutSec: number,
  ) {
    super(
      `${unit} is being profiled by another hush controller right now (heartbeat ${heartbeatAgeSec} s ago). ` +
        `Wait for it to finish; if that controller is gone, its watchdog restores the unit within ${timeoutSec} s.`,
    );
    this.name = 'ProfilingInProgressError';
  }
}

export interface LeftoverReport {
  /** Something of an earlier profiling session was found and removed. */
  cleared: boolean;
  /** What was found: `drop-in`, `session-dir`, `watchdog`, `holder`. */
  found: string[];
  /** restore.sh output (what it did to the unit). */
  output: string;
}

const INSPECT = String.raw`
root=$1; dropin=$2; wd=$3; hold=$4
[ -e "$dropin" ] && echo found=drop-in
[ -d "$root" ] && echo found=session-dir
systemctl is-active --quiet -- "$wd.timer" 2>/dev/null && echo found=watchdog
systemctl is-active --quiet -- "$hold" 2>/dev/null && echo found=holder
if [ -e "$root/heartbeat" ]; then echo "age=$(( $(date +%s) - $(stat -c %Y -- "$root/heartbeat") ))"; fi
if [ -r "$root/state" ]; then sed 's/^/state./' "$root/state"; fi
true
`;

/**
 * Finds what an earlier profiling session of `unit` left behind (a controller that died before
 * its watchdog fired, a watchdog that could not run) and removes it, restarting the unit on its
 * own configuration when the wrapper was still in place. Refuses (ProfilingInProgressError) while
 * another controller's heartbeat is fresh. apply/reset/profile call this first.
 */
export async function clearLeftovers(
  conn: Connection,
  unit: string,
  opts: { log?: (line: string) => void; defaultTimeoutSec?: number } = {},
): Promise<LeftoverReport> {
  const name = parseRunnableUnitName(unit).unit;
  const p = sessionPaths(name);
  const r = await conn.exec(
    sh`set -- ${p.root} ${p.dropIn} ${p.watchdogUnit} ${p.holdUnit}; ${trustedScript(INSPECT)}`,
    { check: true, timeoutMs: 5 * 60_000 },
  );
  const found: string[] = [];
  let age: number | undefined;
  const stateLines: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('found=')) found.push(line.slice(6));
    else if (line.startsWith('age=')) age = Number(line.slice(4));
    else if (line.startsWith('state.')) stateLines.push(line.slice(6));
  }
  if (found.length === 0) return { cleared: false, found, output: '' };
  const state = parseState(stateLines.join('\n'));
  const timeout = state.watchdogTimeoutSec ?? opts.defaultTimeoutSec ?? DEFAULT_WATCHDOG_TIMEOUT_SEC;
  if (age !== undefined && age >= 0 && age < timeout) {
    throw new ProfilingInProgressError(name, age, timeout);
  }
  opts.log?.(`clearing leftovers of an earlier profiling session of ${name}: ${found.join(', ')}`);
  // The script is regenerated rather than read from the host: same text, and it also works when
  // the session directory (and its restore.sh) is already gone.
  const out = await conn.exec(sh`sh -c ${restoreScript(p)} hush-restore; ${disarmWatchdogCommand(p)}`, {
    check: true,
    timeoutMs: 300_000,
  });
  return { cleared: true, found, output: (out.stdout + out.stderr).trim() };
}
