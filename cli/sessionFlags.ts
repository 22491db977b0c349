/**
 * The flags `hush profile` and `hush apply` share for units whose children are login sessions or
 * other people's jobs (remote/sessionUnits.ts), and `--confirm-timeout` (apply, reset).
 */
import type { SessionUnitPolicy } from '../remote/sessionUnits';
import { UsageError } from './command';
import { parseDuration } from './remoteTarget';

export const SESSION_FLAGS = {
  'session-safe': { type: 'boolean' },
  'sandbox-sessions': { type: 'boolean' },
} as const;

export const SESSION_USAGE = `session flags (units that start login sessions or other users' jobs: sshd, getty, cron…,
detected on the host; refused by default, since every session would inherit their sandbox):
  --session-safe       harden only what sessions leave behind: options on the unit's own cgroup
                       (IPAddressDeny=, SocketBindDeny=, DevicePolicy=…); refused where sessions
                       stay in the unit's cgroup (no pam_systemd)
  --sandbox-sessions   harden it fully: every session inherits the sandbox (a bastion host)
`;

export const CONFIRM_USAGE = `  --confirm-timeout D  the host reverts the change unless a fresh SSH login (same user, sudo -n,
                       a write under /etc) confirms it within D (default 180s, at least 30s)
`;

/** The policy the flags ask for (`refuse` without either). */
export function sessionPolicyFromFlags(values: {
  'session-safe'?: boolean;
  'sandbox-sessions'?: boolean;
}): SessionUnitPolicy {
  if (values['session-safe'] && values['sandbox-sessions'])
    throw new UsageError('--session-safe and --sandbox-sessions exclude each other');
  return values['session-safe'] ? 'session-safe' : values['sandbox-sessions'] ? 'sandbox-sessions' : 'refuse';
}

/** --confirm-timeout in ms, or undefined. */
export function confirmTimeoutFromFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text, '--confirm-timeout');
  if (ms < 30_000) throw new UsageError('--confirm-timeout must be at least 30s');
  return ms;
}
