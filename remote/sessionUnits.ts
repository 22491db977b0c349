/**
 * Units whose children are other people's sessions or jobs (sshd, getty, display and login
 * managers, cron/at, and whatever unit hush's own SSH session descends from). Everything systemd
 * sets up for a unit's processes (mount namespace, capability bounding set, no_new_privs, seccomp
 * filters, credentials) is inherited by every process they start: hardening sshd the way a web
 * server is hardened gives every login a read-only /etc, a private /tmp, a reduced capability set
 * and no new privileges (sudo stops working). So such units are DETECTED on the host, never
 * recognized by name:
 *   - the process ancestry of hush's own SSH session, and of every logind session leader: an
 *     ancestor in the unit's cgroup, or the unit's MainPID, means the session descends from it;
 *   - processes in the unit's cgroup that carry a login uid (pam_loginuid: a session or a job run
 *     on a user's behalf, e.g. cron's);
 *   - at rest, with nobody logged in and no job running: the unit opens PAM sessions itself
 *     (`PAMName=`, e.g. user@.service) or a program of its ExecStart= calls pam_open_session (cron,
 *     atd, an FTP daemon): what it starts runs as a user's session;
 *   - the profile, when there is one: a process of the unit changed its credentials and then ran
 *     a login shell itself.
 *
 * Policy (SessionUnitPolicy): `refuse` (default) — an error that says exactly this; `session-safe`
 * — only options that act on the unit's own cgroup (BPF filters, the device controller), which
 * sessions leave behind when logind moves them into their own scope; on a host where sessions stay
 * in the unit's cgroup (no pam_systemd) nothing is safe and that is refused too; `sandbox-sessions`
 * — everything, sessions included (a bastion whose logins should be confined). Whatever is applied
 * is then proven by the fresh-login confirmation (remote/access.ts): a change that breaks logins,
 * sudo or /etc writes is reverted by the host.
 *
 *   const reach = await detectSessionReach(conn, 'ssh.service', profile);
 *   enforceSessionPolicy(reach, 'refuse', dropInText);          // throws SessionUnitError
 *   const plan2 = restrictPlanToSessionSafe(plan, reach);        // --session-safe
 */
import { z } from 'zod';
import { parseDropIn } from '../core/dropin/parse';
import type { Profile } from '../core/profile/schema';
import type { Plan } from '../core/resolve/plan';
import type { HostExec } from './host';
import { sh, trustedScript } from './shell';
import { parseRunnableUnitName } from '../core/systemd/unitName';

export const SessionUnitPolicy = z.enum(['refuse', 'session-safe', 'sandbox-sessions']);
export type SessionUnitPolicy = z.infer<typeof SessionUnitPolicy>;

/**
 * Options systemd implements on the unit's cgroup (BPF programs, the device controller) rather than
 * on its processes: a process that leaves the cgroup (a login session moved into its own scope by
 * pam_systemd) leaves them behind. Everything else (mount namespace, capabilities, no_new_privs,
 * seccomp, credentials, UMask, keyring) travels with every child across fork and exec.
 */
export const CGROUP_SCOPED_OPTIONS: ReadonlySet<string> = new Set([
  'IPAddressAllow',
  'IPAddressDeny',
  'SocketBindAllow',
  'SocketBindDeny',
  'RestrictNetworkInterfaces',
  'RestrictFileSystems',
  'DevicePolicy',
  'DeviceAllow',
]);

export interface SessionReach {
  unit: string;
  /** One line per piece of evidence that the unit's children are sessions or jobs. Empty: none. */
  evidence: string[];
  /**
   * Sessions or jobs run inside the unit's own cgroup (no pam_systemd moving them into a scope):
   * then even cgroup-scoped options reach them.
   */
  sessionsStayInCgroup: boolean;
}

/** The unit would pass its sandbox on to sessions, and the policy does not allow what was asked. */
export class SessionUnitError extends Error {
  constructor(
    readonly reach: SessionReach,
    readonly policy: SessionUnitPolicy,
    detail: string,
  ) {
    super(detail);
    this.name = 'SessionUnitError';
  }
}

/**
 * Host side. Arg: the unit. Records (tab-separated):
 *   U <ControlGroup> <MainPID>
 *   A <who> <session pid> <session cgroup> <ancestor pid> <ancestor comm>  (a chain reaching the unit)
 *   L <pid> <comm> <loginuid>   (a process in the unit's cgroup with a login uid)
 *   S <path>                    (a login shell from /etc/shells)
 *   P <what>                    (PAM sessions: `PAMName=NAME`, or an ExecStart= program calling pam_open_session)
 */
export const SESSION_REACH_SCRIPT = String.raw`
unit=$1
cg=$(systemctl show -p ControlGroup --value -- "$unit" 2>/dev/null)
main=$(systemctl show -p MainPID --value -- "$unit" 2>/dev/null)
printf 'U\t%s\t%s\n' "$cg" "$main"
cgof() { sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null; }
inunit() { [ -n "$cg" ] && [ "$cg" != / ] && { [ "$1" = "$cg" ] || case $1 in "$cg"/*) true ;; *) false ;; esac; }; }
# Walks from $2 up to PID 1 and prints the topmost process on the way that is the unit's MainPID
# or in its cgroup (for sshd: the listener, not the session's own shell).
chain() {
  who=$1; p=$2; c0=$(cgof "$2"); n=0; hit=
  while [ -n "$p" ] && [ "$p" -gt 1 ] && [ "$n" -lt 64 ]; do
    c=$(cgof "$p")
    if { [ -n "$main" ] && [ "$main" != 0 ] && [ "$p" = "$main" ]; } || inunit "$c"; then hit=$p
    elif [ -n "$hit" ]; then break; fi
    p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null); n=$((n + 1))
  done
  [ -n "$hit" ] && printf 'A\t%s\t%s\t%s\t%s\t%s\n' "$who" "$2" "$c0" "$hit" "$(tr -d '\t\n' <"/proc/$hit/comm" 2>/dev/null)"
}
chain "hush's own SSH session" $$
if command -v loginctl >/dev/null 2>&1; then
  for s in $(loginctl list-sessions --no-legend 2>/dev/null | awk '{print $1}'); do
    leader=$(loginctl show-session -p Leader --value -- "$s" 2>/dev/null)
    u=$(loginctl show-session -p Name --value -- "$s" 2>/dev/null)
    [ -n "$leader" ] && [ "$leader" != 0 ] && chain "login session $s of $u" "$leader"
  done
fi
if [ -n "$cg" ] && [ "$cg" != / ] && [ -d "/sys/fs/cgroup$cg" ]; then
  find "/sys/fs/cgroup$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r p; do
    l=$(cat "/proc/$p/loginuid" 2>/dev/null) || continue
    [ "$l" = 4294967295 ] || printf 'L\t%s\t%s\t%s\n' "$p" "$(tr -d '\t\n' <"/proc/$p/comm" 2>/dev/null)" "$l"
  done
fi
sed -n 's/^[[:space:]]*\(\/[^[:space:]#]*\).*/S\t\1/p' /etc/shells 2>/dev/null
pam=$(systemctl show -p PAMName --value -- "$unit" 2>/dev/null)
[ -n "$pam" ] && printf 'P\tPAMName=%s\n' "$(printf '%s' "$pam" | tr -d '\t\n')"
systemctl show -p ExecStart --value -- "$unit" 2>/dev/null | sed -n 's/^.*path=\([^ ;]*\).*$/\1/p' | sort -u |
  while read -r b; do
    [ -f "$b" ] && grep -qs pam_open_session -- "$b" && printf 'P\t%s calls pam_open_session\n' "$(printf '%s' "$b" | tr -d '\t')"
  done
true
`;

/** The pure reading of the script's records, plus the profile's evidence. */
export function parseSessionReach(unit: string, text: string, profile?: Profile): SessionReach {
  let cg = '';
  const evidence: string[] = [];
  let stay = false;
  let leave = false;
  const shells = new Set<string>();
  const logins: string[] = [];
  const pam: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'U') cg = f[1] ?? '';
    else if (f[0] === 'A') {
      const [, who, pid, pidCg, anc, comm] = f;
      const inside = cg !== '' && (pidCg === cg || (pidCg ?? '').startsWith(`${cg}/`));
      if (inside) stay = true;
      else leave = true;
      evidence.push(
        `${who} (pid ${pid}${inside ? `, still in ${unit}'s cgroup` : ''}) descends from ${unit} (pid ${anc} ${comm})`,
      );
    } else if (f[0] === 'L') {
      logins.push(`pid ${f[1]} ${f[2]} (login uid ${f[3]})`);
    } else if (f[0] === 'S' && f[1]) shells.add(f[1]);
    else if (f[0] === 'P' && f[1]) pam.push(f[1]);
  }
  if (logins.length > 0) {
    stay = true;
    evidence.push(
      `${logins.length} process(es) in ${unit}'s cgroup run for a logged-in user: ${logins.slice(0, 3).join(', ')}`,
    );
  }
  if (pam.length > 0) {
    evidence.push(`it opens PAM sessions for users (${pam.join('; ')})`);
    // Nothing at rest shows whether those sessions leave its cgroup.
    if (!leave) stay = true;
  }
  if (profile) {
    const fromProfile = profileSessionEvidence(profile, shells);
    if (fromProfile) {
      evidence.push(fromProfile);
      // A traced job may have stayed in the unit's cgroup: nothing shows that it left.
      if (!leave) stay = true;
    }
  }
  return { unit, evidence, sessionsStayInCgroup: stay };
}

/**
 * The profile shows a process of the unit changing its credentials and then running a login shell
 * itself: it runs programs for other users (a session, a cron job: the job's process switches to
 * the user, then execs the user's shell). Only the same process counts: a daemon that drops
 * privileges in one process while another runs `sh -c` for its own helpers (pg_ctlcluster does)
 * starts no one's session. Pure; null when the profile shows no such process.
 */
export function profileSessionEvidence(profile: Profile, shells: ReadonlySet<string>): string | null {
  const credentialsChanged = new Map<number, string>();
  for (const { action } of profile.actions) {
    if (action.kind === 'setCredentials' && !credentialsChanged.has(action.ev.pid))
      credentialsChanged.set(action.ev.pid, action.call);
  }
  for (const { action } of profile.actions) {
    if (action.kind !== 'path' || action.access !== 'exec' || !shells.has(action.path)) continue;
    const call = credentialsChanged.get(action.ev.pid);
    if (call !== undefined)
      return `the profile shows a process changing its credentials (${call}) and running a login shell (${action.path}), pid ${action.ev.pid}`;
  }
  return null;
}

/** One round trip: what on the host shows that the unit's children are sessions or jobs. */
export async function detectSessionReach(
  conn: HostExec,
  unit: string,
  profile?: Profile,
): Promise<SessionReach> {
  const name = parseRunnableUnitName(unit).unit;
  const r = await conn.exec(sh`set -- ${name}; ${trustedScript(SESSION_REACH_SCRIPT)}`, {
    check: true,
    timeoutMs: 120_000,
  });
  return parseSessionReach(name, r.stdout, profile);
}

/** The options a session-safe drop-in may set for this unit on this host (empty when sessions stay). */
export function sessionSafeOptions(reach: SessionReach): ReadonlySet<string> {
  return reach.sessionsStayInCgroup ? new Set() : CGROUP_SCOPED_OPTIONS;
}

function why(reach: SessionReach): string {
  return (
    `${reach.unit} starts other people's sessions or jobs: ${reach.evidence.join('; ')}. ` +
    `Every process it starts inherits its sandbox: hardening it would give every login session a ` +
    `read-only /etc, a private /tmp, a reduced capability set and no new privileges (sudo stops working)`
  );
}

const SESSION_SAFE_HINT =
  'only options that stay with its own cgroup, which sessions moved into their own scope by pam_systemd leave behind';

/**
 * Throws SessionUnitError unless `policy` allows this drop-in on this unit. `dropInText` is checked
 * under `session-safe`: every option it sets must be session-safe here.
 */
export function enforceSessionPolicy(
  reach: SessionReach,
  policy: SessionUnitPolicy,
  dropInText?: string,
): void {
  if (reach.evidence.length === 0 || policy === 'sandbox-sessions') return;
  if (policy === 'refuse') {
    throw new SessionUnitError(
      reach,
      policy,
      `${why(reach)}. Refusing. --session-safe hardens ${SESSION_SAFE_HINT}` +
        `${reach.sessionsStayInCgroup ? ' (here sessions stay in its cgroup, so nothing would be left)' : ''}; ` +
        `--sandbox-sessions applies the hardening to the sessions too. Either way a fresh login must ` +
        `still work, sudo and an /etc write included, or the host reverts the change.`,
    );
  }
  const safe = sessionSafeOptions(reach);
  if (safe.size === 0) {
    throw new SessionUnitError(
      reach,
      policy,
      `${why(reach)}. --session-safe allows ${SESSION_SAFE_HINT}; on this host its sessions or jobs stay in ` +
        `its cgroup (no pam_systemd), so even those reach them: nothing can be hardened safely.`,
    );
  }
  if (dropInText === undefined) return;
  const unsafe = [
    ...new Set(
      parseDropIn(dropInText)
        .assignments.filter((a) => a.section === 'Service' && !safe.has(a.option))
        .map((a) => a.option),
    ),
  ];
  if (unsafe.length > 0) {
    throw new SessionUnitError(
      reach,
      policy,
      `${why(reach)}. --session-safe allows ${[...safe].join(', ')} only; the drop-in also sets ${unsafe.join(', ')}.`,
    );
  }
}

/**
 * `session-safe`: keeps only the options sessions leave behind; the others move to `rejected`
 * with the reason. Pure. Throws SessionUnitError when nothing would be left.
 */
export function restrictPlanToSessionSafe(plan: Plan, reach: SessionReach): Plan {
  if (reach.evidence.length === 0) return plan;
  enforceSessionPolicy(reach, 'session-safe');
  const kept = keepCgroupScopedOptions(plan, reach.unit);
  if (kept.chosen.length === 0) {
    throw new SessionUnitError(
      reach,
      'session-safe',
      `${why(reach)}. --session-safe keeps ${[...CGROUP_SCOPED_OPTIONS].join(', ')} only, and the profile allows none of them.`,
    );
  }
  return kept;
}

/**
 * The plan with only the options on the unit's own cgroup (CGROUP_SCOPED_OPTIONS); the others move
 * to `rejected`. Pure, and without looking at the host: for a caller that was TOLD the unit starts
 * sessions (a declared `sessionUnit: 'session-safe'`, e.g. the Pulumi component, which resolves
 * without a connection). The apply that follows still checks the host (applyDropIn enforces the
 * policy there, and refuses where sessions stay in the unit's cgroup).
 */
export function keepCgroupScopedOptions(plan: Plan, unit: string): Plan {
  const kept = plan.chosen.filter((d) => CGROUP_SCOPED_OPTIONS.has(d.option));
  const dropped = plan.chosen
    .filter((d) => !CGROUP_SCOPED_OPTIONS.has(d.option))
    .map((d) => ({
      option: d.option,
      value: Array.isArray(d.value) ? d.value.join(' ') : d.value,
      why: `--session-safe: ${unit}'s sessions would inherit it`,
    }));
  return { ...plan, chosen: kept, rejected: [...plan.rejected, ...dropped] };
}
