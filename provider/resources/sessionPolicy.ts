/**
 * Units whose children are login sessions or other users' jobs (sshd, getty, cron…;
 * remote/sessionUnits.ts) through Pulumi: the `sessionUnit` input is the CLI's --session-safe /
 * --sandbox-sessions, and the refusal names the input instead of the flags.
 */
import type { Connection } from '../../remote/connection';
import {
  detectSessionReach,
  enforceSessionPolicy,
  SessionUnitError,
  type SessionUnitPolicy,
} from '../../remote/sessionUnits';

/** The refusal's message with the CLI flags said as the resource input. */
export function asInputMessage(message: string): string {
  return message.replace(/--(session-safe|sandbox-sessions)\b/g, "sessionUnit: '$1'");
}

/** Rethrows a session-unit refusal in the input's words; anything else as it is. */
export function inInputWords(err: unknown): unknown {
  if (err instanceof SessionUnitError) {
    const e = new Error(asInputMessage(err.message));
    e.name = err.name;
    return e;
  }
  return err;
}

/**
 * Refuses, before the unit is restarted under a recorder (which would trace every login of the
 * window), a unit that starts sessions unless `policy` allows it: the apply would refuse its
 * hardening anyway.
 */
export async function checkSessionUnit(
  conn: Connection,
  unit: string,
  policy: SessionUnitPolicy | undefined,
): Promise<void> {
  try {
    enforceSessionPolicy(await detectSessionReach(conn, unit), policy ?? 'refuse');
  } catch (err) {
    throw inInputWords(err);
  }
}
