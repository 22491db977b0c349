/**
 * The leftover check every hush operation runs first: an earlier profiling session of the unit
 * whose controller died before its watchdog fired, or whose watchdog could not run, is found and
 * undone here.
 *
 *   const r = await clearLeftovers(conn, 'nginx.service');  // before apply/reset/profile
 */
import type { HostExec } from '../host';
import { sh, trustedScript } from '../shell';
import { parseRunnableUnitName } from '../../core/systemd/unitName';
import { DEFAULT_WATCHDOG_TIMEOUT_SEC } from '../../core/profiling/timeouts';
import { disarmWatchdogCommand } from './deadline';
import { sessionPaths } from './layout';
import { restoreScript, throwIfNotUndone } from './restore';
import { MIN_GUARD_SEC, setAsidePaths } from './setAside';
import { parseState } from './state';
import { ProfilingError } from '../../core/profiling/errors';

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

/** A detached recording (`hush profile start`) holds the unit until its deadline, finish or cancel. */
export class RecordingInProgressError extends Error {
  constructor(readonly unit: string) {
    super(
      `${unit} is being recorded (hush profile start): see hush profile status ${unit}; ` +
        `end it with hush profile finish ${unit} (or hush apply ${unit} --from-recording), or hush profile cancel ${unit}. ` +
        'Its deadline restores the unit on the host in any case.',
    );
    this.name = 'RecordingInProgressError';
  }
}

export interface LeftoverReport {
  /** Something of an earlier profiling session was found and removed. */
  cleared: boolean;
  /** What was found: `drop-in`, `set-aside`, `session-dir`, `watchdog`, `holder`. */
  found: string[];
  /** restore.sh output (what it did to the unit). */
  output: string;
}

const INSPECT = String.raw`
root=$1; dropin=$2; wd=$3; hold=$4; mask=$5; guard=$6
[ -e "$dropin" ] && echo found=drop-in
[ "$(readlink -- "$mask" 2>/dev/null)" = /dev/null ] && echo found=set-aside
[ ! -d "$root" ] && systemctl is-active --quiet -- "$guard.timer" 2>/dev/null && echo guarded
[ -d "$root" ] && echo found=session-dir
[ -e "$root/detached" ] && echo detached
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
  conn: HostExec,
  unit: string,
  opts: { log?: (line: string) => void; defaultTimeoutSec?: number } = {},
): Promise<LeftoverReport> {
  const name = parseRunnableUnitName(unit).unit;
  const p = sessionPaths(name);
  const aside = setAsidePaths(name);
  const r = await conn.exec(
    sh`set -- ${p.root} ${p.dropIn} ${p.watchdogUnit} ${p.holdUnit} ${aside.mask} ${aside.guardUnit}; ${trustedScript(INSPECT)}`,
    { check: true, timeoutMs: 5 * 60_000 },
  );
  const found: string[] = [];
  let age: number | undefined;
  let guarded = false;
  let detached = false;
  const stateLines: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('found=')) found.push(line.slice(6));
    else if (line.startsWith('age=')) age = Number(line.slice(4));
    else if (line === 'guarded') guarded = true;
    else if (line === 'detached') detached = true;
    else if (line.startsWith('state.')) stateLines.push(line.slice(6));
  }
  if (found.length === 0) return { cleared: false, found, output: '' };
  // hush's drop-in set aside by a session still planning (its guard is armed, no session yet)
  if (guarded && found.length === 1 && found[0] === 'set-aside')
    throw new ProfilingInProgressError(name, 0, MIN_GUARD_SEC);
  // a detached recording has no heartbeat: its own deadline timer ends it, or finish/cancel
  if (detached) throw new RecordingInProgressError(name);
  const state = parseState(stateLines.join('\n'));
  const timeout = state.watchdogTimeoutSec ?? opts.defaultTimeoutSec ?? DEFAULT_WATCHDOG_TIMEOUT_SEC;
  if (age !== undefined && age >= 0 && age < timeout) {
    throw new ProfilingInProgressError(name, age, timeout);
  }
  opts.log?.(`clearing leftovers of an earlier profiling session of ${name}: ${found.join(', ')}`);
  // The script is regenerated rather than read from the host: same text, and it also works when
  // the session directory (and its restore.sh) is already gone.
  const out = await conn.exec(
    sh`sh -c ${restoreScript(p)} hush-restore; rc=$?; ${disarmWatchdogCommand(p)}; exit $rc`,
    {
      timeoutMs: 300_000,
    },
  );
  throwIfNotUndone(name, out.stdout);
  if (out.code !== 0)
    throw new ProfilingError(
      `clearing leftovers of ${name} failed (exit ${out.code}): ${(out.stderr || out.stdout).trim().slice(-400)}`,
    );
  return { cleared: true, found, output: (out.stdout + out.stderr).trim() };
}
