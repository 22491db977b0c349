/**
 * The Recorder seam: what records the unit during the window, and how its streams become a profile.
 *
 * A recorder says which trace streams it writes (each a FIFO the sink creates and carries, sink.ts),
 * what it changes on the unit for the window (unitChanges.ts), how to force its writers out when
 * the streams do not end after the stop, how the bytes of one recording become a profile, and how
 * the merged profile is completed. The session steps use only this interface.
 *
 * Two recorders: `strace-wrapper`, a runtime drop-in that runs every Exec command under
 * `strace -D … -o <fifo>` (core/profiling/wrapper.ts), one stream per traced command; and `ebpf`
 * (ebpfRecorder.ts), hush's in-kernel recorder watching the unit's cgroup from outside: no unit
 * changes, one stream written by its own host process (startCommand/endCommand), its own
 * SegmentParser (core/ebpf) producing the same Profile.
 */
import { StraceParser, newStats } from '../../core/strace';
import { createSummarizer, HANDLED_SYSCALLS } from '../../core/summary';
import type { HostFacts } from '../../core/profile/hostFacts';
import type { Profile } from '../../core/profile/schema';
import { chooseTracing } from '../../core/profiling/tracingChoice';
import { completeDecisionProfile, type DecisionTraceSet, type Tracing } from '../../core/tracing';
import { sh, type ShellCommand } from '../shell';
import type { SegmentParser } from './collect';
import {
  EBPF_STREAM,
  ebpfSegmentParser,
  endRecorderCommand,
  forceEndRecorderCommand,
  startRecorderCommand,
  type EbpfState,
} from './ebpfRecorder';
import type { SessionPaths } from './layout';
import type { RecorderState, SessionPlan } from './state';
import { ROOT_WRITER, type TraceStream } from './traceFiles';
import { type UnitChange, wrapperDropIn } from './unitChanges';

export interface Recorder {
  readonly state: RecorderState;
  /** How it traced (every run of the profile says so). */
  readonly tracing: Tracing;
  /** The streams it writes. */
  readonly streams: readonly TraceStream[];
  /** What it changes on the unit for the window, made by the start step before the restart. */
  readonly unitChanges: readonly UnitChange[];
  /** Ends writers still holding a stream after the unit stopped (drain's last resort). */
  forceEndCommand(p: SessionPaths): ShellCommand;
  /** A parser for one recording of the stream `stream`. */
  newSegment(stream: string): SegmentParser;
  /** Completes the merged profile of every recording. */
  complete(profile: Profile, log: (line: string) => void): Profile;
  /** A host process that records from outside: started before the restart, once the sink holds the FIFOs. */
  startCommand?(p: SessionPaths): ShellCommand;
  /** Ends that process after the window (it then closes its streams). */
  endCommand?(p: SessionPaths): ShellCommand;
}

/** The recorder a session plan describes (the start step, and a finish that reads the plan back). */
export function recorderFor(plan: SessionPlan): Recorder {
  switch (plan.recorder.kind) {
    case 'strace-wrapper':
      return straceWrapperRecorder(plan.recorder, plan);
    case 'ebpf':
      return ebpfRecorder(plan.recorder, plan);
  }
}

/** The in-kernel recorder (ebpfRecorder.ts): one stream, written by root, no unit change. */
function ebpfRecorder(state: EbpfState, plan: Pick<SessionPlan, 'cwd'>): Recorder {
  return {
    state,
    // every syscall is counted in the kernel: nothing is left out
    tracing: 'full',
    streams: [{ id: EBPF_STREAM, writer: { kind: 'root' } }],
    unitChanges: [],
    forceEndCommand: (p) => forceEndRecorderCommand(p),
    newSegment: () => ebpfSegmentParser(plan.cwd),
    complete: (profile) => profile,
    startCommand: (p) => startRecorderCommand(p, state),
    endCommand: (p) => endRecorderCommand(p),
  };
}

function straceWrapperRecorder(
  state: Extract<RecorderState, { kind: 'strace-wrapper' }>,
  plan: Pick<SessionPlan, 'info' | 'facts' | 'cwd'>,
): Recorder {
  // Deterministic: the same mode, unit and facts give the trace set the wrapper was built with.
  const set =
    state.tracing === 'decisions' ? chooseTracing('decisions', plan.info, plan.facts).set : undefined;
  return {
    state,
    tracing: state.tracing,
    streams: state.slots.filter((s) => s.traced).map((s) => ({ id: s.id, writer: ROOT_WRITER })),
    unitChanges: [wrapperDropIn.change(state.dropIn)],
    forceEndCommand: (p) => killStragglersCommand(p, state.stracePath),
    newSegment: (stream) =>
      straceSegment(plan.cwd, state.slots.find((s) => s.id === stream)?.launcherExecs ?? 0),
    complete: (profile, log) =>
      completeStraceProfile(profile, set ? { set, facts: plan.facts } : undefined, log),
  };
}

/**
 * One strace session: core/strace's parser into core/summary's summarizer. `launcherExecs`: the
 * programs hush runs in front of the command in the traced process (setpriv…), left out.
 */
export function straceSegment(cwd: string | undefined, launcherExecs = 0): SegmentParser {
  const stats = newStats();
  const parser = new StraceParser({ fullParse: (n) => HANDLED_SYSCALLS.has(n), stats });
  const summarizer = createSummarizer({
    ...(cwd ? { cwd } : {}),
    ...(launcherExecs ? { launcherExecs } : {}),
  });
  return {
    push(bytes) {
      for (const ev of parser.push(bytes)) summarizer.push(ev);
    },
    finish(run) {
      for (const ev of parser.end()) summarizer.push(ev);
      // the wrapper's strace (core/strace straceArgs) prints personality notices: RunInfo.abiWatched
      const profile = summarizer.finish({
        ...run,
        lines: stats.lines,
        unparsable: stats.unparsed,
        abiWatched: true,
      });
      return { profile, lines: stats.lines };
    },
  };
}

/** Decision tracing: count what it can prove about the untraced syscalls; full: mark the runs. */
function completeStraceProfile(
  profile: Profile,
  decisions: { set: DecisionTraceSet; facts: HostFacts | undefined } | undefined,
  log: (line: string) => void,
): Profile {
  if (!decisions) return { ...profile, runs: profile.runs.map((r) => ({ ...r, tracing: 'full' as const })) };
  const done = completeDecisionProfile(profile, decisions.set, decisions.facts?.unit?.properties);
  if (done.assumed.length)
    log(`decision tracing: counted as used without seeing them: ${done.assumed.join(' ')}`);
  return done.profile;
}

/**
 * Kills strace processes that still hold one of the session's FIFOs after the unit stopped (a
 * KillMode=process unit leaves processes behind, and strace stays with them). What happens to
 * their tracees depends on the strace, not on this command:
 *  - full tracing, any strace: the wrapper drops --kill-on-exit (core/profiling wrapperStraceArgs),
 *    so the tracees are detached and go on untraced.
 *  - strace >= 6.6, decision tracing: --seccomp-bpf implies --kill-on-exit, so the kernel SIGKILLs
 *    every tracee when strace dies (PTRACE_O_EXITKILL); the leftover processes end with it.
 *  - strace < 6.6, decision tracing (--seccomp-bpf): strace's seccomp filter stays in the tracees
 *    with no tracer to answer it, so every syscall it traces fails with ENOSYS, and they most
 *    likely fail. That is why chooseTracing (core/profiling) profiles KillMode=process/none units,
 *    the only ones that leave processes behind, with full tracing unless decisions are asked for.
 */
export function killStragglersCommand(p: SessionPaths, stracePath: string): ShellCommand {
  return sh`for fd in /proc/[0-9]*/fd/*; do t=$(readlink "$fd" 2>/dev/null) || continue; case "$t" in ${p.fifoDir}/*) pid=\${fd#/proc/}; pid=\${pid%%/*}; [ "$(readlink /proc/$pid/exe 2>/dev/null)" = ${stracePath} ] && kill -KILL "$pid" 2>/dev/null;; esac; done; true`;
}
