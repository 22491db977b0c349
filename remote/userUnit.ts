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
import { z } from 'zod';
import { parseUnitName } from '../core/systemd/unitName';
import { keyValueLines } from './keyValueLines';
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
