/**
 * The changes a session makes to the unit for its window, each with the way the host undoes it.
 *
 * Today there is one: the strace wrapper's runtime drop-in (recorder.ts). Another change (setting
 * hush's own hardening drop-in aside, so that a re-profile sees the unit as it runs without hush)
 * is one more kind here: its `apply` for the start step, its `undo` line for restore.sh.
 *
 * Undo lines are written for restore.sh (restore.ts), which runs them all, whatever the session
 * changed: the watchdog runs it with no controller, and clearLeftovers regenerates it when the
 * session directory is already gone. So every undo line looks for its own evidence on the host,
 * is idempotent, and sets `changed=yes` when it undid something (restore.sh then restarts the unit).
 */
import type { Connection } from '../connection';
import { sh, type ShellCommand } from '../shell';
import type { SessionPaths } from './layout';

/** One change, ready to be made. */
export interface UnitChange {
  /** For logs: `the wrapper drop-in`. */
  readonly what: string;
  /** Makes the change on the host, before the unit restarts under the recorder. */
  apply(conn: Connection, p: SessionPaths): Promise<void>;
}

/** A kind of change and how restore.sh undoes it. */
export interface UnitChangeKind {
  readonly what: string;
  undo(p: SessionPaths): ShellCommand;
}

/** The runtime drop-in that re-declares the Exec lines under strace (core/profiling/wrapper.ts). */
export const wrapperDropIn = {
  what: 'the wrapper drop-in',
  undo: (p: SessionPaths): ShellCommand =>
    sh`if [ -e ${p.dropIn} ]; then rm -f -- ${p.dropIn}; rmdir -- ${p.dropInDir} 2>/dev/null; changed=yes; fi`,
  change: (text: string): UnitChange => ({
    what: 'the wrapper drop-in',
    apply: (conn, p) => conn.writeFileAtomic(p.dropIn, text, { mode: 0o644 }),
  }),
} satisfies UnitChangeKind & { change(text: string): UnitChange };

/** Every kind of change a session can make: restore.sh undoes them all. */
export const UNIT_CHANGE_KINDS: readonly UnitChangeKind[] = [wrapperDropIn];

/** The undo lines of every kind, in order. */
export function undoUnitChanges(p: SessionPaths): ShellCommand[] {
  return UNIT_CHANGE_KINDS.map((k) => k.undo(p));
}
