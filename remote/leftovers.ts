/**
 * apply and reset must not act on a unit that still wears a profiling wrapper. The profiling
 * side (remote/watchdog.ts, another module) owns how a session is found and cleared; this is the
 * narrow bridge to it, loaded on demand so that apply/reset only need it when a leftover is
 * actually found on the host.
 */
import type { Connection } from './connection';

export type ClearLeftovers = (
  conn: Connection,
  unit: string,
  opts?: { log?: (line: string) => void },
) => Promise<{ found: string[] }>;

export function loadClearLeftovers(): ClearLeftovers {
  let mod: { clearLeftovers?: ClearLeftovers } | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('./watchdog') as { clearLeftovers?: ClearLeftovers };
  } catch {
    mod = undefined;
  }
  if (!mod?.clearLeftovers) {
    return async (_conn, unit) => {
      throw new Error(
        `${unit} still has a hush profiling drop-in under /run/systemd/system/${unit}.d/, and this build cannot clear it ` +
          '(remote/watchdog is missing): remove it, daemon-reload and restart the unit, then retry',
      );
    };
  }
  return mod.clearLeftovers;
}
