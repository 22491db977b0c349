/**
 * What the Pulumi provider reads back from a host: the hardening drop-in as it is now, a digest
 * of the unit's own configuration (to notice a package upgrade rewriting the unit), and the live
 * `systemd-analyze security` score. One SSH round trip each.
 */
import type { HostExec } from './host';
import { hardeningPaths } from './paths';
import { sh } from './shell';
import { parseDropIn } from '../core/dropin/parse';

export interface DropInState {
  unit: string;
  path: string;
  /** The drop-in's text, or null when the file does not exist. */
  content: string | null;
  /**
   * sha256 of `systemctl cat UNIT` without hush's own drop-in: changes when the unit file or
   * another drop-in changes (not when only hush's file does).
   */
  unitDigest: string;
}

const MARK = '@@hush-state@@';

export async function readDropInState(conn: HostExec, unit: string): Promise<DropInState> {
  const { unit: name, file } = hardeningPaths(unit);
  // systemctl cat prints each file with a `# /path` header; hush's own section is dropped by awk
  // so the digest follows everything but hush. The header travels in the environment, not
  // `awk -v`, which would expand the backslash escapes of a unit name like `foo\x2dbar.service`.
  const cmd = sh`if [ -e ${file} ]; then echo present; cat -- ${file}; else echo absent; fi; printf '\n%s\n' ${MARK}; systemctl cat -- ${name} 2>/dev/null | HUSH_OWN=${'# ' + file} awk '/^# [/]/{skip=($0==ENVIRON["HUSH_OWN"])} !skip' | sha256sum | cut -d' ' -f1`;
  const r = await conn.exec(cmd, { check: true });
  const at = r.stdout.lastIndexOf(`\n${MARK}\n`);
  if (at < 0) throw new Error(`unexpected reply from ${conn.target} reading ${file}`);
  // Everything before the newline printed ahead of the marker: the file's bytes exactly.
  const head = r.stdout.slice(0, at);
  const digest = r.stdout.slice(at + MARK.length + 2).trim();
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`unexpected unit digest from ${conn.target}`);
  const present = head.startsWith('present\n');
  if (!present && !head.startsWith('absent\n')) throw new Error(`unexpected reply from ${conn.target}`);
  return {
    unit: name,
    path: file,
    content: present ? head.slice('present\n'.length) : null,
    unitDigest: digest,
  };
}

/** `systemd-analyze security UNIT`'s overall exposure (0.0 best … 10.0), or null if it has none. */
export async function liveExposure(conn: HostExec, unit: string): Promise<number | null> {
  const { unit: name } = hardeningPaths(unit);
  const r = await conn.exec(sh`systemd-analyze security --no-pager -- ${name} 2>&1 | tail -n 3`);
  return parseOverallExposure(r.stdout);
}

export function parseOverallExposure(text: string): number | null {
  const m = /Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** One assignment of a hardening option outside hush's own file (by hand, or by the unit's package). */
export interface ForeignHardening {
  option: string;
  value: string;
  /** The unit file or drop-in that sets it, as `systemctl cat` names it. */
  file: string;
}

/**
 * The hardening options a unit carries outside hush's file: `systemctl cat UNIT` split at its
 * `# /path` headers, each file parsed as systemd reads it, the `[Service]` assignments of the
 * options hush manages kept (hush's own file skipped). Pure; `optionNames` from core/systemd.
 */
export function hardeningOutsideHush(
  catText: string,
  hushFile: string,
  optionNames: ReadonlySet<string>,
): ForeignHardening[] {
  const out: ForeignHardening[] = [];
  const files: { path: string; lines: string[] }[] = [];
  for (const line of catText.split('\n')) {
    const header = /^# (\/\S+)$/.exec(line);
    if (header?.[1]) files.push({ path: header[1], lines: [] });
    else files.at(-1)?.lines.push(line);
  }
  for (const f of files) {
    if (f.path === hushFile) continue;
    for (const a of parseDropIn(f.lines.join('\n')).assignments)
      if (a.section === 'Service' && optionNames.has(a.option))
        out.push({ option: a.option, value: a.value, file: f.path });
  }
  return out;
}

/** `systemctl cat UNIT` (empty when systemd does not know the unit). */
export async function unitCatText(conn: HostExec, unit: string): Promise<string> {
  const { unit: name } = hardeningPaths(unit);
  return (await conn.exec(sh`systemctl cat -- ${name} 2>/dev/null`)).stdout;
}
