/**
 * core/profiling: what a profiling session decides before and while it touches a unit, as pure
 * functions of what the host said (remote/profile/ runs the session).
 */
export { ProfilingError, StraceMissingError, WrappedStartError } from './errors';
export { UnitInfo, unitCwd, isActive } from './unitInfo';
export { chooseTracing, tracingMode, type TracingChoice } from './tracingChoice';
export { wrapperStraceArgs } from './straceFlags';
export { planWrapper, refuseUnprofilable, commandsToWrap, type WrapperPlanOptions } from './wrapperPlan';
export {
  buildWrapper,
  mainSyslogIdentifier,
  slotId,
  Slot,
  PROFILE_DROPIN_NAME,
  PROFILE_DROPIN_MARKER,
  type Wrapper,
  type WrapperInput,
  type StraceOnHost,
} from './wrapper';
export {
  DEFAULT_TIMEOUT_SCALE,
  DEFAULT_WATCHDOG_TIMEOUT_SEC,
  DEFAULT_SETTLE_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  HOST_CMD_TIMEOUT_MS,
  timeoutScale,
  watchdogTimeoutSec,
  heartbeatPeriodSec,
  restartTimeoutMs,
} from './timeouts';
