/**
 * Putting the unit back on its own configuration, three ways, and confirming it from outside:
 *
 * - restoreUnit: the normal end of the window, run by the controller step by step (stop under the
 *   recorder so ExecStop*= are traced too, undo the unit changes, start it again, wait for active);
 * - restoreScript: the same from the host alone, for the watchdog (deadline.ts), a leftover
 *   session (leftovers.ts) and a setup or finish that failed (restoreOnHost);
 * - confirmRestored: after the restore, a fresh SSH connection reads the unit back. A fresh one on
 *   purpose: it proves the host still lets the operator in, not only that an old channel survived:
 *   the login, `sudo -n` (the dial's privilege check) and a write under /etc by that session
 *   (remote/access.ts adminWrite), the same proof an apply or reset waits for before it commits.
 */
import { stopRecorderCommand } from './ebpfRecorder';
import { ProfilingError } from '../../core/profiling/errors';
import { adminWrite, ADMIN_WRITE_DIR } from '../access';
import type { HostExec, HostLink } from '../host';
import { seq, sh, shQuote } from '../shell';
import { disarmWatchdog } from './deadline';
import type { SessionPaths } from './layout';
import type { Link } from './link';
import type { SessionPlan } from './state';
import { undoUnitChanges } from './unitChanges';
import { undoFailures } from './undo';
import { readUnitInfo } from './unitInfo';
import { activeStateOf, journalTail, waitActive } from './unitState';

/** Host-side restore, shared by the watchdog, clearLeftovers and a failed step. Idempotent. */
export function restoreScript(p: SessionPaths): string {
  const q = shQuote;
  return [
    '#!/bin/sh',
    '# hush: end a profiling session and put the unit back on its own configuration.',
    'set -u',
    `unit=${q(p.unit)}`,
    `root=${q(p.root)}`,
    'was_active=yes',
    'if [ -r "$root/state" ]; then v=$(sed -n "s/^was_active=//p" "$root/state"); [ -n "$v" ] && was_active=$v; fi',
    'changed=no',
    'undofailed=no',
    ...undoUnitChanges(p).map((c) => c.text),
    'touch -- "$root/stop" 2>/dev/null',
    stopRecorderCommand(p).text,
    `systemctl stop -- ${q(p.holdUnit)} 2>/dev/null`,
    'if [ "$changed" = yes ]; then',
    '  systemctl daemon-reload',
    '  if [ "$was_active" = yes ]; then systemctl restart -- "$unit"; else systemctl stop -- "$unit"; fi',
    '  echo "hush: profiling wrapper removed from $unit; unit restarted on its own configuration"',
    'fi',
    'for f in "$root"/fifo/*; do [ -p "$f" ] && : 1<>"$f"; done',
    'rm -rf -- "$root"',
    `systemctl stop -- ${q(p.watchdogUnit + '.timer')} 2>/dev/null`,
    // a change that could not be undone (undo.ts printed its path): the unit is not back
    '[ "$undofailed" = yes ] && exit 1',
    'exit 0',
    '',
  ].join('\n');
}

/** Runs the restore script on the host now and disarms the watchdog (a step failed). */
export async function restoreOnHost(
  link: Link,
  p: SessionPaths,
  timeoutMs: number,
  log: (line: string) => void,
  why: string,
): Promise<void> {
  log(`restoring ${p.unit} (${why})`);
  const conn = await link.get();
  const r = await conn.exec(sh`sh -c ${restoreScript(p)} hush-restore`, { timeoutMs });
  await disarmWatchdog(conn, p);
  throwIfNotUndone(p.unit, r.stdout);
}

/** A restore whose output names a change it could not undo: the unit is not back. */
export function throwIfNotUndone(unit: string, output: string): void {
  const failed = undoFailures(output);
  if (failed.length > 0)
    throw new ProfilingError(
      `${unit} is NOT back on its own configuration: ${failed.join('; ')}. Remove it as root, then \`systemctl daemon-reload\` and restart ${unit}`,
    );
}

export interface UnitRestore {
  /** systemctl is-active after the restore (waited for when the unit was active before). */
  activeState: string;
  /** From the stop under the recorder until the unit is back on its own configuration. */
  restoreMs: number;
}

/**
 * Ends the window on the unit: stops it under the recorder (ExecStop*= are traced too), undoes
 * the session's changes, daemon-reload, starts it again if it ran before, waits for it.
 * Problems are warnings (the trace collected so far is still worth keeping), except a change that
 * could not be undone (a file that cannot be removed): a ProfilingError naming it.
 */
export async function restoreUnit(
  conn: HostExec,
  plan: SessionPlan,
  p: SessionPaths,
  warnings: string[],
  log: (line: string) => void,
): Promise<UnitRestore> {
  const { unit, wasActive } = plan;
  log(`closing the window: stopping ${unit} under the recorder`);
  const t0 = Date.now();
  const stop = await conn.exec(sh`systemctl stop -- ${unit}`, { timeoutMs: plan.restartTimeoutMs });
  if (stop.code !== 0) warnings.push(`systemctl stop ${unit} under the recorder: ${stop.stderr.trim()}`);
  const start = wasActive ? sh`systemctl start -- ${unit}` : sh`true`;
  const back = await conn.exec(sh`${seq(...undoUnitChanges(p))}; systemctl daemon-reload && ${start}`, {
    timeoutMs: plan.restartTimeoutMs,
  });
  throwIfNotUndone(unit, back.stdout);
  const activeState = wasActive
    ? await waitActive(conn, unit, plan.settleTimeoutMs)
    : await activeStateOf(conn, unit);
  const restoreMs = Date.now() - t0;
  if (back.code !== 0 || (wasActive && activeState !== 'active')) {
    const journal = await journalTail(conn, unit);
    warnings.push(`${unit} is ${activeState} after restoring its own configuration. Journal:\n${journal}`);
  }
  return { activeState, restoreMs };
}

/**
 * Reads the unit back over a fresh connection: `systemctl cat` must be what it was before the
 * session. Throws when no fresh connection can be made (login or `sudo -n`): the restore is then
 * not confirmed. `adminWriteError`: that fresh session could not write under /etc (the caller
 * says so; the unit itself is back either way).
 */
export async function confirmRestored(
  dial: () => Promise<HostLink>,
  plan: SessionPlan,
): Promise<{ catIdentical: boolean; adminWriteError?: string }> {
  let fresh: HostLink;
  try {
    fresh = await dial();
  } catch (err) {
    throw new ProfilingError(
      `${plan.unit} was restored, but a fresh connection to confirm it failed: ${(err as Error).message}`,
    );
  }
  try {
    const after = await readUnitInfo(fresh, plan.unit);
    const w = await adminWrite(fresh);
    return {
      // with hush's drop-in set aside, info.catText lacks it: compare with the unit before the set-aside
      catIdentical: after.catText === (plan.setAside?.catBefore ?? plan.info.catText),
      ...(w.ok ? {} : { adminWriteError: `a fresh login cannot write under ${ADMIN_WRITE_DIR}: ${w.error}` }),
    };
  } finally {
    await fresh.close();
  }
}
