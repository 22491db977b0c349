/**
 * Modes and owners of everything the trace transport creates on the host, in one place: who may
 * write a trace stream, who may read it, and who may look into the session directory.
 *
 * - The session directories are root's, 0711: a traced command running as the unit's user must
 *   reach its FIFO by path, but nobody else may list the session or read its state.
 * - Files written under the session (state, plan, scripts) are created under umask 077.
 * - A FIFO belongs to the user that writes it (the command runs under User=, strace with it), mode
 *   0600; root's commands get root's FIFO. DynamicUser= has no uid before the start, so its FIFOs
 *   must be writable by others (0622).
 */
import { sh, type ShellCommand } from '../shell';
import type { SessionPaths } from './layout';

/** Who writes a trace stream: decides its FIFO's owner and mode. */
export type StreamWriter = { kind: 'root' } | { kind: 'user'; user: string } | { kind: 'dynamicUser' };

/** A trace stream as the transport sees it: its id (the FIFO's name) and who writes it. */
export interface TraceStream {
  id: string;
  writer: StreamWriter;
}

export const SESSION_DIR_MODE = '0711';
export const SESSION_UMASK = '077';

/**
 * The writer of a command's stream: root when the command runs as root (no User=, the `!` prefix),
 * else the unit's user, or anyone for a DynamicUser= unit.
 */
export function streamWriter(
  runsAsRoot: boolean,
  properties: Readonly<Record<string, string>>,
): StreamWriter {
  const user = (properties.User ?? '').trim();
  const dynamicUser = properties.DynamicUser === 'yes';
  if (dynamicUser && !runsAsRoot) return { kind: 'dynamicUser' };
  if (runsAsRoot || user === '' || dynamicUser) return { kind: 'root' };
  return { kind: 'user', user };
}

/** Creates the (absent) session directory and its FIFO directory; fails if the session exists. */
export function sessionDirsCommand(p: SessionPaths): ShellCommand {
  const mode = SESSION_DIR_MODE;
  return sh`umask ${SESSION_UMASK}; mkdir -p -m ${mode} /run/hush /run/hush/profile; [ ! -e ${p.root} ] || { echo 'a hush profiling session directory already exists' >&2; exit 17; }; mkdir -m ${mode} -- ${p.root}; mkdir -m ${mode} -- ${p.fifoDir}`;
}

/** Creates one stream's FIFO with its owner and mode (created 0600 first: never open to others while being set up). */
export function makeFifoCommand(path: string, writer: StreamWriter): ShellCommand {
  const own = writer.kind === 'user' ? sh`chown -- ${writer.user} ${path}` : sh`true`;
  const mode = writer.kind === 'dynamicUser' ? '0622' : '0600';
  return sh`mkfifo -m 0600 -- ${path}; ${own}; chmod ${mode} -- ${path}`;
}
