/**
 * `--user-manager USER`: apply, reset and status for a unit of USER's own service manager
 * (`systemctl --user`; remote/userUnit.ts). The SSH login stays the operator's (`--user` is the
 * login user, as everywhere); every host command for the unit runs as USER.
 *
 * What differs from a system unit, and why:
 * - No profiling (hush profile/apply without --profile): the profiling session wraps a unit of
 *   PID 1 (runtime drop-ins under /run/systemd/system, strace as root over a root-only FIFO);
 *   its user-manager form is not built. A profile comes from elsewhere (`hush run` of the same
 *   program, or the unit profiled as a system unit) and is resolved against the user manager's
 *   facts (no mount namespaces, no capabilities to drop).
 * - No fresh-login confirmation: a user unit's drop-in cannot reach sshd, PAM or the operator's
 *   session; the apply is verified (active, no restart) and rolled back like a system unit's.
 * - No watch/canary/health: they read the system journal and run as root; not wired for user units.
 */
import { hushVersion, renderDropIn } from '../core/dropin';
import type { Profile } from '../core/profile/schema';
import { resolve } from '../core/resolve';
import { withExecModesOrUnknown } from '../remote/execModes';
import {
  applyUserDropIn,
  locateUserManager,
  LoginName,
  probeUserUnit,
  resetUserUnit,
  userUnitState,
} from '../remote/userUnit';
import { UsageError, type CliIo } from './command';
import { formatAdvice, settingsFromFlags, type HardeningFlagValues } from './planOutput';
import { connectFromFlags, progress, type TargetFlagValues } from './remoteTarget';

export const USER_MANAGER_FLAG = { 'user-manager': { type: 'string' } } as const;

export const USER_MANAGER_USAGE = `user units:
  --user-manager USER  UNIT is a unit of USER's service manager (systemctl --user; USER logged in
                       or lingering), not of PID 1; commands for it run as USER on the host
`;

/** The login name of --user-manager, validated before any network use. */
export function userManagerFromFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const r = LoginName.safeParse(value);
  if (!r.success) throw new UsageError(`--user-manager: ${r.error.issues[0]?.message ?? 'not a login name'}`);
  if (value === 'root') throw new UsageError("--user-manager root: root's services are system units");
  return value;
}

/**
 * Flags of a command that have no meaning for a user unit (set ones refused by name, so an
 * operator never believes a watch or a confirmation happened when it did not).
 */
export function refuseForUserUnit(
  values: Record<string, unknown>,
  flags: readonly string[],
  why: string,
): void {
  const set = flags.filter((f) => values[f] !== undefined && values[f] !== false);
  if (set.length > 0)
    throw new UsageError(`--user-manager excludes ${set.map((f) => `--${f}`).join(', ')} (${why})`);
}

/** Flags of `hush apply` a user unit's apply does not support. */
export const APPLY_FLAGS_NOT_FOR_USER_UNITS = [
  'from-recording',
  'duration',
  'workload',
  'save-profile',
  'tracing',
  'recorder',
  'health',
  'health-timeout',
  'watch',
  'rollback-on-denial',
  'canary',
  'confirm-timeout',
  'session-safe',
  'sandbox-sessions',
] as const;

export const USER_UNITS_NOT_PROFILED =
  "--user-manager: units of a user's manager are not profiled by hush yet (the profiling session wraps units of PID 1); profile the program with hush run, or as a system unit, and apply with hush apply --user-manager USER UNIT --profile FILE";

export async function applyUserUnit(a: {
  user: string;
  unit: string;
  profile: Profile | undefined;
  values: TargetFlagValues &
    HardeningFlagValues & { 'dry-run'?: boolean; force?: boolean; json?: boolean; explain?: boolean };
  settleMs: number;
  io: CliIo;
}): Promise<number> {
  if (!a.profile) throw new UsageError(`--user-manager needs --profile FILE. ${USER_UNITS_NOT_PROFILED}`);
  const settings = settingsFromFlags(a.values);
  const log = progress(a.io, 'apply');
  const conn = await connectFromFlags(a.values, a.io, 'apply');
  try {
    const m = await locateUserManager(conn, a.user);
    log(`probing ${a.unit} of ${a.user}'s manager (user@${m.uid}.service) on ${conn.host}`);
    // the profile's programs as they are on the host: their modes prove NoNewPrivileges, which a
    // user manager needs for every option that implies it (RestrictAddressFamilies, SystemCallFilter…)
    const facts = await withExecModesOrUnknown(conn, a.profile, await probeUserUnit(conn, m, a.unit), (w) =>
      log(`warning: ${w}`),
    );
    if (facts.unit?.loadState !== 'loaded')
      throw new Error(
        `${a.unit} is not loaded in ${a.user}'s manager on ${conn.host} (LoadState=${facts.unit?.loadState ?? 'unknown'})`,
      );
    const plan = resolve(a.profile, facts, settings);
    for (const n of plan.notes ?? []) log(`note: ${n}`);
    for (const adv of plan.advice ?? []) a.io.stderr.write(formatAdvice(adv, 'apply'));
    const text = renderDropIn(plan, {
      version: hushVersion(),
      unit: a.unit,
      explain: a.values.explain ?? false,
    });
    if (a.values['dry-run']) {
      a.io.stdout.write(
        a.values.json
          ? JSON.stringify(
              { unit: a.unit, userManager: a.user, host: conn.host, dryRun: true, dropIn: text, plan },
              null,
              2,
            ) + '\n'
          : text,
      );
      return 0;
    }
    log(`${plan.chosen.length} option(s) chosen, ${plan.rejected.length} rejected`);
    const result = await applyUserDropIn(conn, m, a.unit, text, {
      settleMs: a.settleMs,
      force: a.values.force ?? false,
    });
    if (a.values.json)
      a.io.stdout.write(
        JSON.stringify(
          { unit: a.unit, userManager: a.user, host: conn.host, result, dropIn: text },
          null,
          2,
        ) + '\n',
      );
    else
      a.io.stdout.write(
        result.verdict === 'applied'
          ? `${a.unit} (${a.user}): hardened and verified on ${conn.host} (${result.path})\n`
          : result.verdict === 'unchanged'
            ? `${a.unit} (${a.user}): already hardened with this drop-in on ${conn.host}; nothing changed\n`
            : `${a.unit} (${a.user}): the drop-in failed verification on ${conn.host}; the previous one is back\n`,
      );
    // as for a system unit: a rollback by verification exits 3
    return result.verdict === 'rolled-back' ? 3 : 0;
  } finally {
    await conn.close();
  }
}

export async function resetUserUnitCommand(a: {
  user: string;
  unit: string;
  values: TargetFlagValues & { json?: boolean };
  io: CliIo;
}): Promise<number> {
  const conn = await connectFromFlags(a.values, a.io, 'reset');
  try {
    const m = await locateUserManager(conn, a.user);
    const r = await resetUserUnit(conn, m, a.unit);
    if (a.values.json)
      a.io.stdout.write(
        JSON.stringify({ host: conn.host, unit: a.unit, userManager: a.user, ...r }, null, 2) + '\n',
      );
    else if (r.removed.length === 0)
      a.io.stdout.write(`${a.unit} (${a.user}): nothing of hush on ${conn.host}\n`);
    else
      a.io.stdout.write(
        `${a.unit} (${a.user}): reset on ${conn.host} (removed ${r.removed.join(', ')}); ${r.restarted ? 'restarted, ' : ''}${r.activeAfter}\n`,
      );
    return 0;
  } finally {
    await conn.close();
  }
}

export async function userUnitStatusCommand(a: {
  user: string;
  unit: string;
  values: TargetFlagValues & { json?: boolean };
  io: CliIo;
}): Promise<number> {
  const conn = await connectFromFlags(a.values, a.io, 'status');
  try {
    const m = await locateUserManager(conn, a.user);
    const s = await userUnitState(conn, m, a.unit);
    if (a.values.json) a.io.stdout.write(JSON.stringify({ host: conn.host, ...s }, null, 2) + '\n');
    else
      a.io.stdout.write(
        s.content === undefined
          ? `${s.unit} (${s.user}): not hardened by hush on ${conn.host} (${s.loadState}, ${s.activeState})\n`
          : `${s.unit} (${s.user}): hardened by hush on ${conn.host} (${s.activeState}) ${s.path}\n` +
              (s.content
                .split('\n')
                .filter((l) => l.startsWith('# profile '))
                .map((l) => `  ${l.slice(2)}\n`)
                .join('') || ''),
      );
    return 0;
  } finally {
    await conn.close();
  }
}
