/**
 * Host facts in one SSH round trip. Every remote exec costs about a second on the TCG test VMs
 * (and a noticeable RTT on real fleets), so the whole probe is one shell script whose sections
 * are separated by a marker with a random nonce (unit files cannot forge it), parsed and
 * zod-validated here.
 *
 *   const facts = await probe(conn, 'nginx.service');   // HostFacts (core/profile/hostFacts.ts)
 *
 * What it gathers: systemd version (+ BPF_FRAMEWORK), kernel release, arch, cgroup version,
 * strace version and which of the options hush may use it accepts, `systemd-analyze
 * syscall-filter`, and for the unit: `systemctl show` (volatile runtime properties dropped so
 * facts compare equal between probes), `systemctl cat`, its drop-ins, every Exec* line with its
 * prefixes (read from the unit text, where quoting survives), whether it already has a
 * SystemCallFilter, and the sha256 and Debian package (version) of each Exec binary.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { splitWords } from '../core/dropin/quote';
import { parseSyscallFilterOutput } from '../core/systemd';
import { ExecBinary, ExecLine, HostFacts } from '../core/profile/hostFacts';
import type { HostExec } from './host';
import { sh, trustedScript } from './shell';
import { parseUnitName } from '../core/systemd/unitName';
import { validateUnitName } from '../core/systemd/unitName';
import { EXEC_DIRECTIVES, execCommandsFromFiles } from '../core/systemd/execLines';
import { parseSystemctlVersion } from '../core/systemd/version';

/**
 * strace options hush may use, and how to recognise each in `strace -h`. Reading the help text
 * costs one strace start (~0.7 s under TCG) instead of one per option; every strace since 5.x
 * lists its long options and accepted values there.
 */
export const STRACE_FLAG_TESTS: ReadonlyArray<readonly [flag: string, inHelp: RegExp]> = [
  ['-D', /(^|\s)-D\b/m],
  ['-DD', /-DD\b/],
  ['-f', /(^|\s)-f\b/m],
  ['-qq', /-qq\b/],
  ['-xx', /-xx\b/],
  ['-y', /(^|\s)-y\b/m],
  ['-yy', /-yy\b/],
  ['-v', /(^|\s)-v\b/m],
  ['-A', /(^|\s)-A\b/m],
  ['-ttt', /-ttt\b/],
  ['-Z', /-Z, --failed-only|(^|\s)-Z\b/m],
  ['-X raw', /-X FORMAT[\s\S]*formats:\s+raw\b/],
  ['--seccomp-bpf', /--seccomp-bpf\b/],
  ['--kill-on-exit', /--kill-on-exit\b/],
  ['--status=successful,failed', /--status=SET[\s\S]*statuses:\s+successful, failed\b/],
  ['--successful-only', /--successful-only\b/],
  ['--strings-in-hex=all', /--strings-in-hex\[?=all\b/],
  ['--decode-fds=all', /--decode-fds=all\b/],
  ['--quiet=all', /--quiet=all\b/],
];

/** Which candidate options a `strace -h` text shows (pure). */
export function straceFlagsFromHelp(help: string): string[] {
  return STRACE_FLAG_TESTS.filter(([, re]) => re.test(help)).map(([flag]) => flag);
}

/**
 * The probe script. Arguments: $1 unit (validated, quoted by the caller; empty: host sections
 * only, unit sections empty), $2 section marker.
 * The slow parts (each tool start is ~0.3-1.3 s under TCG) run in parallel into a temp
 * directory, then the sections are printed in order, each after a line `<marker><name>`.
 */
export const PROBE_SCRIPT = String.raw`
unit=$1; m=$2
d=$(mktemp -d) || exit 1
trap 'rm -rf -- "$d"' EXIT
{ systemctl --version 2>&1 | head -n 2; } >"$d/systemd" &
{ uname -r; } >"$d/kernel"
{ uname -m; } >"$d/arch"
{ stat -fc %T /sys/fs/cgroup 2>&1; } >"$d/cgroupfs"
if command -v strace >/dev/null 2>&1; then
  { strace -V 2>&1 | head -n 1; } >"$d/strace" &
  { strace -h 2>&1; } >"$d/stracehelp" &
else
  : >"$d/strace"; : >"$d/stracehelp"
fi
{ systemd-analyze syscall-filter --no-pager 2>/dev/null; } >"$d/syscallfilter" &
# Without a unit (this machine, for hush run): the host sections only.
if [ -z "$unit" ]; then
  echo 1 >"$d/catrc"; touch "$d/show" "$d/cat" "$d/binpaths" "$d/binsha" "$d/binalias" "$d/bindpkg" "$d/binver"
else
{ systemctl cat --no-pager -- "$unit" 2>/dev/null; echo $? >"$d/catrc"; } >"$d/cat" &
# The unit's properties, then its Exec binaries: one sha256sum, one dpkg -S and one dpkg-query for all of them (dpkg -S reads
# the whole file database: about a second per call under TCG).
{
  IFS='
'
  set -f
  systemctl show --no-pager -- "$unit" >"$d/show" 2>&1
  paths=$(grep -E '^(${EXEC_DIRECTIVES.join('|')})=' "$d/show" |
    grep -o 'path=[^;]*' | sed 's/^path=//; s/ *$//' | sort -u)
  if [ -n "$paths" ]; then
    printf '%s\n' $paths >"$d/binpaths"
    sha256sum -- $paths >"$d/binsha" 2>/dev/null
    # Names dpkg may know the file by: as given, resolved, and without /usr (merged-/usr hosts).
    for p in $paths; do
      printf '%s\t%s\n' "$p" "$p" "$p" "$(readlink -f -- "$p")" "$p" "$(printf %s "$p" | sed 's|^/usr/|/|')"
    done | sort -u >"$d/binalias"
    if command -v dpkg >/dev/null 2>&1; then
      dpkg -S $(cut -f2 "$d/binalias" | sort -u) 2>/dev/null | grep -v '^diversion by' >"$d/bindpkg"
      pkgs=$(sed 's/: .*//; s/, /\n/g' "$d/bindpkg" | sort -u)
      [ -n "$pkgs" ] && dpkg-query -W -f='$''{binary:Package}\t$''{Package}\t$''{Version}\n' $pkgs >"$d/binver" 2>/dev/null
    elif command -v rpm >/dev/null 2>&1; then
      for p in $paths; do
        v=$(rpm -qf --qf '%{NAME}\t%{VERSION}-%{RELEASE}' "$p" 2>/dev/null) && printf '%s: %s\n' "$(printf %s "$v" | cut -f1)" "$p" >>"$d/bindpkg" &&
          printf '%s\t%s\n' "$v" | sed 's/^\([^\t]*\)/\1\t\1/' >>"$d/binver"
      done
    fi
  fi
  touch "$d/binpaths" "$d/binsha" "$d/binalias" "$d/bindpkg" "$d/binver"
} &
fi
wait
for s in systemd kernel arch cgroupfs strace stracehelp show cat catrc binpaths binsha binalias bindpkg binver syscallfilter; do
  printf '\n%s%s\n' "$m" "$s"
  cat -- "$d/$s"
done
printf '\n%s%s\n' "$m" end
`;

/** The sections the script prints, validated before use. */
const ProbeSections = z.object({
  systemd: z.string().regex(/^systemd \d+/, 'systemctl --version did not print "systemd N"'),
  kernel: z.string().min(1, 'uname -r printed nothing'),
  arch: z.string().min(1, 'uname -m printed nothing'),
  cgroupfs: z.string(),
  strace: z.string(),
  stracehelp: z.string(),
  show: z.string(),
  cat: z.string(),
  catrc: z.string().regex(/^\d+$/),
  binpaths: z.string(),
  binsha: z.string(),
  binalias: z.string(),
  bindpkg: z.string(),
  binver: z.string(),
  syscallfilter: z.string(),
  end: z.literal(''),
});
type ProbeSections = z.infer<typeof ProbeSections>;

/** This machine may have no systemd (a container, a CI runner): its version is then unknown (0). */
const LocalSections = ProbeSections.extend({ systemd: z.string() });

export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

export interface ProbeOptions {
  /** Parser for `systemd-analyze syscall-filter` output (core/systemd's parseSyscallFilterOutput). */
  parseSyscallFilter?: (text: string) => Record<string, string[]>;
}

export interface ProbeResult {
  facts: HostFacts;
  /** Raw `systemd-analyze syscall-filter` output, kept when it could not be parsed. */
  syscallFilterText: string;
  /** The unit's files as `systemctl cat` showed them, in order. */
  unitFiles: UnitFileText[];
  /** Wall time of the one round trip. */
  elapsedMs: number;
}

/** Probes host and unit in one round trip. */
export async function probe(conn: HostExec, unit: string, opts: ProbeOptions = {}): Promise<HostFacts> {
  return (await probeDetailed(conn, unit, opts)).facts;
}

export async function probeDetailed(
  conn: HostExec,
  unit: string,
  opts: ProbeOptions = {},
): Promise<ProbeResult> {
  const name = parseUnitName(unit).unit;
  const nonce = `@@hush-probe-${randomBytes(8).toString('hex')}@@`;
  const t0 = Date.now();
  const r = await conn.exec(sh`set -- ${name} ${nonce}; ${trustedScript(PROBE_SCRIPT)}`, {
    timeoutMs: 120_000,
  });
  const elapsedMs = Date.now() - t0;
  if (r.code !== 0) {
    throw new ProbeError(
      `host probe failed on ${conn.target} (exit ${r.code}): ${r.stderr.trim().slice(-500)}`,
    );
  }
  return { ...parseProbeOutput(r.stdout, nonce, name, opts), elapsedMs };
}

/** Splits the script's output into sections (pure). */
export function splitSections(text: string, marker: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text.split(`\n${marker}`);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = nl < 0 ? part : part.slice(0, nl);
    out[name] = nl < 0 ? '' : part.slice(nl + 1).replace(/\n$/, '');
  }
  return out;
}

/** Turns the probe output into HostFacts (pure; tested with captured output). */
export function parseProbeOutput(
  text: string,
  marker: string,
  unit: string,
  opts: ProbeOptions = {},
): Omit<ProbeResult, 'elapsedMs'> {
  const parsed = ProbeSections.safeParse(splitSections(text, marker));
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'output'}: ${i.message}`).join('; ');
    throw new ProbeError(`unexpected host probe output (${why})`);
  }
  const s: ProbeSections = parsed.data;
  const properties = parseShow(s.show);
  const loadState = properties.LoadState;
  const dropIns = (properties.DropInPaths ?? '').split(/\s+/).filter(Boolean);
  const catText = s.catrc === '0' ? s.cat : undefined;
  const unitFiles = catText !== undefined ? splitCatText(catText, [properties.FragmentPath, ...dropIns]) : [];

  const facts = HostFacts.parse({
    ...hostLevelFacts(s, opts),
    unit: {
      name: unit,
      properties: stableProperties(properties),
      catText,
      dropIns,
      loadState,
      fragmentPath: properties.FragmentPath || undefined,
      exec: execLinesFromUnitFiles(unitFiles),
      hasSyscallFilter: (properties.SystemCallFilter ?? '').trim() !== '',
    },
    binaries: parseBinaries(s),
  });
  return { facts, syscallFilterText: s.syscallfilter, unitFiles };
}

/** The facts of the host itself, shared by both probes (pure): versions, kernel, cgroups, strace. */
function hostLevelFacts(s: Omit<ProbeSections, 'systemd'> & { systemd: string }, opts: ProbeOptions) {
  const systemd = parseSystemctlVersion(s.systemd);
  const cgroupfs = s.cgroupfs.trim();
  return {
    systemdVersion: systemd?.version ?? 0,
    systemdVersionText: systemd?.line,
    kernelRelease: s.kernel.trim(),
    arch: s.arch.trim(),
    straceVersion: /version (\S+)/.exec(s.strace)?.[1],
    straceFlags: s.strace.trim() === '' ? [] : straceFlagsFromHelp(s.stracehelp),
    cgroupVersion: cgroupfs === 'cgroup2fs' ? 2 : cgroupfs === 'tmpfs' ? 1 : undefined,
    bpfFramework: systemd?.bpfFramework,
    syscallGroups: parseGroups(s.syscallfilter, opts),
    systemInstance: true,
  };
}

/**
 * Facts of the machine `host` runs on as if a traced command were a system service named `unit`
 * run by `user` (root: no User=): what `hush run` and `hush resolve` of a bare log use. The same
 * script and parser as `probe`, without the unit sections; every fact may be unknown (no systemd,
 * no strace), and the resolver under-hardens on unknown facts.
 */
export async function probeLocal(
  host: HostExec,
  unit: string,
  user: { uid: number; username: string },
  opts: ProbeOptions = {},
): Promise<HostFacts> {
  const nonce = `@@hush-probe-${randomBytes(8).toString('hex')}@@`;
  const r = await host.exec(sh`set -- '' ${nonce}; ${trustedScript(PROBE_SCRIPT)}`, { timeoutMs: 120_000 });
  const parsed = LocalSections.safeParse(splitSections(r.stdout, nonce));
  if (r.code !== 0 || !parsed.success) {
    throw new ProbeError(`probing ${host.target} failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}`);
  }
  return HostFacts.parse({
    ...hostLevelFacts(parsed.data, opts),
    unit: {
      name: validateUnitName(unit),
      properties: user.uid === 0 ? {} : { User: user.username },
      dropIns: [],
    },
    binaries: [],
  });
}

/** `systemctl show` output → properties (first `=` splits; later duplicates win, as systemctl prints one each). */
export function parseShow(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && /^[A-Za-z][A-Za-z0-9]*$/.test(line.slice(0, eq)))
      props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return props;
}

/**
 * Runtime state that changes between two probes of an unchanged unit (pids, timestamps,
 * counters, the current state) is left out of the facts: they describe configuration.
 */
const VOLATILE =
  /^(MainPID|ControlPID|ExecMainPID|ExecMainCode|ExecMainStatus|InvocationID|NRestarts|StatusErrno|StatusText|Result|ReloadResult|CleanResult|ActiveState|SubState|FreezerState|Memory(Current|Available|Peak|SwapCurrent|SwapPeak|ZSwapCurrent)|CPUUsageNSec|TasksCurrent|IP(Ingress|Egress)(Bytes|Packets)|IO(Read|Write)(Bytes|Operations)|ManagedOOM.*|Job|NFileDescriptorStore|StateChangeTimestamp.*|InactiveExitTimestamp.*|InactiveEnterTimestamp.*|ActiveEnterTimestamp.*|ActiveExitTimestamp.*|ConditionTimestamp.*|AssertTimestamp.*|ConditionResult|AssertResult|ExecMainStartTimestamp.*|ExecMainExitTimestamp.*|ExecMainHandoffTimestamp.*|Effective(CPUs|MemoryNodes|MemoryMax|MemoryHigh|TasksMax)|LiveMount.*)$/;

export function stableProperties(props: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (VOLATILE.test(k)) continue;
    // Exec* properties carry the last run's times, pid and status: keep the command part only.
    out[k] = /^Exec/.test(k)
      ? v.replace(/ ; (start_time|stop_time|pid|code|status)=[^;}]*(?= ;| })/g, '')
      : v;
  }
  return out;
}

export interface UnitFileText {
  path: string;
  text: string;
}

/**
 * Splits `systemctl cat` output into its files. systemctl prints `# <path>` before each file;
 * only lines naming one of the unit's known files (FragmentPath, DropInPaths) count as
 * separators, so a comment in a unit file that happens to look like a path cannot split it.
 */
export function splitCatText(text: string, knownPaths: readonly (string | undefined)[]): UnitFileText[] {
  const known = new Set(knownPaths.filter((p): p is string => !!p));
  const files: UnitFileText[] = [];
  let current: { path: string; lines: string[] } | undefined;
  const flush = () => {
    if (current) files.push({ path: current.path, text: current.lines.join('\n').replace(/\n+$/, '\n') });
  };
  for (const line of text.split('\n')) {
    const m = /^# (\/.+)$/.exec(line);
    if (m && known.has(m[1] as string) && !files.some((f) => f.path === m[1]) && current?.path !== m[1]) {
      flush();
      current = { path: m[1] as string, lines: [] };
      continue;
    }
    current?.lines.push(line);
  }
  flush();
  return files;
}

/** Every Exec* command in effect after all files, honouring `X=` resets, split into words (pure). */
export function execLinesFromUnitFiles(files: readonly UnitFileText[]): ExecLine[] {
  return execCommandsFromFiles(files).map(({ directive, prefixes, command, source }) => {
    let argv: string[];
    try {
      argv = splitWords(command);
    } catch {
      argv = [];
    }
    return ExecLine.parse({ directive, prefixes, command, argv, source });
  });
}

/** The binaries sections (paths, sha256sum, aliases, dpkg -S, dpkg-query) → ExecBinary[] (pure). */
export function parseBinaries(s: {
  binpaths: string;
  binsha: string;
  binalias: string;
  bindpkg: string;
  binver: string;
}): ExecBinary[] {
  const lines = (t: string) => t.split('\n').filter((l) => l.trim() !== '');
  const sha = new Map<string, string>();
  for (const l of lines(s.binsha)) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(l);
    if (m) sha.set(m[2] as string, m[1] as string);
  }
  const owner = new Map<string, string>(); // file name as dpkg knows it -> first owning package
  for (const l of lines(s.bindpkg)) {
    const at = l.indexOf(': ');
    if (at > 0) owner.set(l.slice(at + 2), (l.slice(0, at).split(', ')[0] as string).trim());
  }
  const version = new Map<string, { name: string; version: string }>();
  for (const l of lines(s.binver)) {
    const [qualified, name, ver] = l.split('\t');
    if (!qualified || !name || ver === undefined || ver === '') continue;
    version.set(qualified, { name, version: ver });
    if (!version.has(name)) version.set(name, { name, version: ver });
  }
  const aliases = new Map<string, string[]>();
  for (const l of lines(s.binalias)) {
    const [p, q] = l.split('\t');
    if (p && q) aliases.set(p, [...(aliases.get(p) ?? []), q]);
  }
  return lines(s.binpaths)
    .filter((p) => p.startsWith('/'))
    .map((path) => {
      const b: ExecBinary = { path };
      const h = sha.get(path);
      if (h) b.sha256 = h;
      const names = [path, ...(aliases.get(path) ?? [])];
      const pkg = names.map((n) => owner.get(n)).find((x) => x !== undefined);
      if (pkg) {
        const v = version.get(pkg);
        b.package = v?.name ?? pkg.replace(/:.*/, '');
        if (v) b.packageVersion = v.version;
      }
      return ExecBinary.parse(b);
    });
}

function parseGroups(text: string, opts: ProbeOptions): Record<string, string[]> | undefined {
  if (text.trim() === '') return undefined;
  try {
    const groups = (opts.parseSyscallFilter ?? parseSyscallFilterOutput)(text);
    return Object.keys(groups).length > 0 ? groups : undefined;
  } catch {
    return undefined; // kept raw in ProbeResult.syscallFilterText
  }
}
