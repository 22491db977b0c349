/**
 * Drop-in fuzz (issue 12): hostile path items, rendered by hush for each path grammar, installed
 * on a test host as runtime units and read back by the real systemd over D-Bus; what systemd reads
 * must be exactly what hush meant, and what hush's own parser reads from the same text too. An item
 * hush cannot write safely must be refused (DropInSyntaxError), never written half-right.
 *
 * One unit per item (so an item systemd drops cannot shift the others), every unit written in one
 * round trip and loaded by one daemon-reload; the units are never started, live under /run and are
 * removed before the function returns.
 */
import { DropInSyntaxError, parseDropIn, renderAssignment } from '../../core/dropin';
import { readBindMounts, readPathItems } from '../../core/dropin/pathItems';
import type { TestHost } from '../host';
import { seededRandom as random } from '../../core/strace/testkit';

/** Pieces path components are made of: quoting, separators, specifiers, escapes, odd Unicode. */
const PIECES = [
  'a', 'Z9', '.', '-', '_', ' ', '  ', '\t', '\n', '\r', ':', '::', '%', '%%', '%n', '%i', '\\',
  '\\n', '\\x41', '"', "'", ';', '#', '=', '$', '${X}', '*', '?', '[', '{', '}', '~', ',', 'é',
  '日本', '\u00a0', '\u2028', '\x7f', '\x01', '\udc80', '..', '@', '!', '+', '|', '&', '<', '>',
]; // prettier-ignore

export function hostilePaths(seed: number, count: number): string[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    const n = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < n; j++) {
      let c = '';
      const m = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < m; k++) c += pick(PIECES);
      parts.push(c);
    }
    out.push(`/srv/hush-fuzz/${parts.join('/')}`);
  }
  return out;
}

/** What one item should mean to systemd, per setting (D-Bus property values). */
interface Expected {
  ReadWritePaths?: string[];
  BindReadOnlyPaths?: [string, string, boolean][];
  DeviceAllow?: [string, string][];
  TemporaryFileSystem?: [string, string][];
}

export interface FuzzReport {
  seed: number;
  items: number;
  /** Settings rendered and compared with systemd's reading. */
  written: number;
  /** Settings hush refused to write (DropInSyntaxError). */
  refused: number;
  /** Every difference: between what hush meant and what systemd or hush's own parser read. */
  mismatches: string[];
  /** systemd's version as `systemctl --version` prints its first line. */
  systemd: string;
}

/** D-Bus object path of a unit (sd_bus_path_encode: every byte but [A-Za-z0-9] as _XX). */
export function unitObjectPath(unit: string): string {
  const enc = [...Buffer.from(unit)]
    .map((b) =>
      /[A-Za-z0-9]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `_${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
  return `/org/freedesktop/systemd1/unit/${enc}`;
}

/** The path settings whose D-Bus values are compared with what hush meant. */
export const PATH_PROPERTIES = [
  'BindPaths',
  'BindReadOnlyPaths',
  'DeviceAllow',
  'ReadWritePaths',
  'ReadOnlyPaths',
  'InaccessiblePaths',
  'TemporaryFileSystem',
] as const;
export type PathProperty = (typeof PATH_PROPERTIES)[number];

/** A shell command printing each property's D-Bus value of `unit`, one JSON line each (busctl). */
export function readPropertiesCommand(unit: string, props: readonly PathProperty[]): string {
  return `busctl --json=short get-property org.freedesktop.systemd1 ${unitObjectPath(unit)} org.freedesktop.systemd1.Service ${props.join(' ')}`;
}

/**
 * One setting's D-Bus value (busctl's `data`) in the shape compared: namespace paths as strings
 * with their `-`/`+` prefixes, bind mounts as [source, destination, ignore-missing] (the mount
 * flags left out), device and tmpfs items as [path, rights|options].
 */
export function systemdItems(option: PathProperty, data: unknown): unknown[] {
  const rows = data as unknown[][];
  if (option === 'BindPaths' || option === 'BindReadOnlyPaths') return rows.map(([s, d, i]) => [s, d, i]);
  return rows;
}

/** The same shape, as hush's own parser reads one assignment's value of `option`. */
export function hushItems(option: PathProperty, value: string): unknown[] {
  const split = (v: string, at: string) => {
    const i = v.lastIndexOf(at);
    return i < 0 ? [v, ''] : [v.slice(0, i), v.slice(i + 1)];
  };
  switch (option) {
    case 'BindPaths':
    case 'BindReadOnlyPaths':
      return readBindMounts(value).map((b) => [
        b.source.replace(/^-/, ''),
        b.destination ?? b.source.replace(/^-/, ''),
        b.source.startsWith('-'),
      ]);
    case 'DeviceAllow':
      return readPathItems('device', value).map((v) => split(v, ' '));
    case 'TemporaryFileSystem':
      return readPathItems('tmpfs', value).map((v) => split(v, ':'));
    default:
      return readPathItems('namespace', value);
  }
}

export async function fuzzDropIns(host: TestHost, seed: number, count: number): Promise<FuzzReport> {
  const report: FuzzReport = { seed, items: count, written: 0, refused: 0, mismatches: [], systemd: '' };
  const units: { name: string; text: string; expected: Expected }[] = [];
  const paths = hostilePaths(seed, count);
  paths.forEach((path, i) => {
    const name = `hush-fuzz-${i}.service`;
    const ignore = i % 2 === 1; // every other item with the "-" (missing is fine) prefix
    const lines: string[] = ['[Service]', 'ExecStart=/bin/true'];
    const expected: Expected = {};
    const attempt = (option: string, item: string, expect: () => void) => {
      try {
        lines.push(...renderAssignment({ option, value: [item] } as Parameters<typeof renderAssignment>[0]));
        expect();
        report.written++;
      } catch (e) {
        if (!(e instanceof DropInSyntaxError)) throw e;
        report.refused++;
      }
    };
    const dash = ignore ? '-' : '';
    attempt('ReadWritePaths', dash + path, () => (expected.ReadWritePaths = [dash + path]));
    attempt('BindReadOnlyPaths', dash + path, () => (expected.BindReadOnlyPaths = [[path, path, ignore]]));
    const dev = path.replace('/srv/hush-fuzz/', '/dev/hush-fuzz/');
    attempt('DeviceAllow', `${dev} r`, () => (expected.DeviceAllow = [[dev, 'r']]));
    attempt('TemporaryFileSystem', `${path}:ro`, () => (expected.TemporaryFileSystem = [[path, 'ro']]));
    const text = lines.join('\n') + '\n';
    // hush's own reading of the text it wrote
    for (const a of parseDropIn(text).assignments) {
      const want = expected[a.option as keyof Expected];
      if (want === undefined) continue;
      const got = hushItems(a.option as PathProperty, a.value);
      if (JSON.stringify(got) !== JSON.stringify(want))
        report.mismatches.push(
          `hush reads ${name} ${a.option}=${a.value} as ${JSON.stringify(got)}, meant ${JSON.stringify(want)}`,
        );
    }
    units.push({ name, text, expected });
  });

  const dir = '/run/systemd/system';
  const install = units
    .map((u) => `printf '%s' '${Buffer.from(u.text).toString('base64')}' | base64 -d > ${dir}/${u.name}`)
    .join('\n');
  const props = ['ReadWritePaths', 'BindReadOnlyPaths', 'DeviceAllow', 'TemporaryFileSystem'] as const;
  const read = units
    .map((u) => `echo '== ${u.name}'; ${readPropertiesCommand(u.name, props)} || echo FAIL`)
    .join('\n');
  const cleanup = `rm -f ${dir}/hush-fuzz-*.service; systemctl daemon-reload`;
  try {
    const r = await host.exec('bash -s', {
      stdin: `set -e\nsystemctl --version | head -1\n${install}\nsystemctl daemon-reload\nset +e\n${read}\n`,
      timeoutMs: 10 * 60_000,
    });
    if (r.code !== 0) throw new Error(`fuzz install/read failed (${r.code}): ${r.stderr.slice(-2000)}`);
    const blocks = r.stdout.split(/^== /m);
    report.systemd = (blocks.shift() ?? '').trim();
    for (const block of blocks) {
      const [name = '', ...values] = block.trim().split('\n');
      const unit = units.find((u) => u.name === name);
      if (!unit) throw new Error(`unexpected block ${name}`);
      if (values.length !== 4 || values.includes('FAIL')) {
        report.mismatches.push(`systemd did not give ${name}'s settings: ${values.join(' | ')}`);
        continue;
      }
      const got = Object.fromEntries(
        props.map((p, k) => [
          p,
          systemdItems(p, (JSON.parse(values[k] as string) as { data: unknown }).data),
        ]),
      ) as Expected;
      for (const key of Object.keys(got) as (keyof Expected)[]) {
        const want = unit.expected[key] ?? [];
        if (JSON.stringify(got[key]) !== JSON.stringify(want))
          report.mismatches.push(
            `systemd reads ${name} ${key} as ${JSON.stringify(got[key])}, hush meant ${JSON.stringify(want)} (unit text ${JSON.stringify(unit.text)})`,
          );
      }
    }
    if (blocks.length !== units.length)
      report.mismatches.push(`read ${blocks.length} of ${units.length} units back`);
  } finally {
    await host.exec(cleanup, { timeoutMs: 5 * 60_000 });
  }
  return report;
}
