/**
 * The changes a session makes to the unit for its window, each with the way the host undoes it.
 *
 * Two kinds: the strace wrapper's runtime drop-in (the recorder's, recorder.ts), and hush's own
 * hardening drop-in set aside (the session's, setAside.ts), so that a re-profile sees the unit as
 * it runs without hush. Each has its `apply` for the start step and its `undo` line for restore.sh.
 *
 * Undo lines are written for restore.sh (restore.ts), which runs them all, whatever the session
 * changed: the watchdog runs it with no controller, and clearLeftovers regenerates it when the
 * session directory is already gone. So every undo line looks for its own evidence on the host,
 * is idempotent, and sets `changed=yes` when it undid something (restore.sh then restarts the unit);
 * a removal that fails is reported with its path (undo.ts), never skipped.
 */
import type { Host, HostExec } from '../host';
import { sh, type ShellCommand } from '../shell';
import type { SessionPaths } from './layout';
import { maskCommand, undoSetAsideCommand } from './setAside';
import type { SessionPlan } from './state';
import { removeOrReport } from './undo';

/** One change, ready to be made. */
export interface UnitChange {
  /** For logs: `the wrapper drop-in`. */
  readonly what: string;
  /** Makes the change on the host, before the unit restarts under the recorder. */
  apply(conn: HostExec & Pick<Host, 'writeFileAtomic'>, p: SessionPaths): Promise<void>;
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
    sh`if [ -e ${p.dropIn} ] || [ -L ${p.dropIn} ]; then ${removeOrReport(p.dropIn, p.dropInDir)}; fi`,
  change: (text: string): UnitChange => ({
    what: 'the wrapper drop-in',
    apply: (conn, p) => conn.writeFileAtomic(p.dropIn, text, { mode: 0o644 }),
  }),
} satisfies UnitChangeKind & { change(text: string): UnitChange };

/**
 * hush's hardening drop-in masked for the window (setAside.ts). The plan step already masked it to
 * read the floor; the start step makes sure it still is (the plan step's guard may have put it back
 * if planning took very long), restore.sh removes the mask.
 */
export const hushHardeningAside = {
  what: "hush's hardening drop-in set aside",
  undo: (p: SessionPaths): ShellCommand => undoSetAsideCommand(p.unit),
  change: (unit: string): UnitChange => ({
    what: "hush's hardening drop-in set aside",
    apply: async (conn) => {
      await conn.exec(maskCommand(unit), { check: true, timeoutMs: 5 * 60_000 });
    },
  }),
} satisfies UnitChangeKind & { change(unit: string): UnitChange };

/** The changes the session itself makes, besides the recorder's. */
export function sessionUnitChanges(plan: Pick<SessionPlan, 'unit' | 'setAside'>): UnitChange[] {
  return plan.setAside ? [hushHardeningAside.change(plan.unit)] : [];
}

/** Every kind of change a session can make: restore.sh undoes them all. */
export const UNIT_CHANGE_KINDS: readonly UnitChangeKind[] = [wrapperDropIn, hushHardeningAside];

/** The undo lines of every kind, in order. */
export function undoUnitChanges(p: SessionPaths): ShellCommand[] {
  return UNIT_CHANGE_KINDS.map((k) => k.undo(p));
}
