/**
 * remote/: host I/O over SSH. Nothing clever lives here: it connects (with host-key pinning),
 * builds quoted commands, probes host facts, applies / verifies / rolls back / resets the
 * hardening drop-in, and reports what hush manages on a host. The profiling session
 * (remote/profile/) builds on the same connection and shell helpers.
 */
export {
  connect,
  parseConnectionArgs,
  redact,
  Connection,
  ConnectionArgs,
  ProxyConnectionArgs,
  ConnectionConfigError,
  RemoteError,
  HostKeyMismatchError,
  AuthenticationError,
  DialError,
  SudoRequiredError,
  CommandTimeoutError,
  RemoteCommandError,
  type ConnectionConfig,
  type ConnectOptions,
  type ExecOptions,
  type ExecResult,
  type RemoteProcess,
} from './connection';
export { parseHostKeyPins, fingerprintOf, HostKeyPinError, type HostKeyPin } from './hostKey';
export {
  sh,
  argv,
  shQuote,
  seq,
  and,
  asRoot,
  trustedScript,
  userShellCommand,
  ShellCommand,
  type ShellValue,
} from './shell';
export {
  parseUnitName,
  parseRunnableUnitName,
  validateUnitName,
  InvalidUnitNameError,
  UNIT_NAME_MAX,
  type UnitName,
} from '../core/systemd/unitName';
export { HARDENING_DROPIN_NAME, hardeningPaths, applyPaths, unitSlug } from './paths';
export { probe, probeDetailed, ProbeError, type ProbeOptions, type ProbeResult } from './probe';
export {
  applyDropIn,
  checkDropInText,
  ApplyError,
  ApplyBusyError,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  type ApplyOptions,
  type ApplyResult,
  type ApplyVerdict,
} from './apply';
export { reset, ResetError, type ResetOptions, type ResetResult } from './reset';
export { adminWrite, proveAccess, describeProof, type AccessProof, type AdminWrite } from './access';
export {
  detectSessionReach,
  enforceSessionPolicy,
  restrictPlanToSessionSafe,
  sessionSafeOptions,
  keepCgroupScopedOptions,
  SessionUnitError,
  SessionUnitPolicy,
  CGROUP_SCOPED_OPTIONS,
  type SessionReach,
} from './sessionUnits';
export { status, HushStatus, HardenedUnit } from './status';
export {
  profileService,
  ProfilingError,
  StraceMissingError,
  WrappedStartError,
  type ProfileServiceOptions,
  type ProfileServiceResult,
} from './profile';
export { clearLeftovers, ProfilingInProgressError, type LeftoverReport } from './profile/leftovers';
