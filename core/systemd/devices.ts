/**
 * Device node vocabulary shared by the summary (is this open a device access?), the option model
 * (what PrivateDevices= keeps) and the resolver (what DevicePolicy=closed lets through).
 */

/** Devices DevicePolicy=closed (and an implicit DeviceAllow=) always allows (systemd bpf-devices.c). */
export const CLOSED_POLICY_DEVICES: readonly string[] = [
  '/dev/null',
  '/dev/zero',
  '/dev/full',
  '/dev/random',
  '/dev/urandom',
  '/dev/tty',
  '/dev/ptmx',
];

/** Character devices every Linux system has (devtmpfs), by path: the closed-policy ones plus the consoles. */
export const STANDARD_CHAR_DEVICES: readonly string[] = [
  ...CLOSED_POLICY_DEVICES,
  '/dev/console',
  '/dev/kmsg',
];
