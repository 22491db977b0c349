/**
 * Modes and owners of everything the trace transport creates on the host, in one place: who may
 * write a trace stream, who may read it, and who may look into the session directory.
 *
 * Nobody but root, and in particular not the traced service: a process that can write its own
 * trace can forge the profile its sandbox is computed from (keep a syscall, a capability, a path).
 * - The session directory and its FIFO directory are root's, 0700: no other user can list them,
 *   open anything in them or even reach a FIFO by its path. Their paths are not secret (the
 *   wrapper drop-in and `systemctl show` print them, and strace's argv is in /proc/PID/cmdline);
 *   the modes are what protects them.
 * - Every FIFO is root's, 0600, created that way (never open to others while being set up): every
 *   writer is a root strace. A command that runs as the unit's user is switched to it by setpriv
 *   under that root strace (core/profiling/wrapper.ts), so it can neither open the FIFO nor reach
 *   strace (another uid: no ptrace, no /proc/PID/fd, no signals). The reader and holder are root.
 * - Files written under the session (state, plan, scripts) are created under umask 077.
 *
 * What remains: a command that itself runs as root (no User=, `!`) could forge its trace, as it
 * could do anything else the forged lines would claim; the apply step's own checks still run.
 */
import { sh, type ShellCommand } from '../shell';
import type { SessionPaths } from './layout';

/** Who writes a trace stream. Root only: see the module comment. */
export type StreamWriter = { kind: 'root' };

/** A trace stream as the transport sees it: its id (the FIFO's name) and who writes it. */
export interface TraceStream {
  id: string;
  writer: StreamWriter;
}

/** The writer of every stream the strace wrapper records (strace runs as root for every command). */
export const ROOT_WRITER: StreamWriter = { kind: 'root' };

export const SESSION_DIR_MODE = '0700';
export const SESSION_UMASK = '077';

/**
 * Creates the (absent) session directory and its FIFO directory; fails if the session exists.
 * /run/hush/profile is (re)set to 0700: hosts profiled by an older hush have it 0711.
 */
export function sessionDirsCommand(p: SessionPaths): ShellCommand {
  const mode = SESSION_DIR_MODE;
  return sh`umask ${SESSION_UMASK}; mkdir -p -m 0711 /run/hush; mkdir -p -m ${mode} /run/hush/profile; chmod ${mode} /run/hush/profile; [ ! -e ${p.root} ] || { echo 'a hush profiling session directory already exists' >&2; exit 17; }; mkdir -m ${mode} -- ${p.root}; mkdir -m ${mode} -- ${p.fifoDir}`;
}

/** Creates one stream's FIFO: root's, 0600. */
export function makeFifoCommand(path: string, writer: StreamWriter): ShellCommand {
  if (writer.kind !== 'root')
    throw new Error(`trace streams are written by root only, not ${String(writer.kind)}`);
  return sh`mkfifo -m 0600 -- ${path}`;
}
