/**
 * Agentless profiling of a systemd service over SSH.
 *
 *   const result = await profileService({
 *     unit: 'nginx.service',
 *     connect: () => connect(connectionArgs),
 *     durationMs: 60_000,
 *     localWorkload: 'for i in $(seq 50); do curl -fsS http://host/ >/dev/null; done',
 *   });
 *   result.profile   // core/profile Profile, with host facts
 *
 * The session, step by step (see remote/profile/*.ts for each piece and why it is shaped so):
 *  1. clear leftovers of an earlier session (remote/watchdog.ts), probe host facts, read the unit;
 *     refuse early, with the unit untouched, when strace is missing or the unit cannot be wrapped;
 *  2. create the session directory with one FIFO per traced Exec command, arm the watchdog,
 *     start the FIFO holder, attach one SSH reader stream per FIFO;
 *  3. install the wrapper drop-in in /run, daemon-reload, restart the unit, check it is active
 *     (if not: put the unit back at once and report the journal);
 *  4. the window: duration and/or workloads (host or controller) and/or an AbortSignal; the
 *     heartbeat keeps the watchdog quiet; a cut connection is re-dialled and the readers resume
 *     (strace waits in the pipe meanwhile); every restart of the unit is one more trace, parsed
 *     and merged;
 *  5. finish: stop the unit under the wrapper (so ExecStop/ExecStopPost are traced too), remove
 *     the drop-in, daemon-reload, start it on its own configuration, verify it is active and that
 *     `systemctl cat` is what it was, drain the streams, disarm the watchdog, remove the session.
 *
 * The target's disk use is nil: traces go through FIFOs into the SSH channel, parsed on the
 * controller as they arrive.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseStraceVersion, straceArgs, straceFeatures } from '../core/strace/invocation';
import {
  completeDecisionProfile,
  decisionTraceSet,
  type DecisionTraceSet,
  type Tracing,
} from '../core/tracing';
import { syscallGroupsFor } from '../core/systemd/groups';
import { mergeProfiles } from '../core/profile';
import { PROFILE_SCHEMA, type Profile } from '../core/profile/schema';
import type { HostFacts } from '../core/profile/hostFacts';
import type { Connection, RemoteProcess } from './connection';
import { probe } from './probe';
import { withExecModesOrUnknown } from './execModes';
import { sh, userShellCommand } from './shell';
import { parseRunnableUnitName } from './unitName';
import {
  armWatchdog,
  clearLeftovers,
  DEFAULT_WATCHDOG_TIMEOUT_SEC,
  disarmWatchdog,
  heartbeat,
} from './watchdog';
import { collectStream, type TraceSegment } from './profile/collect';
import { execCommandsFromCat, type ExecCommand, isExecDirective } from './profile/execLines';
import {
  fifoPath,
  holdCommand,
  killStragglersCommand,
  prepareCommand,
  readerCommand,
  restoreScript,
  sessionPaths,
  type SessionPaths,
  wakeReadersCommand,
} from './profile/session';
import { parseTimespanMs, readUnitInfo, type UnitInfo } from './profile/unitInfo';
import { buildWrapper, type Slot, type Wrapper } from './profile/wrapper';

export interface ProfileServiceOptions {
  /** The service (validated: `nginx` → `nginx.service`; template instances allowed). */
  unit: string;
  /** Opens a connection; called again to re-dial after a cut. */
  connect: () => Promise<Connection>;
  /** Window length. With workloads too, the window lasts until both are done. */
  durationMs?: number;
  /** Shell command run on the host (as root) during the window, e.g. a curl loop. */
  remoteWorkload?: string;
  /** Shell command run on the controller during the window. */
  localWorkload?: string;
  /** Ends the window now (CLI Ctrl-C); without duration/workloads the window lasts until it fires. */
  signal?: AbortSignal;
  /**
   * gzip the trace on the host: less bandwidth, some host CPU. Default false: gzip holds up to
   * tens of KiB of output (hundreds of trace) before it writes anything, and what sits in its
   * buffer is lost if the connection is cut. Uncompressed, the reader holds at most one 8 KiB
   * block (remote/profile/session.ts READER_BLOCK_BYTES), lost on a cut too.
   */
  compress?: boolean;
  /** The watchdog restores the unit this long after the last heartbeat. Default 60 s. */
  watchdogTimeoutSec?: number;
  /**
   * The unit's TimeoutStartSec/TimeoutStopSec/WatchdogSec are multiplied by this while it runs
   * under strace (default 3): tracing slows start-up, and a start timeout caused by the tracer
   * would leave nothing to profile. 1 keeps them as they are.
   */
  timeoutScale?: number;
  /** How long the unit may take to come back active after each restart. Default 60 s. */
  settleTimeoutMs?: number;
  /** How long to wait for the last trace bytes after the unit stopped. Default 20 s. */
  drainTimeoutMs?: number;
  /** Probe host facts (remote/probe.ts) into the profile. Default true. */
  probeFacts?: boolean;
  /**
   * `decisions`: strace --seccomp-bpf skips the hot syscalls that change no decision (core/tracing),
   * much less overhead, same resolved options. `full`: every syscall stops the service. Default:
   * `decisions` when the host's strace has --seccomp-bpf and the target's syscall groups are known
   * (needs probed facts), else `full`. Asking for `decisions` where it is unavailable is an error.
   */
  tracing?: Tracing;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ProfileTimings {
  setupMs: number;
  /** Wrapped restart (daemon-reload + restart under strace until active). */
  wrappedRestartMs: number;
  windowMs: number;
  finishMs: number;
  /** From `systemctl stop` (wrapped) until the unit is active again on its own configuration. */
  restoreMs: number;
  totalMs: number;
}

export interface ProfileServiceResult {
  unit: string;
  session: string;
  profile: Profile;
  /** How strace traced (also in every run of the profile). */
  tracing: Tracing;
  slots: Slot[];
  segments: { slot: string; invocation: number; bytes: number; lines: number; complete: boolean }[];
  traceBytes: number;
  workloads: { remote?: { code: number }; local?: { code: number | null; signal?: string } };
  /** The unit after restore: active (if it was before) and `systemctl cat` byte-identical. */
  restored: { wasActive: boolean; activeState: string; catIdentical: boolean };
  reconnects: number;
  timings: ProfileTimings;
  warnings: string[];
}

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** strace is not installed on the host; nothing was changed. */
export class StraceMissingError extends ProfileError {}
/** The unit failed under the wrapper; it was put back on its own configuration. */
export class WrappedStartError extends ProfileError {}

/** See ProfileServiceOptions.timeoutScale. */
export const DEFAULT_TIMEOUT_SCALE = 3;
/** Setup commands on the host (mkfifo, systemd-run…): generous, a busy host queues manager jobs. */
const HOST_CMD_TIMEOUT_MS = 5 * 60_000;

const sleep = (ms: number, signal?: AbortSignal, opts: { unref?: boolean } = {}) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    // a timer that only bounds a race must not keep the process alive once the race is won
    if (opts.unref) t.unref();
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Runs one profiling session; see the module comment. */
export async function profileService(opts: ProfileServiceOptions): Promise<ProfileServiceResult> {
  const link = new Link(opts.connect, opts.log ?? (() => undefined));
  try {
    return await runSession(opts, link);
  } finally {
    await link.close();
  }
}

async function runSession(opts: ProfileServiceOptions, link: Link): Promise<ProfileServiceResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const unit = parseRunnableUnitName(opts.unit).unit;
  const compress = opts.compress ?? false;
  const watchdogTimeoutSec = Math.max(5, Math.round(opts.watchdogTimeoutSec ?? DEFAULT_WATCHDOG_TIMEOUT_SEC));
  // Heartbeat and watchdog check every quarter of the timeout, at most every 15 s: each is a
  // process start on the host (an SSH exec, a transient service), which on a small or emulated
  // host competes with the traced service. Readers cut off are re-attached sooner (see startHeartbeat).
  const periodSec = Math.max(1, Math.min(15, Math.floor(watchdogTimeoutSec / 4)));
  const settleMs = opts.settleTimeoutMs ?? 60_000;
  const warnings: string[] = [];
  const paths = sessionPaths(unit);

  let conn = await link.get();

  // ---------------------------------------------------------------- 1. look before touching
  await clearLeftovers(conn, unit, { log });
  const info = await readUnitInfo(conn, unit);
  // strace missing is the common refusal: refuse before the (much heavier) host probe. Without
  // strace planWrapper always throws (StraceMissingError, or the unit is not loaded).
  if (!info.strace) planWrapper(unit, info, undefined, '', paths);
  const facts = opts.probeFacts === false ? undefined : await probeFacts(conn, unit, log, warnings);
  const tracing = chooseTracing(opts.tracing, info, facts);
  log(`tracing: ${tracing.why}`);
  const wrapper = planWrapper(unit, info, facts, randomBytes(8).toString('hex'), paths, {
    timeoutScale: Math.max(1, opts.timeoutScale ?? DEFAULT_TIMEOUT_SCALE),
    ...(tracing.set ? { seccompExcept: [...tracing.set.untraced.keys()] } : {}),
  });
  const session = wrapper.session;
  const traced = wrapper.slots.filter((s) => s.traced);
  for (const s of wrapper.slots.filter((x) => !x.traced))
    warnings.push(`${s.id} not traced: ${s.skipReason}`);
  const wasActive = info.properties.ActiveState === 'active' || info.properties.ActiveState === 'reloading';
  // A restart may take as long as the unit's own start and stop timeouts allow (strace slows
  // start-up a lot on a busy or emulated host); hush waits for systemd's verdict, not its own.
  const scale = Math.max(1, opts.timeoutScale ?? DEFAULT_TIMEOUT_SCALE);
  const restartTimeoutMs =
    ((parseTimespanMs(info.properties.TimeoutStartUSec) ?? 10 * 60_000) +
      (parseTimespanMs(info.properties.TimeoutStopUSec) ?? 10 * 60_000)) *
      scale +
    60_000;
  log(
    `profiling ${unit} on ${conn.target}: ${traced.length} traced command(s) (${traced.map((s) => s.id).join(', ')})`,
  );

  // ---------------------------------------------------------------- 2. session, watchdog, readers
  const user = (info.properties.User ?? '').trim();
  const dynamicUser = info.properties.DynamicUser === 'yes';
  await conn.exec(
    prepareCommand(
      paths,
      { session, wasActive, watchdogTimeoutSec, startedAt: new Date().toISOString() },
      traced.map((s) => ({
        slot: s.id,
        ...(s.runsAsRoot || user === '' || dynamicUser ? {} : { owner: user }),
        worldWritable: dynamicUser && !s.runsAsRoot,
      })),
    ),
    { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS },
  );
  const readers = new Readers(
    paths,
    traced,
    compress,
    `unit:${unit}@${conn.host}`,
    unitCwd(info.properties.WorkingDirectory),
    log,
  );
  const restoreNow = async (why: string) => {
    log(`restoring ${unit} (${why})`);
    const c = await link.get();
    await c.exec(sh`sh -c ${restoreScript(paths)} hush-restore`, { timeoutMs: restartTimeoutMs });
    await disarmWatchdog(c, paths);
  };

  let stopHeartbeat: () => Promise<void> = async () => undefined;
  let wrappedRestartMs = 0;
  try {
    await armWatchdog(conn, paths, { periodSec });
    // The heartbeat runs from here on: setup (a slow wrapped start) can outlast the timeout.
    stopHeartbeat = startHeartbeat(link, paths, periodSec, readers, log, warnings);
    await conn.exec(
      holdCommand(
        paths,
        traced.map((s) => s.id),
      ),
      { check: true, timeoutMs: HOST_CMD_TIMEOUT_MS },
    );
    await readers.start(conn);

    // -------------------------------------------------------------- 3. wrap and restart
    await conn.writeFileAtomic(paths.dropIn, wrapper.dropIn, { mode: 0o644 });
    const tr = Date.now();
    const restart = await conn.exec(sh`systemctl daemon-reload && systemctl restart -- ${unit}`, {
      timeoutMs: restartTimeoutMs,
    });
    const state = restart.code === 0 ? await waitActive(conn, unit, settleMs) : 'failed';
    wrappedRestartMs = Date.now() - tr;
    if (state !== 'active') {
      const journal = await journalTail(conn, unit);
      await restoreNow('failed under the wrapper');
      throw new WrappedStartError(
        `${unit} did not start under the profiling wrapper (${state}; ${restart.stderr.trim() || `exit ${restart.code}`}). ` +
          `It was put back on its own configuration. Journal:\n${journal}`,
      );
    }
    log(`${unit} restarted under strace in ${wrappedRestartMs} ms; profiling window open`);
  } catch (err) {
    readers.abort();
    await stopHeartbeat();
    if (!(err instanceof WrappedStartError)) {
      await restoreNow(`setup failed: ${(err as Error).message}`).catch((e: unknown) =>
        warnings.push(`restore after failed setup: ${(e as Error).message}`),
      );
    }
    throw err;
  }
  const tWindow = Date.now();
  const setupMs = tWindow - t0;

  // ---------------------------------------------------------------- 4. the window
  let workloads: ProfileServiceResult['workloads'] = {};
  let windowError: Error | undefined;
  try {
    workloads = await runWindow(opts, link, log);
  } catch (err) {
    windowError = err as Error;
  }
  const windowMs = Date.now() - tWindow;

  // ---------------------------------------------------------------- 5. finish
  const tFinish = Date.now();
  let restored: ProfileServiceResult['restored'];
  let restoreMs = 0;
  try {
    conn = await link.get();
    const alive = await conn.exec(sh`[ -e ${paths.dropIn} ] && [ -d ${paths.root} ]`, {
      timeoutMs: HOST_CMD_TIMEOUT_MS,
    });
    if (alive.code !== 0) {
      throw new ProfileError(
        `the profiling session of ${unit} was ended on the host (watchdog timeout or another hush operation); ` +
          'the unit runs on its own configuration, and the trace is incomplete',
      );
    }
    log(`closing the window: stopping ${unit} under the wrapper`);
    const tr = Date.now();
    const stop = await conn.exec(sh`systemctl stop -- ${unit}`, { timeoutMs: restartTimeoutMs });
    if (stop.code !== 0) warnings.push(`systemctl stop ${unit} under the wrapper: ${stop.stderr.trim()}`);
    const back = await conn.exec(
      sh`rm -f -- ${paths.dropIn}; rmdir -- ${paths.dropInDir} 2>/dev/null; systemctl daemon-reload && ${
        wasActive ? sh`systemctl start -- ${unit}` : sh`true`
      }`,
      { timeoutMs: restartTimeoutMs },
    );
    const activeState = wasActive ? await waitActive(conn, unit, settleMs) : await activeStateOf(conn, unit);
    restoreMs = Date.now() - tr;
    const after = await readUnitInfo(conn, unit);
    restored = { wasActive, activeState, catIdentical: after.catText === info.catText };
    if (back.code !== 0 || (wasActive && activeState !== 'active')) {
      const journal = await journalTail(conn, unit);
      warnings.push(`${unit} is ${activeState} after restoring its own configuration. Journal:\n${journal}`);
    }
    if (!restored.catIdentical) warnings.push(`systemctl cat ${unit} differs from before profiling`);
    log(
      `${unit} back on its own configuration (${activeState}) after ${restoreMs} ms; collecting the last traces`,
    );

    await readers.drain(link, opts.drainTimeoutMs ?? 20_000, info.strace?.path ?? '/usr/bin/strace');
  } catch (err) {
    readers.abort();
    await stopHeartbeat();
    await restoreNow('finish failed').catch(() => undefined);
    throw err;
  }
  await stopHeartbeat();
  conn = await link.get();
  await conn.exec(sh`systemctl stop -- ${paths.holdUnit} 2>/dev/null; rm -rf -- ${paths.root}`, {
    timeoutMs: HOST_CMD_TIMEOUT_MS,
  });
  await disarmWatchdog(conn, paths);
  if (windowError) throw windowError;

  const segments = readers.segments().sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  let profile: Profile = emptyProfile();
  for (const s of segments) profile = mergeProfiles(profile, s.profile);
  if (tracing.set) {
    const done = completeDecisionProfile(profile, tracing.set, facts?.unit?.properties);
    profile = done.profile;
    if (done.assumed.length)
      log(`decision tracing: counted as used without seeing them: ${done.assumed.join(' ')}`);
  } else {
    profile = { ...profile, runs: profile.runs.map((r) => ({ ...r, tracing: 'full' as const })) };
  }
  if (facts) {
    // the modes of what the profile executed: NoNewPrivileges' proof
    const host = await withExecModesOrUnknown(conn, profile, facts, (message) => {
      warnings.push(message);
      log(message);
    });
    profile = { ...profile, host };
  }
  if (segments.some((s) => !s.complete))
    warnings.push('some traces are incomplete (see runs marked "incomplete")');
  const finishMs = Date.now() - tFinish;
  return {
    unit,
    session,
    profile,
    tracing: tracing.set ? 'decisions' : 'full',
    slots: wrapper.slots,
    segments: segments.map((s) => ({
      slot: s.slot,
      invocation: s.invocation,
      bytes: s.bytes,
      lines: s.stats.lines,
      complete: s.complete,
    })),
    traceBytes: segments.reduce((n, s) => n + s.bytes, 0),
    workloads,
    restored,
    reconnects: link.reconnects,
    timings: { setupMs, wrappedRestartMs, windowMs, finishMs, restoreMs, totalMs: Date.now() - t0 },
    warnings,
  };
}

// ------------------------------------------------------------------------------ pieces

function emptyProfile(): Profile {
  return { schema: PROFILE_SCHEMA, actions: [], syscalls: {}, failedSyscalls: {}, runs: [] };
}

async function probeFacts(
  conn: Connection,
  unit: string,
  log: (l: string) => void,
  warnings: string[],
): Promise<HostFacts | undefined> {
  try {
    return await probe(conn, unit);
  } catch (err) {
    // Facts enrich the profile; a probe problem must not block profiling itself.
    const msg = `host probe failed: ${(err as Error).message}`;
    warnings.push(msg);
    log(msg);
    return undefined;
  }
}

/** Decides the wrapper from what the host said; throws before anything is changed. */
export function planWrapper(
  unit: string,
  info: UnitInfo,
  facts: HostFacts | undefined,
  session: string,
  paths: SessionPaths,
  opts: { timeoutScale?: number; seccompExcept?: readonly string[] } = {},
): Wrapper & { session: string } {
  const props = info.properties;
  if (props.LoadState !== 'loaded') {
    throw new ProfileError(`${unit} cannot be profiled: LoadState=${props.LoadState ?? 'unknown'}`);
  }
  if (!info.strace) {
    throw new StraceMissingError(
      `strace is not installed on the host (not found in root's PATH); install it (Debian: apt-get install strace). ` +
        `${unit} was not changed.`,
    );
  }
  for (const p of ['RootDirectory', 'RootImage'] as const) {
    if ((props[p] ?? '').trim() !== '') {
      throw new ProfileError(
        `${unit} runs in its own root (${p}=${props[p]}): strace is not there. ${unit} was not changed.`,
      );
    }
  }
  const fromProbe: ExecCommand[] | undefined = facts?.unit?.exec
    ?.filter((l) => isExecDirective(l.directive))
    .map((l, _i, all) => ({
      directive: l.directive as ExecCommand['directive'],
      index: all.filter((x) => x.directive === l.directive).indexOf(l),
      prefixes: l.prefixes,
      command: l.command,
    }));
  const commands = fromProbe && fromProbe.length > 0 ? fromProbe : execCommandsFromCat(info.catText ?? '');
  // The unit text must describe what the manager runs, command for command: anything else
  // (a generator, a transient unit) would be re-declared wrongly.
  for (const [directive, n] of Object.entries(info.execCounts)) {
    const mine = commands.filter((c) => c.directive === directive).length;
    if (mine !== n) {
      throw new ProfileError(
        `${unit}: ${directive} has ${n} command(s) in the manager but ${mine} in the unit files; not wrapping it. ${unit} was not changed.`,
      );
    }
  }
  if (commands.some((c) => c.prefixes.includes('|'))) {
    throw new ProfileError(
      `${unit} uses the "|" (shell) Exec prefix, which hush cannot wrap yet. ${unit} was not changed.`,
    );
  }
  const wrapper = buildWrapper({
    unit,
    session,
    commands,
    strace: {
      path: info.strace.path,
      args: wrapperStraceArgs(
        info.strace.version,
        opts.seccompExcept ? { seccompExcept: opts.seccompExcept } : {},
      ),
      supportsArgv0: info.strace.supportsArgv0,
    },
    fifoFor: (slot) => fifoPath(paths, slot),
    properties: props,
    ...(info.bashPath ? { bashPath: info.bashPath } : {}),
    ...(opts.timeoutScale !== undefined ? { timeoutScale: opts.timeoutScale } : {}),
  });
  if (!wrapper.slots.some((s) => s.traced)) {
    throw new ProfileError(`${unit} has no command that hush can trace. ${unit} was not changed.`);
  }
  return { ...wrapper, session };
}

/**
 * strace flags for the wrapper: core/strace's invocation with -D, up to (not including) `-o`.
 * `--kill-on-exit` (strace >= 6.6) is dropped on purpose: in a live unit, strace dying (OOM
 * killer, a straggler cleanup) must leave the service running untraced, not kill it.
 */
export function wrapperStraceArgs(
  versionLine: string,
  opts: { seccompExcept?: readonly string[] } = {},
): string[] {
  const version = parseStraceVersion(versionLine);
  if (!version)
    throw new ProfileError(`cannot read the host's strace version from ${JSON.stringify(versionLine)}`);
  const full = straceArgs({
    version,
    output: '/dev/null',
    command: ['/bin/true'],
    daemonize: true,
    ...(opts.seccompExcept ? { seccompExcept: opts.seccompExcept } : {}),
  });
  const flags = full.slice(0, full.indexOf('-o')).filter((a) => a !== '--kill-on-exit');
  return flags.includes('-D') ? flags : ['-D', ...flags];
}

/**
 * Decision tracing needs --seccomp-bpf in the host's strace (probed from `strace -h`, and >= 5.3)
 * and the target's syscall groups (probed, else bundled for its systemd): the trace set is derived
 * from them. Without facts nothing is known, so tracing is full. Throws (before anything changed)
 * when `decisions` was asked for and cannot be had.
 *
 * Units with KillMode=process or none also default to full tracing: their processes may outlive the
 * stop at the end of the window (an sshd's login sessions), and hush then detaches strace from them
 * (killStragglersCommand). A process carrying strace's seccomp filter cannot run without its tracer:
 * strace >= 6.6 kills it (--seccomp-bpf implies --kill-on-exit), older ones leave every traced syscall
 * failing with ENOSYS. Under full tracing a detached process goes on untraced on every strace: the
 * wrapper drops --kill-on-exit (wrapperStraceArgs; checked with strace 6.13 on Debian 13).
 */
export function chooseTracing(
  asked: Tracing | undefined,
  info: UnitInfo,
  facts: HostFacts | undefined,
): { set?: DecisionTraceSet; why: string } {
  if (asked === 'full') return { why: 'full (asked for)' };
  const killMode = (facts?.unit?.properties.KillMode ?? info.properties.KillMode ?? '').trim();
  if (asked === undefined && (killMode === 'process' || killMode === 'none')) {
    return { why: `full (KillMode=${killMode}: processes may outlive the window, see chooseTracing)` };
  }
  const version = info.strace ? parseStraceVersion(info.strace.version) : null;
  const groups = facts ? syscallGroupsFor(facts.systemdVersion, facts.syscallGroups) : undefined;
  const missing = !facts
    ? 'no host facts'
    : !version || !straceFeatures(version).seccompBpf || !(facts.straceFlags ?? []).includes('--seccomp-bpf')
      ? "the host's strace has no --seccomp-bpf"
      : !groups
        ? `no syscall groups known for systemd ${facts.systemdVersion}`
        : undefined;
  if (missing || !groups || !facts) {
    if (asked === 'decisions') {
      throw new ProfileError(
        `decision tracing is not available (${missing}); use full tracing. Nothing was changed.`,
      );
    }
    return { why: `full (${missing})` };
  }
  // The unit's properties decide whether fstat may stay untraced (core/tracing mayInheritPathFds).
  const set = decisionTraceSet(
    groups.groups,
    facts.systemdVersion,
    facts.unit?.properties ?? info.properties,
  );
  return {
    set,
    why: `decisions (strace --seccomp-bpf; ${set.untraced.size} hot syscalls left out, groups: ${groups.source})`,
  };
}

/** The unit's WorkingDirectory= as the first traced process's cwd (`-`/`!` prefixes dropped; `~` unknown). */
export function unitCwd(value: string | undefined): string | undefined {
  const v = (value ?? '').replace(/^[-!]+/, '').trim();
  if (v === '') return '/';
  return v.startsWith('/') ? v : undefined;
}

async function activeStateOf(conn: Connection, unit: string): Promise<string> {
  const r = await conn.exec(sh`systemctl is-active -- ${unit}`, { timeoutMs: HOST_CMD_TIMEOUT_MS });
  return r.stdout.trim() || 'unknown';
}

/** Waits for `active` (activating/reloading are waited out); then checks it stays so for a moment. */
async function waitActive(conn: Connection, unit: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let state = await activeStateOf(conn, unit);
  while (state !== 'active' && Date.now() < deadline) {
    if (state === 'failed' || state === 'inactive') break;
    await sleep(500);
    state = await activeStateOf(conn, unit);
  }
  if (state !== 'active') return state;
  await sleep(1000);
  return activeStateOf(conn, unit);
}

async function journalTail(conn: Connection, unit: string): Promise<string> {
  const r = await conn.exec(sh`journalctl --no-pager -n 30 -o short-monotonic -u ${unit}`, {
    timeoutMs: HOST_CMD_TIMEOUT_MS,
  });
  return r.stdout.trim();
}

/** The connection, re-dialled after a cut. */
class Link {
  #conn: Connection | undefined;
  #dialing: Promise<Connection> | undefined;
  reconnects = 0;
  constructor(
    private readonly dial: () => Promise<Connection>,
    private readonly log: (l: string) => void,
  ) {}

  async get(): Promise<Connection> {
    if (this.#conn && !this.#conn.closed) return this.#conn;
    this.#dialing ??= (async () => {
      const first = this.#conn === undefined;
      if (!first) this.log('connection lost; reconnecting');
      const c = await this.dial();
      if (!first) this.reconnects++;
      this.#conn = c;
      return c;
    })().finally(() => {
      this.#dialing = undefined;
    });
    return this.#dialing;
  }

  async close(): Promise<void> {
    await this.#conn?.close();
  }
}

/** One SSH reader stream per traced slot, re-attached after a reconnect. */
class Readers {
  readonly #active = new Map<string, { proc: RemoteProcess; done: Promise<TraceSegment[]> }>();
  readonly #segments: TraceSegment[] = [];
  readonly #count = new Map<string, number>();
  #bytes = 0;
  #finishing = false;
  #started = false;
  #starting: Promise<void> | undefined;

  constructor(
    private readonly paths: SessionPaths,
    private readonly slots: readonly Slot[],
    private readonly compress: boolean,
    private readonly source: string,
    private readonly cwd: string | undefined,
    private readonly log: (l: string) => void,
  ) {}

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Starts a reader for every slot that has none running. Serialized: the heartbeat re-attaches
   * readers concurrently with setup, and two readers on one FIFO would split a trace between them.
   */
  start(conn: Connection): Promise<void> {
    this.#starting ??= this.#startMissing(conn).finally(() => {
      this.#starting = undefined;
      this.#started = true;
    });
    return this.#starting;
  }

  async #startMissing(conn: Connection): Promise<void> {
    for (const s of this.slots) {
      if (this.#active.has(s.id)) continue;
      const proc = await conn.execStream(readerCommand(this.paths, s.id, this.compress));
      proc.stderr.resume();
      let last = 0;
      const done = collectStream(proc.stdout, {
        slot: s.id,
        source: this.source,
        compressed: this.compress,
        ...(this.cwd ? { cwd: this.cwd } : {}),
        firstInvocation: (this.#count.get(s.id) ?? 0) + 1,
        onBytes: (n) => {
          this.#bytes += n - last;
          last = n;
        },
        onSegment: (seg) => {
          this.#count.set(s.id, seg.invocation);
          this.log(
            `trace ${seg.slot} #${seg.invocation}: ${seg.stats.lines} lines${seg.complete ? '' : ' (incomplete)'}`,
          );
        },
      }).then((segs) => {
        this.#segments.push(...segs);
        this.#active.delete(s.id);
        return segs;
      });
      this.#active.set(s.id, { proc, done });
    }
  }

  /** Slots whose reader ended while the session goes on (a cut connection). */
  get missing(): number {
    if (this.#finishing || !this.#started || this.#starting) return 0;
    return this.slots.length - this.#active.size;
  }

  /** After the unit stopped: end the loops, wait for the last bytes; force stragglers out. */
  async drain(link: Link, timeoutMs: number, stracePath: string): Promise<void> {
    this.#finishing = true;
    let conn = await link.get();
    if (this.#active.size < this.slots.length) await this.start(conn); // re-attach after a late cut
    await conn.exec(wakeReadersCommand(this.paths), { timeoutMs: HOST_CMD_TIMEOUT_MS });
    const all = () => Promise.all([...this.#active.values()].map((r) => r.done));
    const timedOut = await Promise.race([
      all().then(() => false),
      sleep(timeoutMs, undefined, { unref: true }).then(() => true),
    ]);
    if (timedOut) {
      this.log('some traces did not end after the stop (processes left behind?); detaching strace');
      conn = await link.get();
      await conn.exec(killStragglersCommand(this.paths, stracePath), { timeoutMs: HOST_CMD_TIMEOUT_MS });
      await conn.exec(wakeReadersCommand(this.paths), { timeoutMs: HOST_CMD_TIMEOUT_MS });
      const still = await Promise.race([
        all().then(() => false),
        sleep(10_000, undefined, { unref: true }).then(() => true),
      ]);
      if (still) this.abort();
    }
    await all();
  }

  abort(): void {
    this.#finishing = true;
    for (const r of this.#active.values()) r.proc.kill('KILL');
  }

  segments(): TraceSegment[] {
    return [...this.#segments];
  }
}

/** Keeps the watchdog quiet and re-attaches readers after a cut. */
function startHeartbeat(
  link: Link,
  paths: SessionPaths,
  periodSec: number,
  readers: Readers,
  log: (l: string) => void,
  warnings: string[],
): () => Promise<void> {
  let stopped = false;
  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const conn = await link.get();
        const ok = await heartbeat(conn, paths, Math.max(periodSec * 2000, 30_000));
        if (!ok) {
          warnings.push('the session directory disappeared on the host during the window');
          return;
        }
        if (readers.missing > 0 && !stopped) {
          log(`re-attaching ${readers.missing} trace reader(s)`);
          await readers.start(conn);
        }
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1) log(`heartbeat failed: ${(err as Error).message}`);
      }
      // Between beats, look every second for readers a cut connection ended: a traced command
      // blocks once its FIFO's pipe buffer is full, so re-attaching cannot wait for the next beat.
      const next = Date.now() + periodSec * 1000;
      do await sleep(1000);
      while (!stopped && Date.now() < next && readers.missing === 0);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

async function runWindow(
  opts: ProfileServiceOptions,
  link: Link,
  log: (l: string) => void,
): Promise<ProfileServiceResult['workloads']> {
  const result: ProfileServiceResult['workloads'] = {};
  const waits: Promise<void>[] = [];
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort());
  if (opts.durationMs !== undefined) waits.push(sleep(opts.durationMs, stop.signal));
  if (opts.remoteWorkload !== undefined) {
    const cmd = opts.remoteWorkload;
    waits.push(
      (async () => {
        log('running the host workload');
        const conn = await link.get();
        const proc = await conn.execStream(userShellCommand(cmd));
        proc.stdout.on('data', (b: Buffer) => log(`[host workload] ${b.toString('utf8').trimEnd()}`));
        proc.stderr.on('data', (b: Buffer) => log(`[host workload] ${b.toString('utf8').trimEnd()}`));
        stop.signal.addEventListener('abort', () => proc.kill('TERM'));
        const r = await proc.done;
        result.remote = { code: r.code };
        log(`host workload exited with ${r.code}`);
      })(),
    );
  }
  if (opts.localWorkload !== undefined) {
    const cmd = opts.localWorkload;
    waits.push(
      new Promise<void>((resolve) => {
        log('running the local workload');
        const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (b: Buffer) => log(`[workload] ${b.toString('utf8').trimEnd()}`));
        child.stderr.on('data', (b: Buffer) => log(`[workload] ${b.toString('utf8').trimEnd()}`));
        stop.signal.addEventListener('abort', () => child.kill('SIGTERM'));
        child.on('close', (code, signal) => {
          result.local = signal ? { code, signal } : { code };
          log(`local workload exited with ${signal ?? code}`);
          resolve();
        });
        child.on('error', (err) => {
          result.local = { code: null, signal: err.message };
          resolve();
        });
      }),
    );
  }
  if (waits.length === 0) {
    if (!opts.signal)
      throw new ProfileError('no profile window: give a duration, a workload or an abort signal');
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', () => resolve());
    });
    return result;
  }
  await Promise.race([
    Promise.all(waits),
    new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      stop.signal.addEventListener('abort', () => resolve());
    }),
  ]);
  stop.abort();
  await Promise.race([Promise.all(waits), sleep(5000, undefined, { unref: true })]);
  return result;
}
