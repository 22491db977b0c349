import { parseStraceVersion, straceFeatures } from '../strace/invocation';
import { syscallGroupsFor } from '../systemd/groups';
import { decisionTraceSet, type DecisionTraceSet, type Tracing } from '../tracing';
import type { HostFacts } from '../profile/hostFacts';
import { ProfilingError } from './errors';
import type { UnitInfo } from './unitInfo';

/** How a session traces: `set` present = decision tracing with that trace set; `why` for the log. */
export interface TracingChoice {
  set?: DecisionTraceSet;
  why: string;
}

/** The mode a choice stands for (what the profile's runs and the session's state record). */
export function tracingMode(choice: TracingChoice): Tracing {
  return choice.set ? 'decisions' : 'full';
}

/**
 * Decision tracing needs --seccomp-bpf in the host's strace (probed from `strace -h`, and >= 5.3)
 * and the target's syscall groups (probed, else bundled for its systemd): the trace set is derived
 * from them. Without facts nothing is known, so tracing is full. Throws (before anything changed)
 * when `decisions` was asked for and cannot be had.
 *
 * Units with KillMode=process or none also default to full tracing: their processes may outlive the
 * stop at the end of the window (an sshd's login sessions), and hush then detaches strace from them
 * (remote/profile/liveSink.ts killStragglersCommand). A process carrying strace's seccomp filter
 * cannot run without its tracer: strace >= 6.6 kills it (--seccomp-bpf implies --kill-on-exit),
 * older ones leave every traced syscall failing with ENOSYS. Under full tracing a detached process
 * goes on untraced on every strace: the wrapper drops --kill-on-exit (wrapperStraceArgs; checked
 * with strace 6.13 on Debian 13).
 *
 * Deterministic: the same mode, unit and facts give the same set, so a later `finish` that reads
 * the session's state back gets the set its start traced with.
 */
export function chooseTracing(
  asked: Tracing | undefined,
  info: UnitInfo,
  facts: HostFacts | undefined,
): TracingChoice {
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
      throw new ProfilingError(
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
