/**
 * The slice of a service's effective configuration that `systemd-analyze security` reads, in the
 * shape systemd keeps it (ExecContext/CGroupContext), converted from and to the text that
 * `systemctl show UNIT` prints for the same D-Bus properties.
 */
import { NAMESPACES, type Namespace } from '../systemd/namespaces';
import { CAP_ALL, capabilitiesFromShow, formatCapabilities } from './linux';

export interface SecuritySettings {
  id: string;
  defaultDependencies: boolean;
  user: string;
  dynamicUser: boolean;
  supplementaryGroups: string[];
  ambientCapabilities: bigint;
  capabilityBoundingSet: bigint;
  noNewPrivileges: boolean;
  privateDevices: boolean;
  privateMounts: boolean;
  privateNetwork: boolean;
  privateTmp: boolean;
  privateUsers: boolean;
  protectControlGroups: boolean;
  protectKernelModules: boolean;
  protectKernelTunables: boolean;
  protectKernelLogs: boolean;
  protectClock: boolean;
  protectHostname: boolean;
  /** no | yes | read-only | tmpfs */
  protectHome: string;
  /** no | yes | full | strict */
  protectSystem: string;
  lockPersonality: boolean;
  memoryDenyWriteExecute: boolean;
  removeIPC: boolean;
  restrictRealtime: boolean;
  restrictSUIDSGID: boolean;
  delegate: boolean;
  keyringMode: string;
  protectProc: string;
  procSubset: string;
  notifyAccess: string;
  rootDirectory: string;
  rootImage: string;
  umask: number;
  /**
   * Namespace types the service may create; `initial` is systemd's NAMESPACE_FLAGS_INITIAL (never
   * assigned: everything allowed, and the next list assignment replaces instead of merging).
   */
  restrictNamespaces: { initial: boolean; allowed: Namespace[] };
  /** `families` null = never assigned (no restriction unless allowList). */
  addressFamilies: { allowList: boolean; families: string[] | null };
  /** Syscall names (as systemd lists them, `name` or `name:ERRNO`); null = no filter. */
  syscallFilter: { allowList: boolean; entries: string[] | null };
  syscallArchitectures: string[];
  ipAddressAllow: string[];
  ipAddressDeny: string[];
  ipIngressFilterPath: string[];
  ipEgressFilterPath: string[];
  devicePolicy: string;
  deviceAllow: string[];
}

/**
 * `systemctl show` property map; a key printed several times (DeviceAllow=) is joined with newlines.
 * As in systemctl's output, a missing key means an empty value.
 */
export type UnitProperties = Record<string, string>;

/** Parses `systemctl show UNIT` output. */
export function parseSystemctlShow(text: string): UnitProperties {
  const props: UnitProperties = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    props[key] = key in props ? `${props[key]}\n${value}` : value;
  }
  return props;
}

const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);
const lines = (s: string | undefined): string[] =>
  (s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const bool = (s: string | undefined, dflt = false): boolean =>
  s === undefined || s === '' ? dflt : ['yes', 'true', '1', 'on'].includes(s.toLowerCase());

/** The properties of a bare system service (`[Service] ExecStart=…`), as systemd 252 shows them. */
export const DEFAULT_SERVICE_PROPERTIES: UnitProperties = Object.freeze({
  Id: 'service.service',
  DefaultDependencies: 'yes',
  User: '',
  DynamicUser: 'no',
  SupplementaryGroups: '',
  AmbientCapabilities: '',
  CapabilityBoundingSet: formatCapabilities(CAP_ALL),
  NoNewPrivileges: 'no',
  PrivateDevices: 'no',
  PrivateMounts: 'no',
  PrivateNetwork: 'no',
  PrivateTmp: 'no',
  PrivateUsers: 'no',
  ProtectControlGroups: 'no',
  ProtectKernelModules: 'no',
  ProtectKernelTunables: 'no',
  ProtectKernelLogs: 'no',
  ProtectClock: 'no',
  ProtectHostname: 'no',
  ProtectHome: 'no',
  ProtectSystem: 'no',
  LockPersonality: 'no',
  MemoryDenyWriteExecute: 'no',
  RemoveIPC: 'no',
  RestrictRealtime: 'no',
  RestrictSUIDSGID: 'no',
  Delegate: 'no',
  KeyringMode: 'private',
  ProtectProc: 'default',
  ProcSubset: 'all',
  NotifyAccess: 'none',
  RootDirectory: '',
  RootImage: '',
  UMask: '0022',
  RestrictNamespaces: 'no',
  DevicePolicy: 'auto',
});

/** Every `systemctl show` property the model reads (what host recordings keep). */
export const MODELLED_PROPERTIES: readonly string[] = [
  ...Object.keys(DEFAULT_SERVICE_PROPERTIES),
  'RestrictAddressFamilies',
  'SystemCallFilter',
  'SystemCallArchitectures',
  'IPAddressAllow',
  'IPAddressDeny',
  'IPIngressFilterPath',
  'IPEgressFilterPath',
  'DeviceAllow',
];

export function settingsFromProperties(props: UnitProperties): SecuritySettings {
  const p = (k: string): string | undefined => props[k] ?? DEFAULT_SERVICE_PROPERTIES[k];
  const ns = p('RestrictNamespaces') ?? 'no';
  let restrictNamespaces: SecuritySettings['restrictNamespaces'];
  // "no" is also what an explicit RestrictNamespaces=no shows; we read it as never assigned, the
  // common case, which only matters for how a later non-inverted list combines with it.
  if (ns === 'no') restrictNamespaces = { initial: true, allowed: [...NAMESPACES] };
  else if (ns === 'yes' || ns === '') restrictNamespaces = { initial: false, allowed: [] };
  else restrictNamespaces = { initial: false, allowed: NAMESPACES.filter((n) => words(ns).includes(n)) };

  const listWithPolarity = (key: string): { allowList: boolean; items: string[] | null } => {
    const v = props[key];
    // Not printed at all: an empty deny-list, i.e. no restriction.
    if (v === undefined) return { allowList: false, items: null };
    if (v.startsWith('~')) return { allowList: false, items: words(v.slice(1)) };
    return { allowList: true, items: words(v) };
  };
  const af = listWithPolarity('RestrictAddressFamilies');
  const scf = listWithPolarity('SystemCallFilter');

  return {
    id: p('Id') ?? 'service.service',
    defaultDependencies: bool(p('DefaultDependencies'), true),
    user: p('User') ?? '',
    dynamicUser: bool(p('DynamicUser')),
    supplementaryGroups: words(p('SupplementaryGroups')),
    ambientCapabilities: capabilitiesFromShow(p('AmbientCapabilities') ?? ''),
    // `systemctl show` omits empty values: a missing bounding set is an empty one (redis-server's
    // `CapabilityBoundingSet=`), not the default. Describe partial units from DEFAULT_SERVICE_PROPERTIES.
    capabilityBoundingSet: capabilitiesFromShow(props.CapabilityBoundingSet ?? ''),
    noNewPrivileges: bool(p('NoNewPrivileges')),
    privateDevices: bool(p('PrivateDevices')),
    privateMounts: bool(p('PrivateMounts')),
    privateNetwork: bool(p('PrivateNetwork')),
    privateTmp: bool(p('PrivateTmp')),
    privateUsers: bool(p('PrivateUsers')),
    protectControlGroups: bool(p('ProtectControlGroups')),
    protectKernelModules: bool(p('ProtectKernelModules')),
    protectKernelTunables: bool(p('ProtectKernelTunables')),
    protectKernelLogs: bool(p('ProtectKernelLogs')),
    protectClock: bool(p('ProtectClock')),
    protectHostname: bool(p('ProtectHostname')),
    protectHome: p('ProtectHome') || 'no',
    protectSystem: p('ProtectSystem') || 'no',
    lockPersonality: bool(p('LockPersonality')),
    memoryDenyWriteExecute: bool(p('MemoryDenyWriteExecute')),
    removeIPC: bool(p('RemoveIPC')),
    restrictRealtime: bool(p('RestrictRealtime')),
    restrictSUIDSGID: bool(p('RestrictSUIDSGID')),
    delegate: bool(p('Delegate')),
    keyringMode: p('KeyringMode') || 'private',
    protectProc: p('ProtectProc') || 'default',
    procSubset: p('ProcSubset') || 'all',
    notifyAccess: p('NotifyAccess') || 'none',
    rootDirectory: p('RootDirectory') ?? '',
    rootImage: p('RootImage') ?? '',
    umask: parseInt(p('UMask') || '0022', 8),
    restrictNamespaces,
    addressFamilies: { allowList: af.allowList, families: af.items },
    syscallFilter: { allowList: scf.allowList, entries: scf.items },
    syscallArchitectures: words(p('SystemCallArchitectures')),
    ipAddressAllow: words(p('IPAddressAllow')),
    ipAddressDeny: words(p('IPAddressDeny')),
    ipIngressFilterPath: words(p('IPIngressFilterPath')),
    ipEgressFilterPath: words(p('IPEgressFilterPath')),
    devicePolicy: p('DevicePolicy') || 'auto',
    deviceAllow: lines(p('DeviceAllow')),
  };
}

const yn = (b: boolean): string => (b ? 'yes' : 'no');

/**
 * Settings back to `systemctl show` text for the modelled keys (keys systemctl omits when empty,
 * like an unrestricted SystemCallFilter=, are omitted here too).
 */
export function propertiesFromSettings(s: SecuritySettings): UnitProperties {
  const out: UnitProperties = {
    Id: s.id,
    DefaultDependencies: yn(s.defaultDependencies),
    User: s.user,
    DynamicUser: yn(s.dynamicUser),
    SupplementaryGroups: s.supplementaryGroups.join(' '),
    AmbientCapabilities: formatCapabilities(s.ambientCapabilities),
    CapabilityBoundingSet: formatCapabilities(s.capabilityBoundingSet),
    NoNewPrivileges: yn(s.noNewPrivileges),
    PrivateDevices: yn(s.privateDevices),
    PrivateMounts: yn(s.privateMounts),
    PrivateNetwork: yn(s.privateNetwork),
    PrivateTmp: yn(s.privateTmp),
    PrivateUsers: yn(s.privateUsers),
    ProtectControlGroups: yn(s.protectControlGroups),
    ProtectKernelModules: yn(s.protectKernelModules),
    ProtectKernelTunables: yn(s.protectKernelTunables),
    ProtectKernelLogs: yn(s.protectKernelLogs),
    ProtectClock: yn(s.protectClock),
    ProtectHostname: yn(s.protectHostname),
    ProtectHome: s.protectHome,
    ProtectSystem: s.protectSystem,
    LockPersonality: yn(s.lockPersonality),
    MemoryDenyWriteExecute: yn(s.memoryDenyWriteExecute),
    RemoveIPC: yn(s.removeIPC),
    RestrictRealtime: yn(s.restrictRealtime),
    RestrictSUIDSGID: yn(s.restrictSUIDSGID),
    Delegate: yn(s.delegate),
    KeyringMode: s.keyringMode,
    ProtectProc: s.protectProc,
    ProcSubset: s.procSubset,
    NotifyAccess: s.notifyAccess,
    RootDirectory: s.rootDirectory,
    RootImage: s.rootImage,
    UMask: s.umask.toString(8).padStart(4, '0'),
    RestrictNamespaces: formatNamespaces(s.restrictNamespaces),
    DevicePolicy: s.devicePolicy,
  };
  const { addressFamilies: af, syscallFilter: scf } = s;
  if (af.allowList || (af.families?.length ?? 0) > 0) {
    out.RestrictAddressFamilies = (af.allowList ? '' : '~') + (af.families ?? []).join(' ');
  }
  if (scf.allowList || (scf.entries?.length ?? 0) > 0) {
    // In allow-list mode systemd does not list entries carrying an errno (they are denials).
    const shown = scf.allowList ? (scf.entries ?? []).filter((e) => !e.includes(':')) : (scf.entries ?? []);
    out.SystemCallFilter = (scf.allowList ? '' : '~') + [...shown].sort().join(' ');
  }
  if (s.syscallArchitectures.length) out.SystemCallArchitectures = s.syscallArchitectures.join(' ');
  if (s.ipAddressAllow.length) out.IPAddressAllow = s.ipAddressAllow.join(' ');
  if (s.ipAddressDeny.length) out.IPAddressDeny = s.ipAddressDeny.join(' ');
  if (s.ipIngressFilterPath.length) out.IPIngressFilterPath = s.ipIngressFilterPath.join(' ');
  if (s.ipEgressFilterPath.length) out.IPEgressFilterPath = s.ipEgressFilterPath.join(' ');
  if (s.deviceAllow.length) out.DeviceAllow = s.deviceAllow.join('\n');
  return out;
}

function formatNamespaces(ns: SecuritySettings['restrictNamespaces']): string {
  if (ns.initial || ns.allowed.length === NAMESPACES.length) return 'no';
  if (ns.allowed.length === 0) return 'yes';
  return NAMESPACES.filter((n) => ns.allowed.includes(n)).join(' ');
}
