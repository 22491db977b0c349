/**
 * What the profiling session itself needs to know about the unit and the host, read in one round
 * trip right before it changes anything: the properties that decide the wrapper, the unit text
 * (Exec lines, and the before/after comparison), and strace.
 */
import { randomBytes } from 'node:crypto';
import type { UnitInfo } from '../../core/profiling/unitInfo';
import type { Connection } from '../connection';
import { sh, trustedScript } from '../shell';

export const SESSION_PROPERTIES = [
  'LoadState',
  'ActiveState',
  'SubState',
  'Type',
  'User',
  'DynamicUser',
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
] as const;

const SCRIPT = String.raw`
unit=$1; m=$2; shift 2
sec() { printf '\n%s%s\n' "$m" "$1"; }
sec show; systemctl show --no-pager "$@" -- "$unit" 2>/dev/null
sec exec; systemctl show --no-pager -p ExecCondition -p ExecStartPre -p ExecStart -p ExecStartPost -p ExecReload -p ExecStop -p ExecStopPost -- "$unit" 2>/dev/null
sec cat; systemctl cat --no-pager -- "$unit" 2>/dev/null; rc=$?; sec catrc; echo $rc
sec strace
if p=$(command -v strace 2>/dev/null); then
  echo "$p"; "$p" -V 2>&1 | head -n 1
  if "$p" --argv0 hush -o /dev/null -- /bin/true >/dev/null 2>&1; then echo argv0; else echo no-argv0; fi
fi
sec bash; command -v bash 2>/dev/null
sec end
`;

export async function readUnitInfo(conn: Connection, unit: string): Promise<UnitInfo> {
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
  const properties: Record<string, string> = {};
  for (const line of (sections.show ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) properties[line.slice(0, eq)] = line.slice(eq + 1);
  }
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
  return info;
}
