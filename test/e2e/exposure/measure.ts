/**
 * Measures what systemd itself says about a unit: its `systemctl show` properties and
 * `systemd-analyze security` (overall line, and every check's badness from the debug JSON), before
 * and after a drop-in written to /etc/systemd/system/UNIT.d/zz-test.conf. The drop-in is always
 * removed again (and the manager reloaded), also when a step fails.
 */
import { z } from 'zod';
import { sh, type ShellCommand } from '../../../remote/shell';
import { MODELLED_PROPERTIES, parseSystemctlShow, type UnitProperties } from '../../../core/exposure';
import type { LiveScore } from '../../../core/exposure/fixtures/recording';

export interface Exec {
  (command: ShellCommand, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const DebugRow = z.object({ json_field: z.string(), badness: z.union([z.number(), z.string()]) });

const UNIT_NAME = /^[A-Za-z0-9:_.@-]+\.service$/;

async function run(exec: Exec, command: ShellCommand, stdin?: string): Promise<string> {
  const r = await exec(command, stdin);
  if (r.code !== 0) throw new Error(`${command.text} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

const MARK = '\n@@hush-exposure@@\n';

/** One round trip: `systemctl show`, the debug JSON and the text summary, separated by a marker line. */
export async function measureUnit(
  exec: Exec,
  unit: string,
): Promise<{ properties: UnitProperties; live: LiveScore }> {
  if (!UNIT_NAME.test(unit)) throw new Error(`unexpected unit name ${unit}`);
  const out = await run(
    exec,
    sh`systemctl show -- ${unit} && printf '\n@@hush-exposure@@\n' && SYSTEMD_ANALYZE_DEBUG=1 systemd-analyze security --no-pager --json=short -- ${unit} && printf '\n@@hush-exposure@@\n' && LC_ALL=C systemd-analyze security --no-pager -- ${unit}`,
  );
  const [showText = '', json = '', text = ''] = out.split(MARK);
  const show = parseSystemctlShow(showText);
  const properties = Object.fromEntries(
    MODELLED_PROPERTIES.filter((k) => k in show).map((k) => [k, show[k] as string]),
  );
  const overall = /Overall exposure level for \S+: ([0-9.]+) ([A-Z]+)/.exec(text);
  if (!overall) throw new Error(`no overall exposure line for ${unit}:\n${text.slice(-500)}`);
  const rows = z.array(DebugRow).parse(JSON.parse(json));
  return {
    properties,
    live: {
      score: overall[1] as string,
      label: overall[2] as string,
      // N/A rows carry UINT64_MAX, printed as a huge number.
      checks: Object.fromEntries(
        rows.map((r) => [r.json_field, Number(r.badness) > 1e6 ? null : Number(r.badness)]),
      ),
    },
  };
}

export async function withDropIn<T>(
  exec: Exec,
  unit: string,
  text: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!UNIT_NAME.test(unit)) throw new Error(`unexpected unit name ${unit}`);
  const dir = `/etc/systemd/system/${unit}.d`;
  const file = `${dir}/zz-test.conf`;
  try {
    await run(exec, sh`mkdir -p -- ${dir} && cat > ${file} && systemctl daemon-reload`, text);
    return await fn();
  } finally {
    await run(
      exec,
      sh`rm -f -- ${file} && rmdir --ignore-fail-on-non-empty -- ${dir} && systemctl daemon-reload`,
    );
  }
}

/** Resolves a unit name pattern (`postgresql@*-main.service`) to the loaded unit it names. */
export async function resolveUnit(exec: Exec, pattern: string): Promise<string> {
  if (!pattern.includes('*')) return pattern;
  const out = await run(
    exec,
    sh`systemctl list-units --all --plain --no-legend --type=service -- ${pattern}`,
  );
  const unit = out.split('\n')[0]?.split(/\s+/)[0];
  if (!unit) throw new Error(`no unit matches ${pattern}`);
  return unit;
}

export async function systemdVersion(exec: Exec): Promise<string> {
  return (await run(exec, sh`systemctl --version`)).split('\n')[0]?.replace(/^systemd /, '') ?? '';
}

export async function syscallFilterListing(exec: Exec): Promise<string> {
  return run(exec, sh`systemd-analyze syscall-filter --no-pager`);
}
