/**
 * The `ebpf` recorder: hush's in-kernel recorder (native/recorder) attached from outside to the
 * unit's cgroup. No unit change, no wrapper, no ptrace: a host process (a transient unit of its
 * own) loads the BPF programs, follows the unit's cgroup path (a restart makes a new cgroup, the
 * kernel side adds it as systemd creates it) and writes one stream into the FIFO the sink holds.
 * core/ebpf turns that stream into the same Profile the strace recorder produces.
 *
 * Chosen when the host has it: the controller carries the binary (built by native/recorder/
 * build.sh from this project's sources) and uploads it once per host and version into
 * /run/hush/recorder/ (root only); `hush-recorder --probe` then loads and attaches every program,
 * which is the only proof that the kernel supports it (BTF, BTF tracepoints, task storage, ring
 * buffer, bpf_loop: Linux >= 5.17). Anything missing falls back to strace, with the reason logged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ebpfSegment, sigLines } from '../../core/ebpf';
import { HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import type { UnitInfo } from '../../core/profiling/unitInfo';
import type { Host, HostExec } from '../host';
import { sh, type ShellCommand } from '../shell';
import type { SegmentParser } from './collect';
import { fifoPath, type SessionPaths } from './layout';
import type { RecorderState } from './state';

export type EbpfState = Extract<RecorderState, { kind: 'ebpf' }>;

/** The one stream the recorder writes. */
export const EBPF_STREAM = 'Ebpf-0';
// not under /run: Debian mounts it noexec
const HOST_DIR = '/var/lib/hush/recorder';

/** The recorder binary this controller carries, if it was built. */
export function localRecorderBinary(): string | undefined {
  const candidates = [
    process.env.HUSH_RECORDER_BINARY,
    // dist/remote/profile → dist/native; remote/profile (ts sources) → dist/native
    path.join(__dirname, '..', '..', 'native', 'hush-recorder'),
    path.join(__dirname, '..', '..', 'dist', 'native', 'hush-recorder'),
    // the self-contained plugin (scripts/pack-plugin): one bundle, native/ beside it
    path.join(__dirname, 'native', 'hush-recorder'),
  ];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

/**
 * The unit's cgroup path below the hierarchy's root, from its slice: `a-b.slice` nests as
 * `/a.slice/a-b.slice` (systemd.slice(5)).
 */
export function unitCgroupPath(unit: string, slice: string | undefined): string {
  const s = (slice ?? '').trim() || 'system.slice';
  if (!/^[A-Za-z0-9:_.\\-]+\.slice$/.test(s) || !/^[A-Za-z0-9:_.\\@-]+\.service$/.test(unit))
    throw new Error(`cannot place ${unit} in slice ${s}`);
  const parts = s === '-.slice' ? [] : s.slice(0, -'.slice'.length).split('-');
  const slices = parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`);
  return '/' + [...slices, unit].join('/');
}

/**
 * Uploads the binary (unless that version is already there) and probes it; returns the recorder
 * state for the session, or why not. Never throws for a host that cannot: strace is the fallback.
 */
export async function prepareEbpf(
  conn: HostExec & Pick<Host, 'writeFileAtomic'>,
  unit: string,
  info: UnitInfo,
  log: (line: string) => void,
): Promise<{ state: EbpfState } | { why: string }> {
  const local = localRecorderBinary();
  if (!local) return { why: 'this hush was built without its eBPF recorder (native/recorder/build.sh)' };
  const bytes = readFileSync(local);
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const binary = `${HOST_DIR}/hush-recorder-${digest}`;
  const cgroup = unitCgroupPath(unit, info.properties.Slice);
  // a copy of another content under that name (a partial write, tampering by root) is replaced
  const have = await conn.exec(
    sh`test -x ${binary} && test "$(sha256sum < ${binary} | cut -c1-16)" = ${digest} && echo yes`,
    { timeoutMs: HOST_CMD_TIMEOUT_MS },
  );
  if (have.stdout.trim() !== 'yes') {
    await conn.exec(sh`umask 077; mkdir -p -m 0700 ${HOST_DIR}`, {
      check: true,
      timeoutMs: HOST_CMD_TIMEOUT_MS,
    });
    await conn.writeFileAtomic(binary, bytes, { mode: 0o700 });
    log(`eBPF recorder uploaded to ${binary}`);
  }
  // the v2 hierarchy: /sys/fs/cgroup itself, or unified/ on a hybrid layout
  const probe = await conn.exec(
    sh`if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo root=/sys/fs/cgroup; elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then echo root=/sys/fs/cgroup/unified; fi; ${binary} --probe 2>&1 | tail -3`,
    { timeoutMs: HOST_CMD_TIMEOUT_MS },
  );
  const found = /^root=(\S+)$/m.exec(probe.stdout)?.[1];
  const root = found === '/sys/fs/cgroup' || found === '/sys/fs/cgroup/unified' ? found : undefined;
  if (!root) return { why: 'no cgroup v2 hierarchy on the host' };
  if (!/hush-recorder: ok/.test(probe.stdout)) {
    const last = probe.stdout.trim().split('\n').at(-1) ?? '';
    return { why: `the kernel refused the recorder (${last.slice(0, 200)})` };
  }
  return { state: { kind: 'ebpf', binary, cgroup, cgroupRoot: root } };
}

function recorderUnit(p: SessionPaths): string {
  return `hush-profile-rec-${p.slug}.service`;
}

/** The stop line restore.sh runs whatever the recorder was (the unit may not exist). */
export function stopRecorderCommand(p: SessionPaths): ShellCommand {
  return sh`systemctl stop -- ${recorderUnit(p)} 2>/dev/null`;
}

/**
 * Writes the decoding plan, starts the recorder as a transient unit and waits until it is attached
 * (its ready file): only then does the unit restart, so start-up is recorded. The recorder ends
 * on SIGTERM (writing its counters), or by itself once the session directory is gone.
 */
export function startRecorderCommand(p: SessionPaths, s: EbpfState): ShellCommand {
  const sigs = `${p.root}/recorder.sigs`;
  const ready = `${p.root}/recorder.ready`;
  const run = [
    s.binary,
    '--cgroup',
    s.cgroup,
    '--cgroup-root',
    s.cgroupRoot,
    '--sigs',
    sigs,
    '--out',
    fifoPath(p, EBPF_STREAM),
    '--ready',
    ready,
    '--watch',
    p.root,
  ];
  return sh`set -e; umask 077; printf '%s' ${sigLines()} > ${sigs}; rm -f -- ${ready}; systemctl reset-failed -- ${recorderUnit(p)} 2>/dev/null || true; systemd-run --quiet --collect --unit=${recorderUnit(p)} --property=KillSignal=SIGTERM --property=TimeoutStopSec=30 -- ${run}; i=0; while [ ! -s ${ready} ]; do i=$((i+1)); if [ $i -gt 600 ] || ! systemctl is-active --quiet -- ${recorderUnit(p)}; then journalctl -q -n 5 -u ${recorderUnit(p)} >&2; echo 'the eBPF recorder did not attach' >&2; exit 1; fi; sleep 0.1; done`;
}

/** Ends the recording: SIGTERM, the recorder writes its counters and closes its stream. */
export function endRecorderCommand(p: SessionPaths): ShellCommand {
  return sh`systemctl stop -- ${recorderUnit(p)} 2>/dev/null; true`;
}

export function forceEndRecorderCommand(p: SessionPaths): ShellCommand {
  return sh`systemctl kill --signal=KILL -- ${recorderUnit(p)} 2>/dev/null; true`;
}

export function ebpfSegmentParser(cwd: string | undefined): SegmentParser {
  const seg = ebpfSegment(cwd ? { cwd } : {});
  return { push: (b) => seg.push(b), finish: (run) => seg.finish(run) };
}
