/** What a profiling session takes and gives back (the steps in this folder share these). */
import type { Profile } from '../../core/profile/schema';
import type { Slot } from '../../core/profiling/wrapper';
import type { Tracing } from '../../core/tracing';
import type { SessionHost } from '../host';
import type { SessionUnitPolicy } from '../sessionUnits';

export type RecorderChoice = 'auto' | 'ebpf' | 'strace';

export interface ProfileServiceOptions {
  /** The service (validated: `nginx` → `nginx.service`; template instances allowed). */
  unit: string;
  /** Opens a connection; called again to re-dial after a cut. */
  connect: () => Promise<SessionHost>;
  /**
   * Units whose children are login sessions or other people's jobs (remote/sessionUnits.ts): the
   * plan step refuses them before anything is touched (default `refuse`), since the restart under
   * the recorder would trace every login of the window and the hardening would reach every session.
   */
  sessionUnit?: SessionUnitPolicy;
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
   * block (liveSink.ts READER_BLOCK_BYTES), lost on a cut too.
   */
  compress?: boolean;
  /**
   * A detached recording (remote/recording): the trace is spooled on the host, compressed and capped
   * at `capBytes`, until `deadline` (or a finish); only the recording's start uses this.
   */
  spool?: { deadline: Date; capBytes: number };
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
  /**
   * What records the unit. `ebpf`: hush's in-kernel recorder attached to the unit's cgroup
   * (remote/profile/ebpfRecorder.ts; no wrapper, no ptrace, a fraction of strace's overhead); an
   * error where the host cannot run it. `strace`: the wrapper. `auto`: the eBPF recorder where the
   * host's kernel loads it, else strace. Default `strace` (see core/tracing README, "In-kernel
   * recording").
   */
  recorder?: RecorderChoice;
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
  /** Which recorder recorded (also in every run of the profile). */
  recorder: 'strace' | 'ebpf';
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
