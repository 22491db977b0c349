/**
 * Exposure: reproduces `systemd-analyze security`'s score offline from a unit's `systemctl show`
 * properties plus a drop-in's assignments.
 */
export {
  predictExposure,
  assessSecurity,
  securityInfo,
  exposureLabel,
  formatExposure,
  type ExposurePrediction,
  type ExposureLabel,
  type CheckResult,
  type PredictOptions,
} from './score';
export { applyAssignments, type ApplyResult } from './assignments';
export {
  parseSystemctlShow,
  settingsFromProperties,
  propertiesFromSettings,
  DEFAULT_SERVICE_PROPERTIES,
  MODELLED_PROPERTIES,
  type SecuritySettings,
  type UnitProperties,
} from './settings';
export { SECURITY_CHECKS, type SecurityCheck, type SecurityInfo } from './checks';
