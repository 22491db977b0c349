/**
 * User units (`systemctl --user`, issue 14 part 4): a service of a user's own service manager
 * (user@UID.service), reached over the same SSH login as system units. Pure: text and parsers.
 *
 * - The manager: the user's uid and home from the host's passwd database, and user@UID.service
 *   active (the user is logged in, or `loginctl enable-linger USER`; without pam_systemd no user
 *   manager runs at all). Root's own manager is refused: root's services are system units.
 * - Every command for it runs AS THE USER: `runuser -u USER -- env XDG_RUNTIME_DIR=/run/user/UID
 *   systemctl --user …` (runuser, not `systemctl --user -M USER@`: the latter needs the system
 *   bus's machine route, which minimal hosts lack). The drop-in, too, is written by the user, not
 *   by root: the home directory is the user's, and a root write there would follow whatever
 *   symlink the user planted (~/.config/systemd/user/UNIT.d → /etc/…). As the user, the write
 *   lands only where the user could write anyway.
 * - The drop-in: ~/.config/systemd/user/UNIT.d/zz-hush-hardening.conf (the user manager's
 *   persistent configuration; XDG_CONFIG_HOME moved by the user's environment.d is not followed).
 *   It hardens nothing the user cannot undo: a user owns their units and may edit or mask the
 *   drop-in. What it buys is the service's own sandbox against a compromise of the service.
 * - Options: a user manager cannot set up mount namespaces without unprivileged user namespaces
 *   and never holds capabilities to drop; the resolver already knows (HostFacts.systemInstance =
 *   false gates those options, and options that imply NoNewPrivileges= in a user manager need it).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { HostFacts } from '../core/profile/hostFacts';
import { parseUnitName } from '../core/systemd/unitName';
import type { HostExec } from './host';
import { keyValueLines } from './keyValueLines';
import { parseProbeOutput, PROBE_SCRIPT, ProbeError } from './probe';
import { argv, sh, trustedScript, type ShellCommand } from './shell';

/** A login name as useradd accepts it by default (no shell or path metacharacters possible). */
export const LoginName = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a login name: lower-case letters, digits, _ and -, at most 32');

export const UserManager = z.object({
  user: LoginName,
  uid: z.number().int().min(1),
  home: z
    .string()
    // eslint-disable-next-line no-control-regex
    .regex(/^\/[^\0-\x1f\x7f]*$/, 'an absolute path without control characters')
    .refine((p) => !p.split('/').includes('..'), 'no ".." component'),
  runtimeDir: z.string(),
});
export type UserManager = z.infer<typeof UserManager>;

export class UserManagerError extends Error {}

/** The hardening drop-in's name, the same as for system units. */
export const USER_DROPIN_NAME = 'zz-hush-hardening.conf';

/**
 * Finds the user's manager, one round trip: `uid=`, `home=`, `manager=` (is-active of
 * user@UID.service). Exit 3 (with a message) when the user does not exist.
 */
export function locateUserManagerCommand(user: string): ShellCommand {
  const name = LoginName.parse(user);
  return sh`e=$(getent passwd -- ${name}) || { echo ${`no user ${name} on the host`} >&2; exit 3; }; uid=$(printf '%s\\n' "$e" | cut -d: -f3); home=$(printf '%s\\n' "$e" | cut -d: -f6); printf 'uid=%s\\nhome=%s\\nmanager=%s\\n' "$uid" "$home" "$(systemctl is-active "user@$uid.service" 2>/dev/null)"`;
}

/** Reads locateUserManagerCommand's output; refuses root and a manager that does not run. */
export function parseUserManager(user: string, text: string): UserManager {
  const kv = keyValueLines(text);
  const uidText = kv.get('uid') ?? '';
  if (!/^\d+$/.test(uidText)) throw new UserManagerError(`no uid for user ${user} on the host`);
  const uid = Number(uidText);
  if (uid === 0)
    throw new UserManagerError(`${user} is root: root's services are system units (leave out the user)`);
  if (kv.get('manager') !== 'active')
    throw new UserManagerError(
      `the service manager of ${user} (user@${uid}.service) is not running: ${user} must be logged in, or run 'loginctl enable-linger ${user}' on the host`,
    );
  const parsed = UserManager.safeParse({
    user,
    uid,
    home: kv.get('home') ?? '',
    runtimeDir: `/run/user/${uid}`,
  });
  if (!parsed.success)
    throw new UserManagerError(
      `user ${user}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Runs `argv` as the user, in the environment its manager's clients need. */
export function asUser(m: UserManager, words: readonly string[]): ShellCommand {
  return argv([
    'runuser',
    '-u',
    m.user,
    '--',
    'env',
    // systemctl --user reaches the manager through $XDG_RUNTIME_DIR/systemd/private (no bus needed)
    `XDG_RUNTIME_DIR=${m.runtimeDir}`,
    ...words,
  ]);
}

/** `systemctl --user ARGS` for the user's manager. */
export function userSystemctl(m: UserManager, args: readonly string[]): ShellCommand {
  return asUser(m, ['systemctl', '--user', ...args]);
}

export interface UserDropInPaths {
  dir: string;
  file: string;
}

export function userDropInPaths(m: UserManager, unit: string): UserDropInPaths {
  const name = parseUnitName(unit).unit;
  const dir = `${m.home}/.config/systemd/user/${name}.d`;
  return { dir, file: `${dir}/${USER_DROPIN_NAME}` };
}

/**
 * The apply, run by the user's own shell: keep the previous drop-in, write the new one (to a
 * temporary name, then renamed), daemon-reload, restart the unit if it ran (else start it only to
 * verify, then stop it again), wait `settle` seconds, and verify it is active with no restart
 * since. Else roll back to the previous drop-in (or none), reload and bring the unit back to how it
 * was. Prints one `verdict=applied|rolled-back` line; exit 0 for either, non-zero when a step of the
 * script itself failed (nothing written, or the rollback failed: the message names the file).
 * The drop-in text arrives on stdin.
 */
const USER_APPLY_SCRIPT = String.raw`
set -u
dir=$1; file=$2; unit=$3; settle=$4
umask 022
mkdir -p -- "$dir" || { echo "cannot create $dir" >&2; exit 1; }
old=$(mktemp) || exit 1
had=no; if [ -e "$file" ]; then cp -- "$file" "$old" || exit 1; had=yes; fi
tmp=$(mktemp "$dir/.hush.XXXXXX") || exit 1
cat > "$tmp" && mv -f -- "$tmp" "$file" || { rm -f -- "$tmp" "$old"; echo "cannot write $file" >&2; exit 1; }
was=$(systemctl --user is-active -- "$unit")
systemctl --user daemon-reload
ok=yes
systemctl --user restart -- "$unit" || ok=no
if [ "$ok" = yes ]; then
  n0=$(systemctl --user show -p NRestarts --value -- "$unit")
  sleep "$settle"
  [ "$(systemctl --user is-active -- "$unit")" = active ] || ok=no
  [ "$(systemctl --user show -p NRestarts --value -- "$unit")" = "$n0" ] || ok=no
fi
if [ "$ok" = yes ]; then
  [ "$was" = active ] || systemctl --user stop -- "$unit"
  rm -f -- "$old"; echo verdict=applied; exit 0
fi
if [ "$had" = yes ]; then mv -f -- "$old" "$file"; else rm -f -- "$file" "$old"; fi || { echo "rollback: cannot restore $file" >&2; exit 2; }
systemctl --user daemon-reload
systemctl --user reset-failed -- "$unit" 2>/dev/null
if [ "$was" = active ]; then systemctl --user restart -- "$unit"; else systemctl --user stop -- "$unit"; fi
echo verdict=rolled-back
`;

export function userApplyScript(): string {
  return USER_APPLY_SCRIPT;
}

/** The apply as one command (the drop-in text is its stdin). */
export function userApplyCommand(m: UserManager, unit: string, settleSec: number): ShellCommand {
  if (!Number.isInteger(settleSec) || settleSec < 0 || settleSec > 3600)
    throw new Error('settle must be 0-3600 seconds');
  const p = userDropInPaths(m, unit);
  return asUser(m, [
    'sh',
    '-c',
    trustedScript(USER_APPLY_SCRIPT).text,
    'sh',
    p.dir,
    p.file,
    parseUnitName(unit).unit,
    String(settleSec),
  ]);
}

export type UserApplyVerdict = 'applied' | 'rolled-back';

export function parseUserApply(stdout: string): UserApplyVerdict {
  const m = /^verdict=(applied|rolled-back)$/m.exec(stdout);
  if (!m) throw new UserManagerError('the user apply script printed no verdict');
  return m[1] as UserApplyVerdict;
}

// ---- The verbs the CLI drives (one round trip each, every command run as the user) ----

/** Finds the user's manager on the host (locateUserManagerCommand + parseUserManager). */
export async function locateUserManager(conn: HostExec, user: string): Promise<UserManager> {
  const r = await conn.exec(locateUserManagerCommand(user));
  if (r.code === 3) throw new UserManagerError(r.stderr.trim() || `no user ${user} on ${conn.target}`);
  if (r.code !== 0)
    throw new UserManagerError(
      `cannot look up user ${user} on ${conn.target} (exit ${r.code}): ${r.stderr.trim().slice(-300)}`,
    );
  return parseUserManager(user, r.stdout);
}

/**
 * The host probe (remote/probe.ts's one script) run as the user, its `systemctl` calls going to
 * the user's manager: the facts hush resolves a user unit's drop-in against. A shell function
 * named systemctl shadows the binary for the script (`command` reaches the binary itself).
 */
export function userProbeCommand(m: UserManager, unit: string, marker: string): ShellCommand {
  return asUser(m, [
    'sh',
    '-c',
    `systemctl() { command systemctl --user "$@"; }\n${PROBE_SCRIPT}`,
    'sh',
    parseUnitName(unit).unit,
    marker,
  ]);
}

/** Facts for a user unit: the system probe's, read through the user's manager; systemInstance false. */
export async function probeUserUnit(conn: HostExec, m: UserManager, unit: string): Promise<HostFacts> {
  const name = parseUnitName(unit).unit;
  const marker = `@@hush-probe-${randomBytes(8).toString('hex')}@@`;
  const r = await conn.exec(userProbeCommand(m, name, marker), { timeoutMs: 120_000 });
  if (r.code !== 0)
    throw new ProbeError(
      `host probe as ${m.user} failed on ${conn.target} (exit ${r.code}): ${r.stderr.trim().slice(-500)}`,
    );
  const { facts } = parseProbeOutput(r.stdout, marker, name);
  // the user's manager: no mount namespaces of its own, no capabilities to drop (core/resolve gates)
  return { ...facts, systemInstance: false };
}

export const UserUnitState = z.object({
  user: LoginName,
  unit: z.string(),
  path: z.string(),
  /** hush's drop-in as it is on the host; undefined: none. */
  content: z.string().optional(),
  activeState: z.string(),
  loadState: z.string(),
});
export type UserUnitState = z.infer<typeof UserUnitState>;

const USER_STATE_SCRIPT = String.raw`
file=$1; unit=$2
printf 'active=%s\nload=%s\n' "$(systemctl --user is-active -- "$unit")" "$(systemctl --user show -p LoadState --value -- "$unit")"
if [ -f "$file" ]; then echo present=yes; echo @@content@@; cat -- "$file"; else echo present=no; fi
`;

/** hush's drop-in of a user unit and the unit's state, read as the user. */
export async function userUnitState(conn: HostExec, m: UserManager, unit: string): Promise<UserUnitState> {
  const name = parseUnitName(unit).unit;
  const path = userDropInPaths(m, name).file;
  const r = await conn.exec(asUser(m, ['sh', '-c', USER_STATE_SCRIPT, 'sh', path, name]));
  if (r.code !== 0)
    throw new UserManagerError(
      `cannot read ${name} of ${m.user} on ${conn.target} (exit ${r.code}): ${r.stderr.trim().slice(-300)}`,
    );
  return parseUserUnitState(m.user, name, path, r.stdout);
}

export function parseUserUnitState(user: string, unit: string, path: string, stdout: string): UserUnitState {
  const at = stdout.indexOf('@@content@@\n');
  const head = keyValueLines(at < 0 ? stdout : stdout.slice(0, at));
  const present = head.get('present');
  if (present !== 'yes' && present !== 'no')
    throw new UserManagerError(`unexpected output reading ${unit} of ${user}`);
  return UserUnitState.parse({
    user,
    unit,
    path,
    ...(present === 'yes' && at >= 0 ? { content: stdout.slice(at + '@@content@@\n'.length) } : {}),
    activeState: head.get('active') ?? 'unknown',
    loadState: head.get('load') ?? 'unknown',
  });
}

export interface UserApplyResult {
  verdict: UserApplyVerdict | 'unchanged';
  path: string;
}

/**
 * Applies `text` as the user unit's drop-in (userApplyCommand: written as the user, verified,
 * rolled back on failure). The drop-in already in place with this text: nothing restarted
 * ('unchanged') unless `force`.
 */
export async function applyUserDropIn(
  conn: HostExec,
  m: UserManager,
  unit: string,
  text: string,
  opts: { settleMs: number; force?: boolean },
): Promise<UserApplyResult> {
  const name = parseUnitName(unit).unit;
  const path = userDropInPaths(m, name).file;
  if (!opts.force && (await userUnitState(conn, m, name)).content === text)
    return { verdict: 'unchanged', path };
  const r = await conn.exec(userApplyCommand(m, name, Math.ceil(opts.settleMs / 1000)), { stdin: text });
  if (r.code !== 0)
    throw new UserManagerError(
      `applying ${name} of ${m.user} on ${conn.target} failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}`,
    );
  return { verdict: parseUserApply(r.stdout), path };
}

/** Removes hush's drop-in as the user, reloads, restarts the unit if it ran. */
const USER_RESET_SCRIPT = String.raw`
file=$1; unit=$2
if [ ! -e "$file" ] && [ ! -L "$file" ]; then echo removed=no; exit 0; fi
was=$(systemctl --user is-active -- "$unit")
rm -f -- "$file" || { echo "cannot remove $file" >&2; exit 1; }
rmdir -- "$(dirname -- "$file")" 2>/dev/null
systemctl --user daemon-reload || exit 1
restarted=no
if [ "$was" = active ]; then systemctl --user restart -- "$unit" && restarted=yes; fi
printf 'removed=yes\nrestarted=%s\nactive=%s\n' "$restarted" "$(systemctl --user is-active -- "$unit")"
`;

export interface UserResetResult {
  removed: string[];
  restarted: boolean;
  activeAfter: string;
}

export function parseUserReset(path: string, stdout: string): UserResetResult {
  const kv = keyValueLines(stdout);
  const removed = kv.get('removed');
  if (removed !== 'yes' && removed !== 'no')
    throw new UserManagerError('the user reset script printed no result');
  return {
    removed: removed === 'yes' ? [path] : [],
    restarted: kv.get('restarted') === 'yes',
    activeAfter: kv.get('active') ?? 'unknown',
  };
}

export async function resetUserUnit(conn: HostExec, m: UserManager, unit: string): Promise<UserResetResult> {
  const name = parseUnitName(unit).unit;
  const path = userDropInPaths(m, name).file;
  const r = await conn.exec(asUser(m, ['sh', '-c', USER_RESET_SCRIPT, 'sh', path, name]));
  if (r.code !== 0)
    throw new UserManagerError(
      `reset of ${name} of ${m.user} on ${conn.target} failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`,
    );
  return parseUserReset(path, r.stdout);
}

/** The scripts as run (for `sh -n` in the unit tests). */
export const USER_SCRIPTS = { state: USER_STATE_SCRIPT, reset: USER_RESET_SCRIPT } as const;
