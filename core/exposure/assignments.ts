/**
 * How assignments (a unit file's or a drop-in's `[Service]` lines, in order) change the settings,
 * following systemd's own parsers (src/core/load-fragment.c) and the fix-ups it applies once a
 * unit is loaded (unit_patch_contexts() in src/core/unit.c). The drop-in is assumed to be read
 * last, as a `zz-`/hush drop-in is.
 */
import { splitWords, unescapeSpecifiers } from '../dropin/quote';
import type { Assignment } from '../resolve/plan';
import type { SyscallGroups } from '../systemd/syscallFilter';
import { NAMESPACES, type Namespace } from '../systemd/namespaces';
import { CAP_ALL, capMask, KNOWN_CAPS_MASK, parseCapabilities } from './linux';
import type { SecuritySettings } from './settings';

export interface ApplyContext {
  /** Needed to expand `@group` entries of SystemCallFilter=. */
  syscallGroups?: SyscallGroups;
  /**
   * The target's systemd: from 257 on, PrivateTmp=, PrivateUsers= and ProtectControlGroups= (from
   * 258 ProtectHostname=) also take non-boolean modes (disconnected, self, strict, private…), which
   * older releases reject. Default: the newest behaviour.
   */
  systemdVersion?: number;
}

/**
 * Modes of former booleans and the systemd release that accepts them; each counts as "yes" for the
 * D-Bus boolean the score reads. Older releases log "Failed to parse" and ignore the line
 * (ProtectHostname=private: rejected by 257.13 on the debian-13 test host, new in 258).
 */
const NEWER_MODES: Record<string, { since: number; modes: string[] }> = {
  PrivateTmp: { since: 257, modes: ['connected', 'disconnected'] },
  PrivateUsers: { since: 257, modes: ['self', 'identity', 'full'] },
  ProtectControlGroups: { since: 257, modes: ['private', 'strict'] },
  ProtectHostname: { since: 258, modes: ['private'] },
};

export interface ApplyResult {
  settings: SecuritySettings;
  /** Options that do not influence the score (or are not modelled), with the line's value. */
  ignored: Assignment[];
  /** Problems systemd would log and skip (unknown capability, unknown syscall group…). */
  warnings: string[];
}

const TRUE_WORDS = new Set(['1', 'yes', 'y', 'true', 't', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'n', 'false', 'f', 'off']);
function parseBoolean(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (TRUE_WORDS.has(l)) return true;
  if (FALSE_WORDS.has(l)) return false;
  return undefined;
}

/** Bits unit_patch_contexts() removes from the bounding set for the given settings. */
function patchedAwayCapabilities(s: SecuritySettings): bigint {
  let m = 0n;
  if (s.privateDevices) m |= capMask('CAP_MKNOD', 'CAP_SYS_RAWIO');
  if (s.protectKernelModules) m |= capMask('CAP_SYS_MODULE');
  if (s.protectKernelLogs) m |= capMask('CAP_SYSLOG');
  if (s.protectClock) m |= capMask('CAP_SYS_TIME', 'CAP_WAKE_ALARM');
  return m;
}

/** Value of one assignment as the words systemd's list parsers see, and whether it starts with `~`. */
function wordsOf(value: string | string[]): { invert: boolean; words: string[] } {
  let items = typeof value === 'string' ? splitWords(value).map(unescapeSpecifiers) : [...value];
  let invert = false;
  if (items[0]?.startsWith('~')) {
    invert = true;
    items[0] = items[0].slice(1);
    items = items.filter((w, i) => i > 0 || w !== '');
  }
  return { invert, words: items };
}

function isEmpty(value: string | string[]): boolean {
  return typeof value === 'string' ? value.trim() === '' : value.length === 0;
}

function scalarOf(value: string | string[]): string {
  return typeof value === 'string' ? value.trim() : value.join(' ');
}

/** Expands `@group` names recursively into syscall names (keeping the `:errno` suffix of the entry). */
function expandSyscalls(
  word: string,
  groups: SyscallGroups | undefined,
  warnings: string[],
  seen = new Set<string>(),
): string[] {
  const colon = word.indexOf(':');
  const name = colon < 0 ? word : word.slice(0, colon);
  const suffix = colon < 0 ? '' : word.slice(colon);
  if (!name.startsWith('@')) return [name + suffix];
  const members = groups?.[name];
  if (!members) {
    warnings.push(`unknown system call group ${name}${groups ? '' : ' (no syscall groups given)'}`);
    return [];
  }
  if (seen.has(name)) return [];
  seen.add(name);
  return members.flatMap((m) => expandSyscalls(m + suffix, groups, warnings, seen));
}

const BOOLEAN_FIELDS = {
  NoNewPrivileges: 'noNewPrivileges',
  PrivateDevices: 'privateDevices',
  PrivateMounts: 'privateMounts',
  PrivateNetwork: 'privateNetwork',
  PrivateUsers: 'privateUsers',
  ProtectControlGroups: 'protectControlGroups',
  ProtectKernelModules: 'protectKernelModules',
  ProtectKernelTunables: 'protectKernelTunables',
  ProtectKernelLogs: 'protectKernelLogs',
  ProtectClock: 'protectClock',
  ProtectHostname: 'protectHostname',
  LockPersonality: 'lockPersonality',
  MemoryDenyWriteExecute: 'memoryDenyWriteExecute',
  RemoveIPC: 'removeIPC',
  RestrictRealtime: 'restrictRealtime',
  RestrictSUIDSGID: 'restrictSUIDSGID',
  DynamicUser: 'dynamicUser',
  PrivateTmp: 'privateTmp',
  DefaultDependencies: 'defaultDependencies',
} as const satisfies Record<string, keyof SecuritySettings>;

const STRING_FIELDS = {
  KeyringMode: ['keyringMode', 'private', ['inherit', 'private', 'shared']],
  ProtectProc: ['protectProc', 'default', ['default', 'noaccess', 'invisible', 'ptraceable']],
  ProcSubset: ['procSubset', 'all', ['all', 'pid']],
  NotifyAccess: ['notifyAccess', 'none', ['none', 'main', 'exec', 'all']],
  DevicePolicy: ['devicePolicy', 'auto', ['auto', 'closed', 'strict']],
  User: ['user', '', null],
  RootDirectory: ['rootDirectory', '', null],
  RootImage: ['rootImage', '', null],
} as const satisfies Record<string, readonly [keyof SecuritySettings, string, readonly string[] | null]>;

/** Special-IP keywords of IPAddressAllow=/IPAddressDeny= (config_parse_in_addr_prefixes). */
const IP_KEYWORDS: Record<string, string[]> = {
  any: ['0.0.0.0/0', '::/0'],
  localhost: ['127.0.0.0/8', '::1/128'],
  'link-local': ['169.254.0.0/16', 'fe80::/64'],
  multicast: ['224.0.0.0/4', 'ff00::/8'],
};

function normalizePrefix(word: string): string {
  if (word.includes('/')) return word;
  return word.includes(':') ? `${word}/128` : `${word}/32`;
}

function clone(s: SecuritySettings): SecuritySettings {
  return {
    ...s,
    supplementaryGroups: [...s.supplementaryGroups],
    restrictNamespaces: { ...s.restrictNamespaces, allowed: [...s.restrictNamespaces.allowed] },
    addressFamilies: {
      ...s.addressFamilies,
      families: s.addressFamilies.families && [...s.addressFamilies.families],
    },
    syscallFilter: { ...s.syscallFilter, entries: s.syscallFilter.entries && [...s.syscallFilter.entries] },
    syscallArchitectures: [...s.syscallArchitectures],
    ipAddressAllow: [...s.ipAddressAllow],
    ipAddressDeny: [...s.ipAddressDeny],
    ipIngressFilterPath: [...s.ipIngressFilterPath],
    ipEgressFilterPath: [...s.ipEgressFilterPath],
    deviceAllow: [...s.deviceAllow],
  };
}

export function applyAssignments(
  base: SecuritySettings,
  assignments: readonly Assignment[],
  ctx: ApplyContext = {},
): ApplyResult {
  const s = clone(base);
  const ignored: Assignment[] = [];
  const warnings: string[] = [];
  // The bounding set as parsed, before this load's fix-ups: a set shown as "everything except what
  // ProtectKernelModules= & co. removed" is still the untouched default to the parser, so a list
  // assigned now replaces it rather than being merged into it.
  const patched = patchedAwayCapabilities(s);
  if (((s.capabilityBoundingSet | patched) & KNOWN_CAPS_MASK) === KNOWN_CAPS_MASK)
    s.capabilityBoundingSet = CAP_ALL;
  for (const a of assignments) if (!applyOne(s, a, ctx, warnings)) ignored.push(a);
  patchContexts(s);
  return { settings: s, ignored, warnings };
}

/** One assignment, read as systemd's parser of its option reads it; false for an option not modelled. */
function applyOne(s: SecuritySettings, a: Assignment, ctx: ApplyContext, warnings: string[]): boolean {
  const option = a.option;
  const empty = isEmpty(a.value);
  if (option in BOOLEAN_FIELDS) {
    applyBoolean(s, a, ctx, warnings);
    return true;
  }
  if (option in STRING_FIELDS) {
    const [field, dflt, allowed] = STRING_FIELDS[option as keyof typeof STRING_FIELDS];
    const v = empty ? dflt : unescapeSpecifiers(scalarOf(a.value));
    if (allowed && !(allowed as readonly string[]).includes(v))
      warnings.push(`${option}=${v}: invalid, ignored`);
    else s[field] = v;
    return true;
  }
  switch (option) {
    case 'ProtectSystem':
    case 'ProtectHome': {
      const v = scalarOf(a.value).toLowerCase();
      const b = parseBoolean(v);
      const value = empty ? 'no' : b !== undefined ? (b ? 'yes' : 'no') : v;
      const ok =
        option === 'ProtectSystem' ? ['no', 'yes', 'full', 'strict'] : ['no', 'yes', 'read-only', 'tmpfs'];
      if (!ok.includes(value)) warnings.push(`${option}=${v}: invalid, ignored`);
      else if (option === 'ProtectSystem') s.protectSystem = value;
      else s.protectHome = value;
      return true;
    }
    case 'Delegate': {
      // A controller list also enables delegation.
      const b = parseBoolean(scalarOf(a.value));
      s.delegate = empty ? false : (b ?? true);
      return true;
    }
    case 'UMask': {
      const v = scalarOf(a.value);
      if (empty) s.umask = 0o022;
      else if (/^[0-7]{1,4}$/.test(v)) s.umask = parseInt(v, 8);
      else warnings.push(`UMask=${v}: invalid, ignored`);
      return true;
    }
    case 'SupplementaryGroups':
      s.supplementaryGroups = empty ? [] : [...s.supplementaryGroups, ...wordsOf(a.value).words];
      return true;
    case 'CapabilityBoundingSet':
    case 'AmbientCapabilities':
      applyCapabilities(s, a, warnings);
      return true;
    case 'RestrictNamespaces':
      applyRestrictNamespaces(s, a, warnings);
      return true;
    case 'RestrictAddressFamilies':
      applyAddressFamilies(s, a);
      return true;
    case 'SystemCallFilter':
      applySyscallFilter(s, a, ctx, warnings);
      return true;
    default:
      return applyListOption(s, a);
  }
}

function applyBoolean(s: SecuritySettings, a: Assignment, ctx: ApplyContext, warnings: string[]): void {
  const option = a.option;
  const field = BOOLEAN_FIELDS[option as keyof typeof BOOLEAN_FIELDS];
  if (isEmpty(a.value)) {
    s[field] = field === 'defaultDependencies';
    return;
  }
  const mode = scalarOf(a.value).toLowerCase();
  const newer = NEWER_MODES[option];
  if (newer && (ctx.systemdVersion ?? Infinity) >= newer.since && newer.modes.includes(mode)) {
    s[field] = true;
    return;
  }
  const b = parseBoolean(scalarOf(a.value));
  if (b === undefined) warnings.push(`${option}=${scalarOf(a.value)}: not a boolean, ignored`);
  else s[field] = b;
}

/**
 * config_parse_capability_set(): "" or "~" or a still-initial set are replaced; otherwise a list is
 * OR-ed in and a ~list is masked out.
 */
function applyCapabilities(s: SecuritySettings, a: Assignment, warnings: string[]): void {
  const bounding = a.option === 'CapabilityBoundingSet';
  const initial = bounding ? CAP_ALL : 0n;
  const current = bounding ? s.capabilityBoundingSet : s.ambientCapabilities;
  const { invert, words } = wordsOf(a.value);
  const { mask, unknown } = parseCapabilities(words);
  for (const u of unknown) warnings.push(`${a.option}: unknown capability ${u}, ignored`);
  let next: bigint;
  if (mask === 0n || current === initial) next = invert ? CAP_ALL & ~mask : mask;
  else next = invert ? current & ~mask : current | mask;
  if (bounding) s.capabilityBoundingSet = next;
  else s.ambientCapabilities = next;
}

function applyRestrictNamespaces(s: SecuritySettings, a: Assignment, warnings: string[]): void {
  if (isEmpty(a.value)) {
    s.restrictNamespaces = { initial: true, allowed: [...NAMESPACES] };
    return;
  }
  const b = parseBoolean(scalarOf(a.value));
  if (b !== undefined) {
    s.restrictNamespaces = { initial: false, allowed: b ? [] : [...NAMESPACES] };
    return;
  }
  const { invert, words } = wordsOf(a.value);
  const listed = words.filter((w): w is Namespace => (NAMESPACES as readonly string[]).includes(w));
  for (const w of words)
    if (!listed.includes(w as Namespace)) warnings.push(`RestrictNamespaces: unknown ${w}`);
  const current = s.restrictNamespaces;
  let allowed: Namespace[];
  if (current.initial) allowed = invert ? NAMESPACES.filter((n) => !listed.includes(n)) : listed;
  else if (invert) allowed = current.allowed.filter((n) => !listed.includes(n));
  else allowed = [...new Set([...current.allowed, ...listed])];
  s.restrictNamespaces = { initial: false, allowed: NAMESPACES.filter((n) => allowed.includes(n)) };
}

function applyAddressFamilies(s: SecuritySettings, a: Assignment): void {
  if (isEmpty(a.value)) {
    s.addressFamilies = { allowList: false, families: null };
    return;
  }
  if (scalarOf(a.value) === 'none') {
    s.addressFamilies = { allowList: true, families: null };
    return;
  }
  const { invert, words } = wordsOf(a.value);
  let { allowList, families } = s.addressFamilies;
  if (families === null) {
    families = [];
    allowList = !invert;
  }
  const set = new Set(families);
  for (const w of words) {
    if (!invert === allowList) set.add(w);
    else set.delete(w);
  }
  s.addressFamilies = { allowList, families: [...set] };
}

function applySyscallFilter(s: SecuritySettings, a: Assignment, ctx: ApplyContext, warnings: string[]): void {
  if (isEmpty(a.value)) {
    s.syscallFilter = { allowList: false, entries: null };
    return;
  }
  const { invert, words } = wordsOf(a.value);
  const map = new Map<string, string>(); // name → ':ERRNO' suffix or ''
  for (const e of s.syscallFilter.entries ?? []) {
    const c = e.indexOf(':');
    map.set(c < 0 ? e : e.slice(0, c), c < 0 ? '' : e.slice(c));
  }
  let allowList = s.syscallFilter.allowList;
  if (s.syscallFilter.entries === null) {
    allowList = !invert;
    // An allow-list always includes @default (the calls every program needs).
    if (allowList) for (const n of expandSyscalls('@default', ctx.syscallGroups, warnings)) map.set(n, '');
  }
  for (const w of words) {
    for (const entry of expandSyscalls(w, ctx.syscallGroups, warnings)) {
      const c = entry.indexOf(':');
      const name = c < 0 ? entry : entry.slice(0, c);
      const suffix = c < 0 ? '' : entry.slice(c);
      // seccomp_parse_syscall_filter(): add when the line's polarity matches the list's.
      if (!invert === allowList) map.set(name, suffix);
      else map.delete(name);
    }
  }
  s.syscallFilter = { allowList, entries: [...map].map(([n, suf]) => n + suf) };
}

/** The plain list options (architectures, IP lists and filter paths, devices); false for any other option. */
function applyListOption(s: SecuritySettings, a: Assignment): boolean {
  const empty = isEmpty(a.value);
  switch (a.option) {
    case 'SystemCallArchitectures':
      s.syscallArchitectures = empty
        ? []
        : [...new Set([...s.syscallArchitectures, ...wordsOf(a.value).words])];
      return true;
    case 'IPAddressAllow':
    case 'IPAddressDeny': {
      const key = a.option === 'IPAddressAllow' ? 'ipAddressAllow' : 'ipAddressDeny';
      if (empty) {
        s[key] = [];
        return true;
      }
      const added = wordsOf(a.value).words.flatMap((w) => IP_KEYWORDS[w] ?? [normalizePrefix(w)]);
      s[key] = [...new Set([...s[key], ...added])];
      return true;
    }
    case 'IPIngressFilterPath':
    case 'IPEgressFilterPath': {
      const key = a.option === 'IPIngressFilterPath' ? 'ipIngressFilterPath' : 'ipEgressFilterPath';
      s[key] = empty ? [] : [...s[key], ...wordsOf(a.value).words];
      return true;
    }
    case 'DeviceAllow':
      if (empty) s.deviceAllow = [];
      else {
        const entries = typeof a.value === 'string' ? [a.value.trim()] : a.value;
        for (const e of entries) addDeviceAllow(s, e);
      }
      return true;
    default:
      return false;
  }
}

/** Adds a DeviceAllow entry as `systemctl show` prints it ("SPEC PERMS", default permissions rwm). */
function addDeviceAllow(s: SecuritySettings, entry: string): void {
  const [spec, perms] = splitWords(entry);
  if (!spec) return;
  const line = `${spec} ${perms ?? 'rwm'}`;
  if (!s.deviceAllow.some((d) => d.split(' ')[0] === spec)) s.deviceAllow.push(line);
}

/** unit_patch_contexts(): what systemd derives after loading a unit. */
function patchContexts(s: SecuritySettings): void {
  s.capabilityBoundingSet &= ~patchedAwayCapabilities(s);
  if (s.dynamicUser) {
    if (!s.user) s.user = s.id.replace(/\.[^.]+$/, '').replace(/@.*$/, '');
    s.privateTmp = true;
    s.removeIPC = true;
    s.protectSystem = 'strict';
    if (s.protectHome === 'no') s.protectHome = 'read-only';
    s.noNewPrivileges = true;
    s.restrictSUIDSGID = true;
  }
  if (s.privateDevices && s.devicePolicy === 'auto') s.devicePolicy = 'closed';
  // ProtectClock= lets the service read the RTC through the device ACL.
  if (s.protectClock) addDeviceAllow(s, 'char-rtc r');
}
