/**
 * Where a profiling session lives on the host, and the host-side shell it runs. Pure: builds
 * paths and ShellCommands; remote/profile.ts and remote/watchdog.ts run them.
 *
 * Layout (all under /run, so a reboot removes every trace):
 *   /run/systemd/system/<unit>.d/zz-hush-profile.conf   the wrapper drop-in
 *   /run/hush/profile/<slug>/                            root 0711
 *     state        key=value: session id, was-active, watchdog timeout, start time
 *     heartbeat    touched by the controller; its age is what the watchdog checks
 *     stop         exists once the session is finishing: reader loops end
 *     restore.sh   puts the unit back (used by the watchdog)
 *     watchdog.sh  the watchdog's check
 *     fifo/<slot>  one FIFO per traced Exec command (owner: the command's user, 0600)
 *   hush-profile-hold-<slug>.service        keeps each FIFO open for reading (see holdCommand)
 *   hush-profile-watchdog-<slug>.timer/.service   the watchdog
 */
import { createHash } from 'node:crypto';
import { argv, seq, sh, type ShellCommand, shQuote } from '../shell';
import { PROFILE_DROPIN_NAME } from './wrapper';

/** A line strace never writes (its lines start with a pid or a syscall name): ends one trace. */
export const END_OF_TRACE = '#hush:end-of-trace';

export interface SessionPaths {
  unit: string;
  slug: string;
  root: string;
  fifoDir: string;
  state: string;
  heartbeat: string;
  stopFlag: string;
  restoreScript: string;
  watchdogScript: string;
  holdScript: string;
  dropInDir: string;
  dropIn: string;
  holdUnit: string;
  /** Base name of the watchdog's .timer and .service. */
  watchdogUnit: string;
}

/**
 * A name derived from the unit that is safe in paths and as a (non-template) unit name: `@` would
 * make a transient unit a template instance and `\` is systemd's escape character, so both are
 * replaced, and a short hash keeps different units apart.
 */
export function unitSlug(unit: string): string {
  const base = unit.replace(/\.service$/, '').replace(/[^A-Za-z0-9_.:-]/g, '_');
  const hash = createHash('sha256').update(unit).digest('hex').slice(0, 8);
  return `${base.slice(0, 120)}-${hash}`;
}

export function sessionPaths(unit: string): SessionPaths {
  const slug = unitSlug(unit);
  const root = `/run/hush/profile/${slug}`;
  const dropInDir = `/run/systemd/system/${unit}.d`;
  return {
    unit,
    slug,
    root,
    fifoDir: `${root}/fifo`,
    state: `${root}/state`,
    heartbeat: `${root}/heartbeat`,
    stopFlag: `${root}/stop`,
    restoreScript: `${root}/restore.sh`,
    watchdogScript: `${root}/watchdog.sh`,
    holdScript: `${root}/hold.sh`,
    dropInDir,
    dropIn: `${dropInDir}/${PROFILE_DROPIN_NAME}`,
    holdUnit: `hush-profile-hold-${slug}.service`,
    watchdogUnit: `hush-profile-watchdog-${slug}`,
  };
}

export function fifoPath(p: SessionPaths, slot: string): string {
  if (!/^[A-Za-z]+-\d+$/.test(slot)) throw new Error(`bad slot id ${slot}`);
  return `${p.fifoDir}/${slot}`;
}

export interface SessionState {
  session: string;
  wasActive: boolean;
  watchdogTimeoutSec: number;
  startedAt: string;
}

export function renderState(s: SessionState): string {
  return [
    `session=${s.session}`,
    `was_active=${s.wasActive ? 'yes' : 'no'}`,
    `watchdog_timeout=${s.watchdogTimeoutSec}`,
    `started_at=${s.startedAt}`,
  ].join('\n');
}

export function parseState(text: string): Partial<SessionState> {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const out: Partial<SessionState> = {};
  const session = kv.get('session');
  if (session) out.session = session;
  const was = kv.get('was_active');
  if (was) out.wasActive = was === 'yes';
  const t = Number(kv.get('watchdog_timeout'));
  if (Number.isFinite(t) && t > 0) out.watchdogTimeoutSec = t;
  const started = kv.get('started_at');
  if (started) out.startedAt = started;
  return out;
}

export interface FifoSpec {
  slot: string;
  /** chown target, or undefined for root. */
  owner?: string;
  /** DynamicUser= has no uid before the start: the FIFO must be writable by others (0622). */
  worldWritable: boolean;
}

/**
 * Creates the session directory, FIFOs, state, scripts and the first heartbeat. Fails if a
 * session directory already exists (clearLeftovers runs first).
 */
export function prepareCommand(
  p: SessionPaths,
  state: SessionState,
  fifos: readonly FifoSpec[],
): ShellCommand {
  const mk = fifos.map((f) => {
    const path = fifoPath(p, f.slot);
    const own = f.owner ? sh`chown -- ${f.owner} ${path}` : sh`true`;
    return sh`mkfifo -m 0600 -- ${path}; ${own}; chmod ${f.worldWritable ? '0622' : '0600'} -- ${path}`;
  });
  return sh`set -e; umask 077; mkdir -p -m 0711 /run/hush /run/hush/profile; [ ! -e ${p.root} ] || { echo 'a hush profiling session directory already exists' >&2; exit 17; }; mkdir -m 0711 -- ${p.root}; mkdir -m 0711 -- ${p.fifoDir}; printf '%s\\n' ${renderState(state)} > ${p.state}; printf '%s' ${restoreScript(p)} > ${p.restoreScript}; printf '%s' ${watchdogScript(p, state.watchdogTimeoutSec)} > ${p.watchdogScript}; printf '%s' ${HOLD_SCRIPT} > ${p.holdScript}; touch -- ${p.heartbeat}; ${seq(...mk, sh`true`)}`;
}

/** Where the reader of a slot records the pid of its current `cat` (see readerCommand). */
export function readerPidPath(p: SessionPaths, slot: string): string {
  return `${p.root}/reader-${fifoPath(p, slot).slice(p.fifoDir.length + 1)}.pid`;
}

/**
 * The most trace bytes an uncompressed reader holds before passing them on (see readerCopier). Small
 * on purpose: what it holds when the connection is cut is lost, so this bounds the loss of trace
 * written *before* a cut (about 25 lines). 8 KiB already turns ~25 one-line sshd writes into one.
 */
export const READER_BLOCK_BYTES = 8192;

/**
 * The copier of a slot's FIFO, as its argv (also what the takeover compares /proc/PID/cmdline
 * with). Uncompressed: `dd` in full blocks of READER_BLOCK_BYTES. strace writes one line per call
 * and a plain `cat` passed each on at once, so every traced call also woke sshd for an encrypted
 * one-line write; on the TCG test host that halved nginx's rate under profiling (the same strace,
 * readers swapped live, 5 rounds: cat 13-30 req/s, dd with 64 KiB blocks 14-49, gzip 13-39, the
 * FIFO read into /dev/null on the host 30-49). Compressed: gzip already writes in blocks, so `cat`.
 */
export function readerCopier(fifo: string, compress: boolean): string[] {
  return compress
    ? ['cat', '--', fifo]
    : ['dd', `if=${fifo}`, `bs=${READER_BLOCK_BYTES}`, 'iflag=fullblock', 'status=none'];
}

/**
 * The reader for one slot: copies the FIFO once per strace session (each traced start of the
 * command opens and closes it once) and marks the end of each, until the stop flag exists.
 * Output optionally compressed. Runs inside the SSH channel: its stdout is the stream.
 *
 * Uncompressed, the copier holds up to READER_BLOCK_BYTES until the block is full or strace closes
 * the FIFO (end of its session, or the wake-up at the end of the window); the controller needs the
 * trace only at the end of each session.
 *
 * A reader first ends the copier of the reader it replaces. After a cut connection sshd does not
 * signal the old session's processes: the old copier stays on the FIFO, and what it reads next
 * (up to a pipe's worth of trace) would go to a dead channel, a gap in the middle of the trace.
 * Killed, it loses what it held: a `cat` blocked in read() nothing, `dd` its partial block (under
 * READER_BLOCK_BYTES of trace written before the cut, besides what was in flight). Either way that
 * slot's trace is marked incomplete (no end marker) and the profile says so. The pid is checked
 * against the command line (either copier) so a recycled pid is never killed.
 */
export function readerCommand(p: SessionPaths, slot: string, compress: boolean): ShellCommand {
  const fifo = fifoPath(p, slot);
  const pidFile = readerPidPath(p, slot);
  const copier = readerCopier(fifo, compress);
  const asCmdline = (argv: string[]) => `${argv.join(' ')} `;
  const takeOver = sh`if [ -r ${pidFile} ]; then old=$(cat -- ${pidFile}); if [ -n "$old" ]; then c=$(tr '\\0' ' ' < "/proc/$old/cmdline" 2>/dev/null); if [ "$c" = ${asCmdline(readerCopier(fifo, false))} ] || [ "$c" = ${asCmdline(readerCopier(fifo, true))} ]; then kill -TERM "$old" 2>/dev/null; fi; fi; fi`;
  // the copier runs in the background only so that its pid can be recorded; the loop waits for it
  const loop = sh`while [ ! -e ${p.stopFlag} ]; do ${argv(copier)} & echo "$!" > ${pidFile}; wait "$!" || break; printf '%s\\n' ${END_OF_TRACE}; done`;
  return compress ? sh`${takeOver}; { ${loop}; } | gzip -1` : sh`${takeOver}; ${loop}`;
}

/**
 * Ends the reader loops: sets the stop flag, then opens each FIFO read-write for an instant. That
 * counts as a writer, so a `cat` blocked in open() returns, reads end-of-file and its loop sees
 * the flag. Opening O_RDWR never blocks.
 */
export function wakeReadersCommand(p: SessionPaths): ShellCommand {
  return sh`touch -- ${p.stopFlag} 2>/dev/null; for f in ${p.fifoDir}/*; do [ -p "$f" ] && : 1<>"$f"; done; true`;
}

/**
 * Kills strace processes that still hold one of the session's FIFOs after the unit stopped (a
 * KillMode=process unit leaves processes behind, and strace stays with them). What happens to
 * their tracees depends on the strace, not on this command:
 *  - full tracing, any strace: the wrapper drops --kill-on-exit (wrapperStraceArgs in
 *    remote/profile.ts), so the tracees are detached and go on untraced.
 *  - strace >= 6.6, decision tracing: --seccomp-bpf implies --kill-on-exit, so the kernel SIGKILLs
 *    every tracee when strace dies (PTRACE_O_EXITKILL); the leftover processes end with it.
 *  - strace < 6.6, decision tracing (--seccomp-bpf): strace's seccomp filter stays in the tracees
 *    with no tracer to answer it, so every syscall it traces fails with ENOSYS, and they most
 *    likely fail. That is why chooseTracing (remote/profile.ts) profiles KillMode=process/none units,
 *    the only ones that leave processes behind, with full tracing unless decisions are asked for.
 */
export function killStragglersCommand(p: SessionPaths, stracePath: string): ShellCommand {
  return sh`for fd in /proc/[0-9]*/fd/*; do t=$(readlink "$fd" 2>/dev/null) || continue; case "$t" in ${p.fifoDir}/*) pid=\${fd#/proc/}; pid=\${pid%%/*}; [ "$(readlink /proc/$pid/exe 2>/dev/null)" = ${stracePath} ] && kill -KILL "$pid" 2>/dev/null;; esac; done; true`;
}

/**
 * The holder: one process per FIFO that opens it for reading and never reads. With it, a
 * command's strace never blocks in open() and never gets EPIPE, even while no controller reader
 * is attached (between two traces of a restarting unit, or during a reconnect): its writes wait
 * in the pipe and the next reader gets them. Runs as a transient unit outside the SSH session.
 */
export function holdCommand(p: SessionPaths, slots: readonly string[]): ShellCommand {
  if (slots.length === 0) return sh`true`;
  return argv([
    'systemd-run',
    '--quiet',
    `--unit=${p.holdUnit}`,
    '--description=hush profiling: keeps the trace FIFOs open',
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    p.holdScript,
    ...slots.map((s) => fifoPath(p, s)),
  ]);
}

/** The holder's script (a file: a transient service would expand `$VARS` in its arguments). */
export const HOLD_SCRIPT =
  '#!/bin/sh\n# hush: hold each FIFO open for reading without reading it.\nfor f in "$@"; do sleep infinity < "$f" & done\nwait\n';

/** Host-side restore, shared by the watchdog and clearLeftovers. Idempotent. */
export function restoreScript(p: SessionPaths): string {
  const q = shQuote;
  return [
    '#!/bin/sh',
    '# hush: end a profiling session and put the unit back on its own configuration.',
    'set -u',
    `unit=${q(p.unit)}`,
    `root=${q(p.root)}`,
    `dropin=${q(p.dropIn)}`,
    `dropindir=${q(p.dropInDir)}`,
    'was_active=yes',
    'if [ -r "$root/state" ]; then v=$(sed -n "s/^was_active=//p" "$root/state"); [ -n "$v" ] && was_active=$v; fi',
    'changed=no',
    'if [ -e "$dropin" ]; then rm -f -- "$dropin"; rmdir -- "$dropindir" 2>/dev/null; changed=yes; fi',
    'touch -- "$root/stop" 2>/dev/null',
    `systemctl stop -- ${q(p.holdUnit)} 2>/dev/null`,
    'if [ "$changed" = yes ]; then',
    '  systemctl daemon-reload',
    '  if [ "$was_active" = yes ]; then systemctl restart -- "$unit"; else systemctl stop -- "$unit"; fi',
    '  echo "hush: profiling wrapper removed from $unit; unit restarted on its own configuration"',
    'fi',
    'for f in "$root"/fifo/*; do [ -p "$f" ] && : 1<>"$f"; done',
    'rm -rf -- "$root"',
    `systemctl stop -- ${q(p.watchdogUnit + '.timer')} 2>/dev/null`,
    'exit 0',
    '',
  ].join('\n');
}

/** The watchdog's check: restores once the heartbeat is older than the timeout. */
export function watchdogScript(p: SessionPaths, timeoutSec: number): string {
  if (!Number.isInteger(timeoutSec) || timeoutSec <= 0)
    throw new Error('watchdog timeout must be a positive integer');
  const q = shQuote;
  return [
    '#!/bin/sh',
    '# hush: profiling watchdog. The controller touches the heartbeat; if it stops, restore the unit.',
    'set -u',
    `hb=${q(p.heartbeat)}`,
    `restore=${q(p.restoreScript)}`,
    'now=$(date +%s)',
    'last=$(stat -c %Y -- "$hb" 2>/dev/null || echo 0)',
    `if [ $((now - last)) -lt ${timeoutSec} ]; then exit 0; fi`,
    'echo "hush: no heartbeat from the profiling controller for $((now - last)) s: restoring"',
    'if [ -r "$restore" ]; then exec /bin/sh "$restore"; fi',
    `systemctl stop -- ${q(p.watchdogUnit + '.timer')} 2>/dev/null`,
    '',
  ].join('\n');
}

/**
 * Arms the watchdog: a transient timer that runs watchdog.sh every `periodSec`. The script is a
 * file, not an argument, because a transient service expands `$VARS` in its command line.
 */
export function armWatchdogCommand(p: SessionPaths, periodSec: number): ShellCommand {
  return argv([
    'systemd-run',
    '--quiet',
    `--unit=${p.watchdogUnit}`,
    '--description=hush profiling watchdog: restores the unit if the controller vanishes',
    `--on-active=${periodSec}s`,
    `--on-unit-active=${periodSec}s`,
    '--timer-property=AccuracySec=1s',
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    p.watchdogScript,
  ]);
}

export function disarmWatchdogCommand(p: SessionPaths): ShellCommand {
  return sh`systemctl stop -- ${p.watchdogUnit + '.timer'} ${p.watchdogUnit + '.service'} 2>/dev/null; true`;
}

export function heartbeatCommand(p: SessionPaths): ShellCommand {
  return sh`[ -d ${p.root} ] && [ ! -e ${p.stopFlag} ] && touch -- ${p.heartbeat}`;
}
