/**
 * Predicts `systemd-analyze security UNIT` offline: effective settings (from `systemctl show`
 * properties) plus a drop-in's assignments → systemd's 81 checks → the overall exposure.
 *
 * Formula (analyze-security.c, assess()): for each applicable row,
 *   badness_sum += ceil(badness × weight / range),  weight_sum += weight;
 *   exposure = ceil(badness_sum × 100 / weight_sum), an integer 0..100 printed as exposure/10 "." exposure%10.
 * A row's EXPOSURE column is ceil(ceil(badness × weight × 100 / range) / weight_sum) tenths.
 */
import type { Assignment } from '../resolve/plan';
import type { SyscallGroups } from '../systemd/syscallFilter';
import { applyAssignments } from './assignments';
import { SECURITY_CHECKS, type SecurityInfo } from './checks';
import { NAMESPACES } from '../systemd/namespaces';
import { capMask } from './linux';
import {
  DEFAULT_SERVICE_PROPERTIES,
  propertiesFromSettings,
  settingsFromProperties,
  type SecuritySettings,
  type UnitProperties,
} from './settings';

export type ExposureLabel = 'PERFECT' | 'SAFE' | 'OK' | 'MEDIUM' | 'EXPOSED' | 'UNSAFE' | 'DANGEROUS';

/** badness_table: first row whose threshold the integer exposure reaches. */
const LABELS: readonly [number, ExposureLabel][] = [
  [100, 'DANGEROUS'],
  [90, 'UNSAFE'],
  [75, 'EXPOSED'],
  [50, 'MEDIUM'],
  [10, 'OK'],
  [1, 'SAFE'],
  [0, 'PERFECT'],
];

export function exposureLabel(exposure: number): ExposureLabel {
  return (LABELS.find(([min]) => exposure >= min) ?? LABELS[LABELS.length - 1])![1];
}

/** How systemd prints an integer exposure (tenths): 96 → "9.6". */
export function formatExposure(tenths: number): string {
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

export interface CheckResult {
  name: string;
  jsonField: string;
  weight: number;
  range: number;
  /** 0..range, null when not applicable. */
  badness: number | null;
  /** systemd's checkmark: true = passed, false = failed (also partly), null = N/A. */
  set: boolean | null;
  /** The row's EXPOSURE column ("0.2"), null when the row passed or is N/A. */
  exposure: string | null;
  description: string;
}

export interface ExposurePrediction {
  /** The overall exposure as systemd prints it, e.g. 9.6. */
  score: number;
  /** The same, as printed ("9.6"). */
  scoreText: string;
  /** Integer 0..100 (what --threshold compares against). */
  exposure: number;
  label: ExposureLabel;
  checks: CheckResult[];
  /** The predicted `systemctl show` values of the modelled properties after the assignments. */
  properties: UnitProperties;
  /** Assignments that do not affect the score (not modelled). */
  ignored: Assignment[];
  warnings: string[];
}

export interface PredictOptions {
  /** `@group` → members, from the target's `systemd-analyze syscall-filter` (needed for SystemCallFilter). */
  syscallGroups?: SyscallGroups;
  /**
   * `online` (default) reproduces `systemd-analyze security UNIT` against the running manager;
   * `offline` reproduces `--offline=true`, which lacks the PrivateMounts implication and judges
   * IPAddressAllow= localhost entries by address alone.
   */
  mode?: 'online' | 'offline';
  /** The target's systemd major version (which option values it accepts); default: newest. */
  systemdVersion?: number;
}

const isLocalhost = (prefix: string): boolean => {
  const [addr] = prefix.split('/');
  return addr !== undefined && (/^127\./.test(addr) || addr === '::1');
};

/** SecurityInfo as systemd-analyze builds it from the unit (acquire_security_info / get_security_info). */
export function securityInfo(s: SecuritySettings, mode: 'online' | 'offline' = 'online'): SecurityInfo {
  const af = s.addressFamilies;
  // property_read_restrict_address_families(): every bucket starts "restricted" iff allow-list,
  // then each listed family flips its own bucket.
  const buckets = {
    inet: af.allowList,
    unix: af.allowList,
    netlink: af.allowList,
    packet: af.allowList,
    other: af.allowList,
  };
  for (const fam of af.families ?? []) {
    if (fam === 'AF_INET' || fam === 'AF_INET6') buckets.inet = !af.allowList;
    else if (fam === 'AF_UNIX') buckets.unix = !af.allowList;
    else if (fam === 'AF_NETLINK') buckets.netlink = !af.allowList;
    else if (fam === 'AF_PACKET') buckets.packet = !af.allowList;
    else buckets.other = !af.allowList;
  }

  let ipAllowLocalhost = false;
  let ipAllowOther = false;
  for (const p of s.ipAddressAllow) {
    const [, len] = p.split('/');
    const v6 = p.includes(':');
    // Online, only an IPv4 /8 or IPv6 /128 entry can count as localhost (so 127.0.0.1/32 does not).
    const prefixOk = mode === 'offline' || (v6 ? len === '128' : len === '8');
    if (prefixOk && isLocalhost(p)) ipAllowLocalhost = true;
    else ipAllowOther = true;
  }
  const denyAll = s.ipAddressDeny.includes('0.0.0.0/0') && s.ipAddressDeny.includes('::/0');

  let privateMounts = s.privateMounts;
  let caps = s.capabilityBoundingSet;
  if (mode === 'online') {
    // acquire_security_info(): implications the manager applies at runtime but does not show.
    if (
      s.privateDevices ||
      s.privateTmp ||
      s.protectControlGroups ||
      s.protectKernelTunables ||
      s.protectKernelModules ||
      s.protectHome !== 'no' ||
      s.protectSystem !== 'no' ||
      s.rootImage !== ''
    ) {
      privateMounts = true;
    }
    if (s.protectKernelModules) caps &= ~capMask('CAP_SYS_MODULE');
    if (s.protectKernelLogs) caps &= ~capMask('CAP_SYSLOG');
    if (s.protectClock) caps &= ~capMask('CAP_SYS_TIME', 'CAP_WAKE_ALARM');
    if (s.privateDevices) caps &= ~capMask('CAP_MKNOD', 'CAP_SYS_RAWIO');
  }

  return {
    defaultDependencies: s.defaultDependencies,
    user: s.user,
    dynamicUser: s.dynamicUser,
    supplementaryGroups: s.supplementaryGroups,
    ambientCapabilities: s.ambientCapabilities,
    capabilityBoundingSet: caps,
    noNewPrivileges: s.noNewPrivileges,
    privateDevices: s.privateDevices,
    privateMounts,
    privateNetwork: s.privateNetwork,
    privateTmp: s.privateTmp,
    privateUsers: s.privateUsers,
    protectControlGroups: s.protectControlGroups,
    protectKernelModules: s.protectKernelModules,
    protectKernelTunables: s.protectKernelTunables,
    protectKernelLogs: s.protectKernelLogs,
    protectClock: s.protectClock,
    protectHostname: s.protectHostname,
    protectHome: s.protectHome,
    protectSystem: s.protectSystem,
    lockPersonality: s.lockPersonality,
    memoryDenyWriteExecute: s.memoryDenyWriteExecute,
    removeIPC: s.removeIPC,
    restrictRealtime: s.restrictRealtime,
    restrictSUIDSGID: s.restrictSUIDSGID,
    delegate: s.delegate,
    keyringMode: s.keyringMode,
    protectProc: s.protectProc,
    procSubset: s.procSubset,
    notifyAccess: s.notifyAccess,
    rootDirectory: s.rootDirectory,
    rootImage: s.rootImage,
    umask: s.umask,
    namespacesAllowed: new Set(s.restrictNamespaces.initial ? NAMESPACES : s.restrictNamespaces.allowed),
    afInet: buckets.inet,
    afUnix: buckets.unix,
    afNetlink: buckets.netlink,
    afPacket: buckets.packet,
    afOther: buckets.other,
    syscallArchitectures: new Set(s.syscallArchitectures),
    syscallFilterAllowList: s.syscallFilter.allowList,
    // "ignore errno or action after colon" (systemd ≥ 252.x as shipped by Debian; checked live).
    syscallFilter: new Set((s.syscallFilter.entries ?? []).map((e) => e.split(':')[0] as string)),
    ipAddressDenyAll: denyAll,
    ipAddressAllowLocalhost: ipAllowLocalhost,
    ipAddressAllowOther: ipAllowOther,
    ipFiltersCustom: s.ipIngressFilterPath.length > 0 || s.ipEgressFilterPath.length > 0,
    devicePolicy: s.devicePolicy,
    deviceAllow: s.deviceAllow,
  };
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Runs systemd's checks over a SecurityInfo and sums them up as assess() does. */
export function assessSecurity(info: SecurityInfo, opts: Pick<PredictOptions, 'syscallGroups'> = {}) {
  const rows = SECURITY_CHECKS.map((check) => {
    const assessed =
      check.defaultDependenciesOnly && !info.defaultDependencies
        ? { badness: null, description: 'Service runs in special boot phase, option is not appropriate' }
        : check.assess(info, { syscallGroups: opts.syscallGroups });
    return { check, ...assessed };
  });
  let badnessSum = 0n;
  let weightSum = 0n;
  for (const r of rows) {
    if (r.badness === null) continue;
    badnessSum += ceilDiv(BigInt(r.badness * r.check.weight), BigInt(r.check.range));
    weightSum += BigInt(r.check.weight);
  }
  const exposure = Number(ceilDiv(badnessSum * 100n, weightSum));
  const checks: CheckResult[] = rows.map(({ check, badness, description }) => {
    const set = badness === null ? null : badness === 0 ? true : false;
    const rowExposure =
      badness === null || badness === 0
        ? null
        : formatExposure(
            Number(ceilDiv(ceilDiv(BigInt(badness * check.weight) * 100n, BigInt(check.range)), weightSum)),
          );
    const text =
      description ??
      (badness === null
        ? check.descriptionNa
        : badness === check.range
          ? check.descriptionBad
          : badness === 0
            ? check.descriptionGood
            : undefined) ??
      '';
    return {
      name: check.name,
      jsonField: check.jsonField,
      weight: check.weight,
      range: check.range,
      badness,
      set,
      exposure: rowExposure,
      description: text,
    };
  });
  return { exposure, checks };
}

/**
 * The score systemd would print for a unit whose current `systemctl show` properties are given,
 * once the assignments (a drop-in read after the unit's own files) are added.
 */
export function predictExposure(
  properties: UnitProperties = DEFAULT_SERVICE_PROPERTIES,
  assignments: readonly Assignment[] = [],
  opts: PredictOptions = {},
): ExposurePrediction {
  const base = settingsFromProperties(properties);
  const { settings, ignored, warnings } = applyAssignments(base, assignments, {
    syscallGroups: opts.syscallGroups,
    systemdVersion: opts.systemdVersion,
  });
  const { exposure, checks } = assessSecurity(securityInfo(settings, opts.mode ?? 'online'), opts);
  return {
    score: exposure / 10,
    scoreText: formatExposure(exposure),
    exposure,
    label: exposureLabel(exposure),
    checks,
    properties: propertiesFromSettings(settings),
    ignored,
    warnings,
  };
}
