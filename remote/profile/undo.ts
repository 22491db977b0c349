/**
 * How a restore's undo line removes what a session put in place, and says so when it cannot.
 *
 * A file that cannot be removed (EROFS from a session that inherited a read-only sandbox, EACCES,
 * EBUSY under a bind mount…) leaves the unit on the session's configuration: under the profiling
 * wrapper, or with hush's hardening still set aside. That is an error naming the path, never a
 * restore that looks done: the line prints `undo-failed=cannot remove PATH: <the system's message>`
 * and sets `undofailed=yes`; restore.sh exits 1, and the controller's steps (restore.ts,
 * leftovers.ts) raise it as a ProfilingError with the path.
 */
import { sh, type ShellCommand } from '../shell';

const PREFIX = 'undo-failed=';

/**
 * Removes `path` (then `dir`, if empty) and sets `changed=yes`; on failure prints the undo-failed
 * line and sets `undofailed=yes`. Only the removal itself: the caller checks that it is there.
 */
export function removeOrReport(path: string, dir: string): ShellCommand {
  return sh`if e=$(rm -f -- ${path} 2>&1); then rmdir -- ${dir} 2>/dev/null; changed=yes; else printf '%s\\n' ${`${PREFIX}cannot remove ${path}: `}"$(printf '%s' "$e" | tr '\\n' ' ')"; undofailed=yes; fi`;
}

/** The undo-failed messages in a restore's output (`cannot remove PATH: …`), in order. Pure. */
export function undoFailures(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith(PREFIX))
    .map((l) => l.slice(PREFIX.length).trim());
}
