/**
 * What the profiling session itself needs to know about the unit and the host, read in one round
 * trip right before it changes anything: the properties that decide the wrapper, the unit text
 * (Exec lines, and the before/after comparison), and strace.
 */
import { randomBytes } from 'node:crypto';
import type { UnitInfo } from '../../core/profiling/unitInfo';
import { SECCOMP_BOOLEANS } from '../../core/profiling/wrapper';
import { EXEC_DIRECTIVES } from '../../core/systemd/execLines';
import type { HostExec } from '../host';
import { keyValueLines } from '../keyValueLines';
import { sh, trustedScript } from '../shell';

export const SESSION_PROPERTIES = [
  'LoadState',
  'ActiveState',
  'SubState',
  'Type',
  'User',
  'Group',
  'SupplementaryGroups',
  'AmbientCapabilities',
  'DynamicUser',
  'PAMName',
  // what decides no_new_privs for a User= command (core/profiling impliesNoNewPrivileges)
  'NoNewPrivileges',
  ...SECCOMP_BOOLEANS,
  'RestrictNamespaces',
  'SystemCallArchitectures',
  'SystemCallLog',
  'NotifyAccess',
  'KillMode',
  'SystemCallFilter',
  'RestrictAddressFamilies',
  'CapabilityBoundingSet',
  'NoExecPaths',
  'RootDirectory',
  'RootImage',
  'WorkingDirectory',
  'SyslogIdentifier',
  'TimeoutStartUSec',
  'TimeoutStopUSec',
  'WatchdogUSec',
  'NRestarts',
  'ExecMainPID',
  'MainPID',
  'Slice',
] as const;

const SCRIPT = String.raw`
unit=$1; m=$2; shift 2
sec() { printf '\n%s%s\n' "$m" "$1"; }
sec show; systemctl show --no-pager "$@" -- "$unit" 2>/dev/null
sec exec; systemctl show --no-pager ${EXEC_DIRECTIVES.map((d) => `-p ${d}`).join(' ')} -- "$unit" 2>/dev/null
sec cat; systemctl cat --no-pager -- "$unit" 2>/dev/null; rc=$?; sec catrc; echo $rc
sec strace
if p=$(command -v strace 2>/dev/null); then
  echo "$p"; "$p" -V 2>&1 | head -n 1
  if "$p" --argv0 hush -o /dev/null -- /bin/true >/dev/null 2>&1; then echo argv0; else echo no-argv0; fi
fi
sec bash; command -v bash 2>/dev/null
sec setpriv; command -v setpriv 2>/dev/null
sec creds
# static users only: a DynamicUser= unit's running user resolves too, but its uid is allocated anew
# at each start (the launcher reads it then); systemd's own lookups bypass it the same way
export SYSTEMD_NSS_DYNAMIC_BYPASS=1
u=$(systemctl show -p User --value -- "$unit" 2>/dev/null); g=$(systemctl show -p Group --value -- "$unit" 2>/dev/null)
if [ -n "$u" ] && getent passwd -- "$u" >/dev/null 2>&1; then
  # groups: those that list the user as a member (initgroups adds them to the primary group)
  pg=$(id -g -- "$u"); gs=
  for x in $(id -G -- "$u"); do
    if [ "$x" != "$pg" ] || getent group -- "$x" | cut -d: -f4 | tr , '\n' | grep -qxF -- "$u"; then gs="$gs $x"; fi
  done
  echo "uid $(id -u -- "$u")"; echo "gid $pg"; echo "groups$gs"
fi
if [ -n "$g" ]; then echo "group $(getent group -- "$g" | cut -d: -f3)"; fi
for x in $(systemctl show -p SupplementaryGroups --value -- "$unit" 2>/dev/null); do echo "supplementary $(getent group -- "$x" | cut -d: -f3)"; done
sec end
`;

export async function readUnitInfo(conn: HostExec, unit: string): Promise<UnitInfo> {
  const m = `@@hush-unit-${randomBytes(6).toString('hex')}@@`;
  const props = SESSION_PROPERTIES.flatMap((p) => ['-p', p]);
  const r = await conn.exec(sh`set -- ${unit} ${m} ${props}; ${trustedScript(SCRIPT)}`, {
    timeoutMs: 120_000,
    check: true,
  });
  return parseUnitInfo(r.stdout, m);
}

export function parseUnitInfo(text: string, marker: string): UnitInfo {
  const sections: Record<string, string> = {};
  for (const part of text.split(`\n${marker}`).slice(1)) {
    const nl = part.indexOf('\n');
    sections[nl < 0 ? part : part.slice(0, nl)] = nl < 0 ? '' : part.slice(nl + 1);
  }
  const properties = Object.fromEntries(keyValueLines(sections.show ?? ''));
  const execCounts: Record<string, number> = {};
  for (const line of (sections.exec ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    // one `{ path=… ; argv[]=… }` per command; `systemctl show` prints one line per command
    const n = (line.slice(eq + 1).match(/\{ path=/g) ?? []).length;
    execCounts[key] = (execCounts[key] ?? 0) + n;
  }
  const info: UnitInfo = { properties, execCounts };
  const catrc = (sections.catrc ?? '').trim();
  if (catrc === '0' && sections.cat !== undefined) info.catText = sections.cat;
  const st = (sections.strace ?? '').split('\n').filter(Boolean);
  if (st[0]?.startsWith('/')) {
    info.strace = {
      path: st[0],
      version: (st[1] ?? '').trim(),
      supportsArgv0: st[2] === 'argv0',
    };
  }
  const bash = (sections.bash ?? '').trim();
  if (bash.startsWith('/')) info.bashPath = bash;
  const setpriv = (sections.setpriv ?? '').trim();
  if (setpriv.startsWith('/')) info.setprivPath = setpriv;
  const creds = parseCredentials(sections.creds ?? '');
  if (creds) info.credentials = creds;
  return info;
}

/** The `creds` section: `uid N`, `gid N`, `groups N…`, `group N`, `supplementary N` lines (a group that does not resolve gives an empty number and is skipped). */
function parseCredentials(text: string): UnitInfo['credentials'] {
  const out: NonNullable<UnitInfo['credentials']> = { groups: [], supplementary: [] };
  let any = false;
  const num = (s: string | undefined): number | undefined =>
    s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    const n = num(rest[0]);
    if (key === 'uid' && n !== undefined) out.uid = n;
    else if (key === 'gid' && n !== undefined) out.gid = n;
    else if (key === 'group' && n !== undefined) out.group = n;
    else if (key === 'groups') out.groups = rest.map(num).filter((x): x is number => x !== undefined);
    else if (key === 'supplementary' && n !== undefined) out.supplementary.push(n);
    else continue;
    any = true;
  }
  return any ? out : undefined;
}
