/** Decision tracing: the `--seccomp-bpf` trace set and the profile completion after it (decisionSyscalls.ts). */
export {
  UNTRACED,
  CUSTOM_CHECK_SYSCALLS,
  decisionUnits,
  decisionTraceSet,
  untracedList,
  mayInheritFds,
  mayInheritPathFds,
  completeDecisionProfile,
  assumeUnknownPidfdTargets,
  type Tracing,
  type Omission,
  type RedundantHandler,
  type DecisionUnit,
  type DecisionTraceSet,
  type CompletedProfile,
} from './decisionSyscalls';
