/**
 * The option registry: every hardening option hush can emit, as data over the effect algebra of
 * model.ts. Registry order is resolution order and rendering order: an option may look at what
 * earlier ones chose (PrivateTmp before ProtectSystem, DevicePolicy before ProtectClock).
 *
 * Version gates are the release that introduced the option or value (systemd NEWS); kernel gates the
 * release that introduced the mechanism. Mount-namespace options need the manager to set up a mount
 * namespace, which a user manager cannot do without user namespaces: they are gated to system units.
 */
import type { Action } from '../summary/actions';
import { capabilityElements } from './capabilities';
import type {
  DerivedResult,
  Effect,
  ElementDecl,
  HardeningMode,
  OptionDecl,
  PathUse,
  ScalarOption,
  TargetView,
} from './model';
import { ALL_ACCESSES, unreadablePaths, WRITE_ACCESSES } from './model';
import {
  coversSensitiveRoot,
  isUnder,
  mergePaths,
  nameablePath,
  unallowableDevice,
  unbindablePath,
  parentDir,
  printableText,
} from './paths';
import { CLOSED_POLICY_DEVICES } from './devices';
import { NAMESPACES } from './namespaces';
import { expandSyscallGroup } from './syscallFilter';

const BOOL_ALIASES = { true: 'yes', '1': 'yes', on: 'yes', false: 'no', '0': 'no', off: 'no' } as const;
const STANDARD_UP: readonly HardeningMode[] = ['standard', 'aggressive'];
const AGGRESSIVE: readonly HardeningMode[] = ['aggressive'];

function yesOption(
  name: string,
  doc: string,
  gives: string,
  effects: readonly Effect[],
  extra: Partial<ScalarOption> = {},
): ScalarOption {
  return {
    kind: 'scalar',
    name,
    doc,
    unset: 'no',
    values: [{ value: 'yes', effects, gives }],
    aliases: BOOL_ALIASES,
    ...extra,
  };
}

function isYes(v: string | undefined): boolean {
  return v !== undefined && !['', 'no', 'false', '0', 'off'].includes(v);
}

/** The unit's own writable directories (they stay writable under ProtectSystem=strict). */
export function unitWritablePaths(props: Readonly<Record<string, string>>): string[] {
  const words = (k: string): string[] => (props[k] ?? '').split(/\s+/).filter(Boolean);
  const rel = (k: string, base: string): string[] =>
    words(k).map((w) => (w.startsWith('/') ? w : `${base}/${w.split(':')[0]}`));
  return [
    ...words('ReadWritePaths').map((w) => w.replace(/^[-+]+/, '')),
    ...rel('StateDirectory', '/var/lib'),
    ...rel('CacheDirectory', '/var/cache'),
    ...rel('LogsDirectory', '/var/log'),
    ...rel('RuntimeDirectory', '/run'),
  ].filter((p) => p.startsWith('/'));
}

// ---------------------------------------------------------------------------------------------
// Paths

const KERNEL_TUNABLES = [
  '/proc/sys',
  '/proc/sysrq-trigger',
  '/proc/latency_stats',
  '/proc/acpi',
  '/proc/apm',
  '/proc/asound',
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/mtrr',
  '/proc/scsi',
  '/proc/timer_stats',
  '/sys',
];

/** What PrivateDevices=yes keeps in its private /dev (systemd namespace.c, mount_private_dev). */
const PRIVATE_DEV_KEEP = [
  ...CLOSED_POLICY_DEVICES,
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/dev/hugepages',
  '/dev/log',
  '/dev/stdin',
  '/dev/stdout',
  '/dev/stderr',
  '/dev/fd',
  '/dev/core',
];

/** Directories and non-device entries of /dev: opening them is not a device access. */
const DEV_NON_DEVICES = [
  '/dev/shm',
  '/dev/mqueue',
  '/dev/hugepages',
  '/dev/fd',
  '/dev/log',
  '/dev/stdin',
  '/dev/stdout',
  '/dev/stderr',
];
const DEV_DIRS = new Set([
  '/dev',
  '/dev/pts',
  '/dev/disk',
  '/dev/char',
  '/dev/block',
  '/dev/input',
  '/dev/net',
  '/dev/bus',
  '/dev/snd',
  '/dev/dri',
  '/dev/mapper',
  '/dev/cpu',
]);
const OPENING_SYSCALLS = new Set([
  'open',
  'openat',
  'openat2',
  'creat',
  'open_by_handle_at',
  'execve',
  'execveat',
]);

/** A path use that opens a device node (stat of a node needs no device permission). */
export function isDeviceOpen(p: PathUse): boolean {
  if (!p.path.startsWith('/dev/') || DEV_DIRS.has(p.path)) return false;
  if (DEV_NON_DEVICES.some((b) => isUnder(p.path, b))) return false;
  if (p.action.kind === 'mknod') return false;
  return OPENING_SYSCALLS.has(p.action.ev.syscall);
}

function isBuiltinDevice(path: string): boolean {
  return CLOSED_POLICY_DEVICES.includes(path) || /^\/dev\/pts\/\d+$/.test(path);
}

function procSubsetHidden(path: string): boolean {
  const m = /^\/proc\/([^/]+)/.exec(path);
  if (!m) return false;
  return !/^\d+$/.test(m[1]!) && m[1] !== 'self' && m[1] !== 'thread-self';
}

// ---------------------------------------------------------------------------------------------
// Network helpers

const IP_FAMILIES = new Set(['AF_INET', 'AF_INET6']);

export function isLoopback(address: string): boolean {
  return (
    /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address) || address === 'localhost'
  );
}

function isWildcard(address: string | undefined): boolean {
  return address === '0.0.0.0' || address === '::' || address === '::ffff:0.0.0.0';
}

function protoOf(type: string | undefined): ('tcp' | 'udp')[] {
  if (type?.includes('SOCK_STREAM')) return ['tcp'];
  if (type?.includes('SOCK_DGRAM')) return ['udp'];
  return ['tcp', 'udp'];
}

// ---------------------------------------------------------------------------------------------
// NoNewPrivileges

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/**
 * The first exec that could gain privileges (setuid/setgid bit, or file capabilities for a non-root
 * unit), or whose file mode is unknown: NoNewPrivileges cannot be proven harmless then.
 */
export function privilegedExec(t: TargetView): { action: Action; why: string } | undefined {
  for (const p of t.paths) {
    if (p.access !== 'exec' || !p.action.ev.syscall.startsWith('execve')) continue;
    // Interpreters (added by the resolver from binary facts) never gain privileges: the kernel ignores their bits.
    if (p.action.kind !== 'path' || p.action.path !== p.path) continue;
    const bin = t.binaries.get(p.path);
    if (!bin || bin.mode === undefined) {
      return { action: p.action, why: `executes ${p.path}, whose file mode is unknown (could be setuid)` };
    }
    if (bin.mode & (S_ISUID | S_ISGID)) {
      return {
        action: p.action,
        why: `executes ${p.path}, which is set${bin.mode & S_ISUID ? 'uid' : 'gid'}`,
      };
    }
    if (!t.runsAsRoot && bin.fileCapabilities === undefined) {
      return { action: p.action, why: `executes ${p.path}, whose file capabilities are unknown` };
    }
    if (!t.runsAsRoot && bin.fileCapabilities) {
      return {
        action: p.action,
        why: `executes ${p.path}, which has file capabilities ${bin.fileCapabilities}`,
      };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Derived options

/**
 * Derived options add entries (DeviceAllow=, SocketBindAllow=, IPAddressAllow=) that accumulate with
 * the unit's own: over a unit that already restricts, hush adds nothing rather than widening it.
 */
function unitAlreadyRestricts(
  t: TargetView,
  option: string,
  unrestricted: readonly string[] = [''],
): DerivedResult | undefined {
  const v = (t.unitProps[option] ?? '').trim();
  if (unrestricted.includes(v)) return undefined;
  return {
    assignments: [],
    rejected: [{ value: '*', why: `the unit already sets ${option}=${v}; hush leaves it as it is` }],
  };
}

function deviceAllow(t: TargetView): DerivedResult {
  const floor = unitAlreadyRestricts(t, 'DevicePolicy', ['', 'auto']);
  if (floor) return floor;
  const unreadable = unreadablePaths(t);
  if (unreadable) return { assignments: [], rejected: [{ value: 'closed', why: unreadable }] };
  const rejected: DerivedResult['rejected'] = [];
  const mknod = t.actions.find(
    (a) => a.kind === 'mknod' && (a.nodeType === 'char' || a.nodeType === 'block'),
  );
  if (mknod) {
    rejected.push({
      value: 'closed',
      why: 'creates device nodes (DeviceAllow= cannot name a node that does not exist yet)',
      action: mknod,
    });
    return { assignments: [], rejected };
  }
  const access = new Map<string, { r: boolean; w: boolean; first: Action }>();
  for (const p of t.paths) {
    if (!isDeviceOpen(p) || isBuiltinDevice(p.path)) continue;
    // A device DeviceAllow= cannot name (no parent of a device node is one), or that systemd's
    // executor cannot read back (whitespace, from 255): closed would block it or fail every start.
    const unnameable = unallowableDevice(p.path, t.systemdVersion);
    if (unnameable !== undefined) {
      rejected.push({
        value: 'closed',
        why: `opens ${printableText(p.path)}, which DeviceAllow= cannot name: it ${unnameable}`,
        action: p.action,
      });
      return { assignments: [], rejected };
    }
    const e = access.get(p.path) ?? { r: false, w: false, first: p.action };
    if (p.access === 'read' || p.access === 'exec') e.r = true;
    if (WRITE_ACCESSES.includes(p.access)) e.w = true;
    access.set(p.path, e);
  }
  const entries = [...access.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const reasons = [
    'DevicePolicy=closed: only /dev/null, zero, full, random, urandom, tty, ptmx, pts/* and the DeviceAllow= entries can be opened',
    ...entries.map(([path, e]) => `${path} opened (${evidence(e.first)})`),
  ];
  const assignments: DerivedResult['assignments'] = [{ option: 'DevicePolicy', value: 'closed', reasons }];
  if (entries.length > 0) {
    assignments.push({
      option: 'DeviceAllow',
      value: entries.map(([path, e]) => `${path} ${e.r || !e.w ? 'r' : ''}${e.w ? 'w' : ''}`),
      reasons: entries.map(([path, e]) => `${path}: ${evidence(e.first)}`),
    });
  }
  return { assignments, rejected };
}

function socketBind(t: TargetView): DerivedResult {
  const floor = unitAlreadyRestricts(t, 'SocketBindDeny') ?? unitAlreadyRestricts(t, 'SocketBindAllow');
  if (floor) return floor;
  const binds = t.actions.filter(
    (a): a is Extract<Action, { kind: 'net' }> =>
      a.kind === 'net' && a.op === 'bind' && IP_FAMILIES.has(a.family),
  );
  const combos = ['ipv4:tcp', 'ipv4:udp', 'ipv6:tcp', 'ipv6:udp'];
  const used = new Map<string, Action>();
  const allow = new Map<string, Action>();
  for (const b of binds) {
    const af = b.family === 'AF_INET' ? 'ipv4' : 'ipv6';
    for (const proto of protoOf(b.type)) {
      const combo = `${af}:${proto}`;
      if (!used.has(combo)) used.set(combo, b);
      // Port 0 asks the kernel for a free port: SocketBind* never restricts it.
      if (b.port === 0) continue;
      const key = b.port === undefined ? combo : `${combo}:${b.port}`;
      if (!allow.has(key)) allow.set(key, b);
    }
  }
  if (t.mode === 'conservative') {
    const deny = combos.filter((c) => !used.has(c));
    const rejected = combos
      .filter((c) => used.has(c))
      .map((c) => ({ value: c, why: `binds ${c} sockets`, action: used.get(c) }));
    if (deny.length === 0) return { assignments: [], rejected };
    return {
      assignments: [
        {
          option: 'SocketBindDeny',
          value: deny,
          reasons: [`never binds ${deny.join(', ')} sockets to a port`],
        },
      ],
      rejected,
    };
  }
  const allowItems = [...allow.keys()].sort();
  const assignments: DerivedResult['assignments'] = [
    {
      option: 'SocketBindDeny',
      value: ['any'],
      reasons: [
        allowItems.length ? 'binds only the ports listed in SocketBindAllow=' : 'never binds an IP port',
      ],
    },
  ];
  if (allowItems.length) {
    assignments.push({
      option: 'SocketBindAllow',
      value: allowItems,
      reasons: allowItems.map((k) => `${k}: ${evidence(allow.get(k)!)}`),
    });
  }
  return { assignments, rejected: [] };
}

function ipAddress(t: TargetView): DerivedResult {
  const floor = unitAlreadyRestricts(t, 'IPAddressDeny') ?? unitAlreadyRestricts(t, 'IPAddressAllow');
  if (floor) return floor;
  const ipSockets = t.actions.filter((a) => a.kind === 'socket' && IP_FAMILIES.has(a.family));
  const ipNet = t.actions.filter(
    (a): a is Extract<Action, { kind: 'net' }> => a.kind === 'net' && IP_FAMILIES.has(a.family),
  );
  if (ipSockets.length === 0 && ipNet.length === 0) {
    return {
      assignments: [{ option: 'IPAddressDeny', value: 'any', reasons: ['creates no IPv4/IPv6 socket'] }],
      rejected: [],
    };
  }
  // A loopback-only service (every bind on a loopback address, every peer a loopback address) gets
  // IPAddressDeny=any + IPAddressAllow=localhost in every mode: nothing it was seen doing leaves the
  // host, and nothing off the host can reach it anyway. Only aggressive mode also allows the remote
  // peers it talked to; any other non-loopback, wildcard or unknown address keeps IP open.
  const peers = new Map<string, Action>();
  for (const a of ipNet) {
    // A bind serves only when something can arrive on it: a TCP socket does so once it listens,
    // and its listen carries the bound address (the summary's fd table), so a stream bind is left
    // to its listen: haproxy's health checks bind 0.0.0.0 (port 0 or one of their own) as the
    // source of an outgoing connection. A bind to port 0 picks a source port only. A bind on a
    // socket of unknown type (not in the fd table) still counts.
    if (a.op === 'bind' && (a.port === 0 || a.type?.includes('SOCK_STREAM'))) continue;
    if (a.op === 'bind' || a.op === 'listen') {
      if (a.address === undefined || !isLoopback(a.address)) {
        return {
          assignments: [],
          rejected: [
            {
              value: 'any',
              why: `binds ${a.address ?? 'an unknown address'}: serves non-local peers`,
              action: a,
            },
          ],
        };
      }
      continue;
    }
    if (a.address === undefined) {
      return {
        assignments: [],
        rejected: [{ value: 'any', why: `${a.op} to an unknown address`, action: a }],
      };
    }
    if (isLoopback(a.address)) continue;
    if (a.op === 'accept' || t.mode !== 'aggressive') {
      return {
        assignments: [],
        rejected: [
          { value: 'any', why: `${a.op === 'accept' ? 'accepts from' : 'talks to'} ${a.address}`, action: a },
        ],
      };
    }
    if (isWildcard(a.address)) {
      return { assignments: [], rejected: [{ value: 'any', why: `${a.op} to ${a.address}`, action: a }] };
    }
    if (!peers.has(a.address)) peers.set(a.address, a);
  }
  const allow = ['localhost', ...[...peers.keys()].sort()];
  return {
    assignments: [
      {
        option: 'IPAddressDeny',
        value: 'any',
        reasons: ['IP traffic only with the peers in IPAddressAllow='],
      },
      {
        option: 'IPAddressAllow',
        value: allow,
        reasons: [
          'localhost: loopback traffic (written as `localhost` so systemd-analyze counts it as local)',
          ...[...peers.entries()].sort().map(([addr, a]) => `${addr}: ${evidence(a)}`),
        ],
      },
    ],
    rejected: [],
  };
}

/** Top-level trees a service rarely needs: never touched → InaccessiblePaths; only read → an empty tmpfs with read-only binds. */
const HIDEABLE_TREES = [
  '/boot',
  '/efi',
  '/home',
  '/media',
  '/mnt',
  '/opt',
  '/root',
  '/srv',
  '/usr/local',
  '/usr/src',
  '/var/backups',
  '/var/mail',
  '/var/opt',
  '/var/spool',
  '/var/www',
];

function fsWhitelist(t: TargetView, threshold: number): DerivedResult {
  const assignments: DerivedResult['assignments'] = [];
  const rejected: DerivedResult['rejected'] = [];
  const unreadable = unreadablePaths(t);
  if (unreadable) return { assignments, rejected: [{ value: '*', why: unreadable }] };
  const inaccessible: string[] = [];
  const tmpfs: string[] = [];
  const roBinds: string[] = [];
  const rwBinds: string[] = [];
  const bindReasons: string[] = [];
  const protectHome = t.effective('ProtectHome');
  for (const tree of HIDEABLE_TREES) {
    const homeTree = ['/home', '/root'].includes(tree);
    if (homeTree && (protectHome === 'yes' || protectHome === 'tmpfs')) continue;
    const uses = t.paths.filter((p) => isUnder(p.path, tree));
    if (uses.length === 0) {
      inaccessible.push(tree);
      continue;
    }
    const value = `TemporaryFileSystem=${tree}:ro`;
    // Listing the tree itself would show the empty tmpfs instead of its entries; creating or
    // removing an entry of the tree itself would need the tmpfs writable and the entry on the host.
    const blocker = uses.find(
      (p) =>
        (p.path === tree && p.access === 'read' && OPENING_SYSCALLS.has(p.action.ev.syscall)) ||
        ((p.access === 'create' || p.access === 'remove') && parentDir(p.path) === tree) ||
        (p.path === tree && p.access !== 'read' && p.access !== 'exec'),
    );
    if (blocker) {
      rejected.push({ value, why: `${blocker.access} ${blocker.path}`, action: blocker.action });
      continue;
    }
    // Written paths are bound read-write (their directory when entries are created or removed).
    // A path systemd cannot be told, or that its executor cannot read back as a bind mount (a
    // quote, from 255: unbindablePath), is bound through its nearest parent without the problem
    // (folds): never the tree itself, which would undo the empty tmpfs.
    const folds: string[] = [];
    const nameable = (path: string): string => {
      const n = nameablePath(path, (p) => unbindablePath(p, t.systemdVersion));
      if (n.why !== undefined) folds.push(`${n.path} for ${printableText(path)}, which ${n.why}`);
      return n.path;
    };
    const written = uses
      .filter((p) => WRITE_ACCESSES.includes(p.access))
      .map((p) => nameable(p.access === 'create' || p.access === 'remove' ? parentDir(p.path) : p.path));
    const rw = mergePaths(written, threshold);
    const ro = mergePaths(
      uses.filter((p) => p.path !== tree && !rw.some((w) => isUnder(p.path, w))).map((p) => nameable(p.path)),
      threshold,
    );
    const tooWide = [...rw, ...ro].find((p) => !isUnder(p, tree) || p === tree);
    if (tooWide !== undefined) {
      rejected.push({ value, why: `only ${tooWide} could be named: ${folds.join('; ')}` });
      continue;
    }
    if (rw.length + ro.length > threshold) {
      rejected.push({
        value,
        why: `uses ${rw.length + ro.length} separate paths under ${tree} (threshold ${threshold})`,
      });
      continue;
    }
    tmpfs.push(`${tree}:ro`);
    roBinds.push(...ro.map((m) => `-${m}`));
    rwBinds.push(...rw.map((m) => `-${m}`));
    bindReasons.push(
      `${tree}: ${ro.length ? `reads ${ro.join(', ')}` : ''}${ro.length && rw.length ? '; ' : ''}${rw.length ? `writes ${rw.join(', ')}` : ''}${ro.length + rw.length === 0 ? 'only the directory itself' : ''}${folds.length ? ` (folded: ${folds.join('; ')})` : ''}`,
    );
  }
  if (inaccessible.length) {
    assignments.push({
      option: 'InaccessiblePaths',
      value: inaccessible.map((p) => `-${p}`),
      reasons: [`never accessed: ${inaccessible.join(', ')}`],
    });
  }
  if (tmpfs.length) {
    assignments.push({ option: 'TemporaryFileSystem', value: tmpfs, reasons: bindReasons });
    if (roBinds.length)
      assignments.push({ option: 'BindReadOnlyPaths', value: roBinds.sort(), reasons: bindReasons });
    if (rwBinds.length)
      assignments.push({ option: 'BindPaths', value: rwBinds.sort(), reasons: bindReasons });
  }
  return { assignments, rejected };
}

function evidence(a: Action): string {
  const ev = a.ev;
  return `pid ${ev.pid}, line ${ev.line}, ${ev.syscall}${ev.text ? `: ${ev.text}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Syscall groups

/** Groups never denied: they are the baseline every service needs, or umbrellas of the others. */
const UNDENIABLE_GROUPS = new Set(['@default', '@known', '@system-service']);
/** Not security relevant, and code paths that use them diverge easily (SHH standard mode, v2026.3.8). */
const HIGH_BREAKAGE_GROUPS = new Set(['@io-event', '@signal', '@sync', '@timer']);
/**
 * Conservative mode denies only the groups systemd-analyze security scores (its `SystemCallFilter=~@…`
 * checks: these eleven, @resources included), each only when none of its calls was seen.
 */
const CONSERVATIVE_GROUPS = new Set([
  '@clock',
  '@cpu-emulation',
  '@debug',
  '@module',
  '@mount',
  '@obsolete',
  '@privileged',
  '@raw-io',
  '@reboot',
  '@resources',
  '@swap',
]);

function candidateGroups(t: TargetView): string[] {
  const all = Object.keys(t.groups ?? {}).filter((g) => !UNDENIABLE_GROUPS.has(g));
  if (t.mode === 'conservative') return all.filter((g) => CONSERVATIVE_GROUPS.has(g));
  if (t.mode === 'standard') return all.filter((g) => !HIGH_BREAKAGE_GROUPS.has(g));
  return all;
}

function syscallFilterElements(t: TargetView): ElementDecl[] {
  return candidateGroups(t).map((g) => ({ item: g, effects: [{ kind: 'denySyscalls', names: [g] }] }));
}

/** Existing SystemCallFilter: `~…` is a deny list, anything else an allow list. */
function existingFilterKind(props: Readonly<Record<string, string>>): 'none' | 'allow' | 'deny' {
  const v = (props.SystemCallFilter ?? '').trim();
  if (v === '') return 'none';
  return v.startsWith('~') ? 'deny' : 'allow';
}

function renderSyscallFilter(
  items: readonly string[],
  t: TargetView,
): { option: string; value: string | string[]; reasons?: string[] }[] {
  const out: { option: string; value: string | string[]; reasons?: string[] }[] = [];
  if (t.mode === 'aggressive' && t.groups && existingFilterKind(t.unitProps) === 'none') {
    const base = expandSyscallGroup(t.groups, '@system-service');
    const extras = [...new Set([...t.syscalls.keys(), ...t.failedSyscalls.keys()])]
      .filter((s) => !base.has(s))
      .sort();
    out.push({
      option: 'SystemCallFilter',
      value: ['@system-service', ...extras],
      reasons: [
        `allow-list: @system-service (${t.groupsSource ?? 'groups'}) plus the ${extras.length} syscalls observed outside it${extras.length ? `: ${extras.join(' ')}` : ''}`,
      ],
    });
    if (!t.unitProps.SystemCallErrorNumber) {
      out.push({
        option: 'SystemCallErrorNumber',
        value: 'EPERM',
        reasons: ['calls outside the allow-list fail with EPERM instead of killing the service'],
      });
    }
  }
  // After an allow-list (ours above, or the unit's own) the `~` entries only take groups out of it,
  // and their calls then get the allow-list's action (SystemCallErrorNumber= or SIGSYS), as the
  // unit's own `~` lines do. A per-entry `:EPERM` there is not a removal but a rule of its own, and
  // both systemd versions fail on it: 252 refuses the filter (exit 228, EXIT_SECCOMP, with
  // SystemCallErrorNumber= set), and 257 under Debian 13's redis unit (`@system-service` then
  // `~@privileged @resources`) fails every start at 218/CAPABILITIES with `~capset:EPERM` alone,
  // while the same groups without the suffix start fine (both seen in the test VMs). So the suffix
  // is only written on a plain deny list.
  const overAllowList = out.length > 0 || existingFilterKind(t.unitProps) === 'allow';
  const errno = overAllowList ? '' : ':EPERM';
  if (items.length) {
    out.push({ option: 'SystemCallFilter', value: items.map((g, i) => `${i === 0 ? '~' : ''}${g}${errno}`) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Namespaces and families

function parseNamespaceFloor(v: string | undefined): Set<string> | undefined {
  if (v === undefined || v.trim() === '' || v === 'no') return undefined;
  if (v === 'yes') return new Set();
  if (v.startsWith('~')) {
    const denied = new Set(v.slice(1).trim().split(/\s+/));
    return new Set(NAMESPACES.filter((n) => !denied.has(n)));
  }
  return new Set(v.split(/\s+/));
}

// ---------------------------------------------------------------------------------------------
// The registry

/** The default merge threshold for path lists (SHH's default). */
export const DEFAULT_MERGE_THRESHOLD = 5;

export function optionRegistry(threshold: number = DEFAULT_MERGE_THRESHOLD): readonly OptionDecl[] {
  return [
    yesOption(
      'NoNewPrivileges',
      'no privilege gain through setuid/setgid/file-capability executables',
      'setuid, setgid and file capabilities of executed binaries are ignored',
      [{ kind: 'custom', describe: 'exec of a privileged binary', check: privilegedExec }],
      { gate: { minSystemd: 187 } },
    ),
    {
      kind: 'scalar',
      name: 'PrivateTmp',
      doc: 'private /tmp and /var/tmp',
      unset: 'no',
      aliases: BOOL_ALIASES,
      mountNamespace: true,
      gate: { mountNamespace: true },
      values: [
        {
          value: 'yes',
          gives: '/tmp and /var/tmp are private, empty at start, removed at stop',
          effects: [{ kind: 'emptyPath', bases: ['/tmp', '/var/tmp'], writable: true }],
        },
        {
          value: 'disconnected',
          gives: '/tmp and /var/tmp are private tmpfs instances not tied to the host /tmp at all',
          // systemd 257 accepts it in unit files, but its transient-unit API (systemd-run -p) still
          // parses PrivateTmp= as a boolean ("Failed to parse PrivateTmp: disconnected", seen in the
          // Debian 13 test VM); a plan must hold for both, so 258.
          gate: { minSystemd: 258, modes: AGGRESSIVE },
          effects: [{ kind: 'emptyPath', bases: ['/tmp', '/var/tmp'], writable: true }],
        },
      ],
    },
    {
      kind: 'scalar',
      name: 'ProtectSystem',
      doc: 'read-only /usr, /boot, /etc, or the whole tree',
      unset: 'no',
      aliases: { true: 'yes', '1': 'yes', false: 'no', '0': 'no' },
      mountNamespace: true,
      gate: { mountNamespace: true },
      values: [
        {
          value: 'yes',
          gives: '/usr, /boot and /efi are read-only',
          effects: [
            {
              kind: 'pathAccess',
              accesses: WRITE_ACCESSES,
              paths: { under: ['/usr', '/boot', '/efi', '/bin', '/sbin', '/lib', '/lib64'] },
            },
          ],
        },
        {
          value: 'full',
          gives: '/usr, /boot, /efi and /etc are read-only',
          effects: [
            {
              kind: 'pathAccess',
              accesses: WRITE_ACCESSES,
              paths: { under: ['/usr', '/boot', '/efi', '/bin', '/sbin', '/lib', '/lib64', '/etc'] },
            },
          ],
        },
        {
          value: 'strict',
          gives:
            'the whole file system is read-only except /dev, /proc, /sys and the paths in ReadWritePaths=',
          gate: { minSystemd: 232 },
          effects: [
            {
              kind: 'pathAccess',
              accesses: WRITE_ACCESSES,
              paths: {
                under: ['/'],
                except: ['/dev', '/proc', '/sys'],
                exceptWhen: (t) => [
                  ...(isYes(t.effective('PrivateTmp')) ? ['/tmp', '/var/tmp'] : []),
                  ...unitWritablePaths(t.unitProps),
                ],
              },
              relax: {
                companion: 'ReadWritePaths',
                granularity: 'dirForCreate',
                forbidden: (p) => coversSensitiveRoot(p),
              },
            },
          ],
        },
      ],
    },
    {
      kind: 'scalar',
      name: 'ProtectHome',
      doc: '/home, /root and /run/user read-only, empty or inaccessible',
      unset: 'no',
      aliases: { true: 'yes', '1': 'yes', false: 'no', '0': 'no' },
      mountNamespace: true,
      gate: { mountNamespace: true },
      values: [
        {
          value: 'read-only',
          gives: '/home, /root and /run/user are read-only',
          effects: [
            {
              kind: 'pathAccess',
              accesses: WRITE_ACCESSES,
              paths: { under: ['/home', '/root', '/run/user'] },
            },
          ],
        },
        {
          value: 'tmpfs',
          gives: '/home, /root and /run/user are empty read-only directories',
          effects: [{ kind: 'emptyPath', bases: ['/home', '/root', '/run/user'], writable: false }],
        },
        {
          value: 'yes',
          gives: '/home, /root and /run/user are inaccessible',
          effects: [
            { kind: 'pathAccess', accesses: ALL_ACCESSES, paths: { under: ['/home', '/root', '/run/user'] } },
          ],
        },
      ],
    },
    yesOption(
      'PrivateDevices',
      'a minimal private /dev',
      '/dev holds only the pseudo devices (null, zero, random, tty, pts…); raw I/O and device creation are denied',
      [
        { kind: 'emptyPath', bases: ['/dev'], writable: false, keep: PRIVATE_DEV_KEEP, baseListed: true },
        { kind: 'pathAccess', accesses: ['exec'], paths: { under: ['/dev'] } },
        { kind: 'denySyscalls', names: ['@raw-io'] },
        {
          kind: 'denyAction',
          action: 'mknod',
          where: (a) => a.kind === 'mknod' && (a.nodeType === 'char' || a.nodeType === 'block'),
        },
      ],
      { mountNamespace: true, impliesNoNewPrivileges: true, gate: { mountNamespace: true, minSystemd: 209 } },
    ),
    {
      kind: 'derived',
      name: 'DevicePolicy',
      doc: 'device access limited to the pseudo devices plus the device nodes opened',
      derive: deviceAllow,
    },
    yesOption(
      'PrivateMounts',
      'private mount propagation',
      'mounts made by the service stay in its own namespace',
      [],
      {
        mountNamespace: true,
        gate: { mountNamespace: true, minSystemd: 239 },
      },
    ),
    yesOption(
      'ProtectKernelTunables',
      'read-only /proc/sys and /sys, no /proc/kallsyms or /proc/kcore',
      'kernel tunables in /proc/sys and /sys are read-only; /proc/kallsyms and /proc/kcore are inaccessible',
      [
        { kind: 'pathAccess', accesses: WRITE_ACCESSES, paths: { under: KERNEL_TUNABLES } },
        { kind: 'pathAccess', accesses: ALL_ACCESSES, paths: { exact: ['/proc/kallsyms', '/proc/kcore'] } },
      ],
      { mountNamespace: true, impliesNoNewPrivileges: true, gate: { mountNamespace: true, minSystemd: 232 } },
    ),
    yesOption(
      'ProtectKernelModules',
      'no module loading, no /lib/modules',
      'kernel modules cannot be loaded or unloaded; /usr/lib/modules is inaccessible',
      [
        {
          kind: 'pathAccess',
          accesses: ALL_ACCESSES,
          paths: { under: ['/lib/modules', '/usr/lib/modules'] },
        },
        { kind: 'denySyscalls', names: ['@module'] },
        { kind: 'denyAction', action: 'kernelModule' },
      ],
      { mountNamespace: true, impliesNoNewPrivileges: true, gate: { mountNamespace: true, minSystemd: 232 } },
    ),
    yesOption(
      'ProtectKernelLogs',
      'no kernel log access',
      'the kernel log buffer (syslog(2), /dev/kmsg, /proc/kmsg) is inaccessible',
      [
        { kind: 'pathAccess', accesses: ALL_ACCESSES, paths: { exact: ['/proc/kmsg', '/dev/kmsg'] } },
        { kind: 'denySyscalls', names: ['syslog'] },
        { kind: 'denyAction', action: 'kernelLog' },
      ],
      { mountNamespace: true, impliesNoNewPrivileges: true, gate: { mountNamespace: true, minSystemd: 244 } },
    ),
    yesOption(
      'ProtectControlGroups',
      'read-only /sys/fs/cgroup',
      'the cgroup hierarchy is read-only',
      [{ kind: 'pathAccess', accesses: WRITE_ACCESSES, paths: { under: ['/sys/fs/cgroup'] } }],
      { mountNamespace: true, gate: { mountNamespace: true, systemInstance: true, minSystemd: 232 } },
    ),
    {
      kind: 'scalar',
      name: 'ProtectProc',
      doc: 'other users\u2019 processes hidden in /proc',
      unset: 'default',
      mountNamespace: true,
      aliases: { noaccess: 'invisible' },
      gate: { mountNamespace: true, systemInstance: true, minSystemd: 247, minKernel: [5, 8] },
      values: [
        {
          value: 'invisible',
          gives: '/proc/<pid> of processes the service could not ptrace are hidden',
          effects: [
            {
              kind: 'pathAccess',
              accesses: ALL_ACCESSES,
              paths: { test: (p, t) => /^\/proc\/\d+(\/|$)/.test(p) && !t.pids.has(Number(p.split('/')[2])) },
            },
          ],
        },
      ],
    },
    {
      kind: 'scalar',
      name: 'ProcSubset',
      doc: '/proc shows only process directories',
      unset: 'all',
      mountNamespace: true,
      gate: {
        mountNamespace: true,
        systemInstance: true,
        minSystemd: 247,
        minKernel: [5, 8],
        modes: STANDARD_UP,
      },
      values: [
        {
          value: 'pid',
          gives: 'only /proc/<pid> entries are visible (no /proc/cpuinfo, /proc/sys…)',
          effects: [{ kind: 'pathAccess', accesses: ALL_ACCESSES, paths: { test: procSubsetHidden } }],
        },
      ],
    },
    yesOption(
      'ProtectClock',
      'no clock changes',
      'the system and hardware clocks cannot be changed (also limits devices to DevicePolicy=closed plus /dev/rtc reads)',
      [
        { kind: 'denyAction', action: 'setClock' },
        { kind: 'denyAction', action: 'wakeAlarm' },
        { kind: 'denySyscalls', names: ['@clock'] },
        { kind: 'pathAccess', accesses: WRITE_ACCESSES, paths: { test: (p) => /^\/dev\/rtc\d*$/.test(p) } },
        { kind: 'restrictDevices' },
      ],
      { impliesNoNewPrivileges: true, gate: { minSystemd: 245 } },
    ),
    yesOption(
      'ProtectHostname',
      'private hostname',
      'the hostname and domain name cannot be changed',
      [
        { kind: 'denyAction', action: 'setHostname' },
        { kind: 'denySyscalls', names: ['sethostname', 'setdomainname'] },
      ],
      { gate: { minSystemd: 242, systemInstance: true } },
    ),
    yesOption(
      'PrivateIPC',
      'private SysV IPC and POSIX message queues',
      'SysV IPC objects and POSIX message queues are private to the service',
      [{ kind: 'denyAction', action: 'ipc' }],
      { gate: { minSystemd: 248, systemInstance: true } },
    ),
    yesOption(
      'RemoveIPC',
      'IPC objects removed at stop',
      'SysV IPC objects and POSIX shared memory of the service user are removed when it stops',
      [
        { kind: 'denyAction', action: 'ipc' },
        { kind: 'pathAccess', accesses: ['create'], paths: { under: ['/dev/shm'] } },
      ],
      { gate: { minSystemd: 232, nonRoot: true } },
    ),
    {
      kind: 'scalar',
      name: 'KeyringMode',
      doc: 'private kernel session keyring',
      unset: 'inherit',
      values: [
        { value: 'shared', gives: 'a new session keyring linked to the user keyring', effects: [] },
        {
          value: 'private',
          gives: 'a private session keyring, not linked to the user keyring',
          effects: [{ kind: 'denyAction', action: 'keyring' }],
        },
      ],
      gate: { minSystemd: 235 },
    },
    {
      kind: 'scalar',
      name: 'UMask',
      doc: 'files created private to the service user',
      unset: '0022',
      gate: {
        when: (t) => {
          const v = t.unitProps.UMask;
          return v !== undefined && v !== '' && v !== '0022' && (parseInt(v, 8) & 0o077) !== 0o077
            ? `the unit sets UMask=${v} deliberately`
            : undefined;
        },
      },
      floorIndex: (props) => {
        const v = props.UMask;
        return v !== undefined && v !== '' && (parseInt(v, 8) & 0o077) === 0o077 ? 0 : undefined;
      },
      values: [
        {
          value: '0077',
          gives: 'new files and sockets are accessible to the service user only',
          effects: [
            // A socket others connect to, or files in shared places, need group/other bits.
            {
              kind: 'denyAction',
              action: 'net',
              where: (a) =>
                a.kind === 'net' &&
                a.op === 'bind' &&
                a.family === 'AF_UNIX' &&
                !!a.address &&
                !a.address.startsWith('@'),
            },
            {
              kind: 'pathAccess',
              accesses: ['create'],
              paths: {
                under: [
                  '/run',
                  '/var/run',
                  '/dev/shm',
                  '/tmp',
                  '/var/tmp',
                  '/var/log',
                  '/home',
                  '/srv',
                  '/var/www',
                ],
                exceptWhen: (t) => (isYes(t.effective('PrivateTmp')) ? ['/tmp', '/var/tmp'] : []),
              },
              modes: STANDARD_UP,
            },
            {
              kind: 'pathAccess',
              accesses: ['create'],
              paths: {
                under: ['/'],
                exceptWhen: (t) => (isYes(t.effective('PrivateTmp')) ? ['/tmp', '/var/tmp'] : []),
              },
              modes: ['conservative'],
            },
          ],
        },
      ],
    },
    yesOption(
      'LockPersonality',
      'execution domain locked',
      'the execution domain (personality) cannot change',
      [{ kind: 'denyAction', action: 'personality' }],
      {
        impliesNoNewPrivileges: true,
        gate: { minSystemd: 235 },
      },
    ),
    yesOption(
      'RestrictRealtime',
      'no realtime scheduling',
      'realtime scheduling policies cannot be set',
      [{ kind: 'denyAction', action: 'realtime' }],
      {
        impliesNoNewPrivileges: true,
        gate: { minSystemd: 231 },
      },
    ),
    yesOption(
      'RestrictSUIDSGID',
      'no setuid/setgid files',
      'files cannot be made setuid or setgid',
      [{ kind: 'denyAction', action: 'setuidBits' }],
      {
        impliesNoNewPrivileges: true,
        gate: { minSystemd: 242 },
      },
    ),
    yesOption(
      'MemoryDenyWriteExecute',
      'no writable+executable memory',
      'memory cannot be both writable and executable',
      [{ kind: 'denyAction', action: 'mmapWX' }],
      { impliesNoNewPrivileges: true, gate: { minSystemd: 231 } },
    ),
    {
      kind: 'list',
      name: 'RestrictNamespaces',
      doc: 'namespace creation limited to the types used',
      polarity: 'deny',
      impliesNoNewPrivileges: true,
      gate: { minSystemd: 233 },
      elements: () =>
        NAMESPACES.map((ns) => ({
          item: ns,
          effects: [
            { kind: 'denyAction', action: 'namespace', where: (a) => a.kind === 'namespace' && a.ns === ns },
          ],
        })),
      render: (items, t) => {
        const timeUsed = t.actions.some((a) => a.kind === 'namespace' && a.ns === 'time');
        if (items.length === NAMESPACES.length && !timeUsed)
          return [{ option: 'RestrictNamespaces', value: 'yes' }];
        return items.length
          ? [{ option: 'RestrictNamespaces', value: items.map((n, i) => (i === 0 ? `~${n}` : n)) }]
          : [];
      },
      floor: (props) => {
        const allowed = parseNamespaceFloor(props.RestrictNamespaces);
        return allowed ? { items: new Set(NAMESPACES.filter((n) => !allowed.has(n))) } : undefined;
      },
    },
    {
      kind: 'derived',
      name: 'InaccessiblePaths',
      doc: 'untouched trees hidden; read-only trees reduced to the paths read (aggressive)',
      mountNamespace: true,
      gate: { mountNamespace: true, minSystemd: 238, modes: AGGRESSIVE },
      derive: (t) => fsWhitelist(t, threshold),
    },
    {
      kind: 'scalar',
      name: 'NoExecPaths',
      doc: 'nothing executable but the files executed or mapped executable (aggressive)',
      unset: '',
      mountNamespace: true,
      gate: {
        mountNamespace: true,
        minSystemd: 247,
        modes: AGGRESSIVE,
        when: (t) => {
          if (!t.paths.some((p) => p.access === 'exec' && p.action.ev.syscall.startsWith('mmap'))) {
            return 'the profile records no executable file mappings, so shared libraries cannot be whitelisted';
          }
          const unknown = t.paths.find(
            (p) =>
              p.access === 'exec' &&
              p.action.kind === 'path' &&
              p.action.path === p.path &&
              p.action.ev.syscall.startsWith('execve') &&
              t.binaries.get(p.path)?.interpreter === undefined,
          );
          return unknown
            ? `the interpreter of ${unknown.path} is unknown (ELF PT_INTERP or #! line)`
            : undefined;
        },
      },
      values: [
        {
          value: '-/',
          gives: 'only the paths in ExecPaths= can be executed or mapped executable',
          effects: [
            {
              kind: 'pathAccess',
              accesses: ['exec'],
              paths: { under: ['/'] },
              relax: { companion: 'ExecPaths', granularity: 'exact', forbidden: (p) => p === '/' },
            },
          ],
        },
      ],
    },
    {
      kind: 'list',
      name: 'RestrictAddressFamilies',
      doc: 'socket families limited to those used',
      polarity: 'allow',
      impliesNoNewPrivileges: true,
      gate: { minSystemd: 211 },
      elements: (t) => {
        const families = new Set<string>();
        for (const a of t.actions) if (a.kind === 'socket') families.add(a.family);
        // syslog(3) and sd_journal log over AF_UNIX, often only on error paths never seen while profiling.
        if (t.mode !== 'aggressive') families.add('AF_UNIX');
        return [...families].sort().map((f) => ({
          item: f,
          effects:
            f === 'AF_UNIX' && t.mode !== 'aggressive'
              ? [
                  {
                    kind: 'custom',
                    describe: 'logging',
                    check: () => ({ why: 'kept for logging to the journal/syslog (non-aggressive modes)' }),
                  },
                ]
              : [
                  {
                    kind: 'denyAction',
                    action: 'socket',
                    where: (a: Action) => a.kind === 'socket' && a.family === f,
                  },
                ],
        }));
      },
      floor: (props) => {
        const v = (props.RestrictAddressFamilies ?? '').trim();
        if (v === '' || v === 'no') return undefined;
        if (v === 'none') return { items: new Set() };
        if (v.startsWith('~')) return undefined; // a deny list: our allow list is checked against it below
        return { items: new Set(v.split(/\s+/)) };
      },
      render: (items, t) => {
        const denied = (t.unitProps.RestrictAddressFamilies ?? '').trim();
        const deniedSet = denied.startsWith('~')
          ? new Set(denied.slice(1).trim().split(/\s+/))
          : new Set<string>();
        const kept = items.filter((f) => !deniedSet.has(f));
        if (kept.length) return [{ option: 'RestrictAddressFamilies', value: [...kept] }];
        // No socket at all would be `none`, but systemd 257's transient-unit API rejects it ("Failed to
        // set unit properties: Invalid argument", seen in the Debian 13 VM) and systemd < 249 lacks it:
        // AF_UNIX alone is the strictest list every target accepts (it costs 25 of 56460 exposure weight).
        return [
          {
            option: 'RestrictAddressFamilies',
            value: ['AF_UNIX'],
            reasons: ['no socket family is used; AF_UNIX alone, as `none` is not accepted everywhere'],
          },
        ];
      },
    },
    yesOption(
      'PrivateNetwork',
      'no network but loopback (aggressive)',
      'the service has its own network namespace with only a loopback device',
      [
        { kind: 'denyAction', action: 'socket', where: (a) => a.kind === 'socket' && a.family !== 'AF_UNIX' },
        {
          kind: 'denyAction',
          action: 'net',
          where: (a) => a.kind === 'net' && (a.family !== 'AF_UNIX' || !!a.address?.startsWith('@')),
        },
      ],
      { gate: { modes: AGGRESSIVE, systemInstance: true, minSystemd: 33 } },
    ),
    {
      kind: 'derived',
      name: 'SocketBindDeny',
      doc: 'IP port binds limited to those used',
      gate: { minSystemd: 249, cgroupV2: true, bpfFramework: true, minKernel: [5, 7] },
      derive: socketBind,
    },
    {
      kind: 'derived',
      name: 'IPAddressDeny',
      doc: 'IP traffic limited to loopback or the peers seen',
      gate: { minSystemd: 235, cgroupV2: true, minKernel: [4, 11] },
      derive: ipAddress,
    },
    {
      kind: 'list',
      name: 'CapabilityBoundingSet',
      doc: 'capabilities nothing observed needs are removed',
      polarity: 'deny',
      gate: { minSystemd: 187 },
      elements: (t) => capabilityElements(t, privilegedExec(t) !== undefined),
      render: (items) =>
        items.length
          ? [{ option: 'CapabilityBoundingSet', value: items.map((c, i) => (i === 0 ? `~${c}` : c)) }]
          : [],
    },
    {
      kind: 'scalar',
      name: 'SystemCallArchitectures',
      doc: 'only native-architecture syscalls',
      unset: '',
      impliesNoNewPrivileges: true,
      aliases: { native: 'native' },
      // Every mode when the trace watched the ABI and saw no switch: a process that never left the
      // native ABI while traced has no code path into another one but exec'ing a foreign binary or
      // hand-made `int 0x80`, which services do not do. Without that evidence (RunInfo.abiWatched
      // absent) only standard and aggressive take it, as they did before. A switch seen blocks it
      // in every mode: a 32-bit helper would be killed.
      gate: {
        when: (t) => {
          const v = (t.unitProps.SystemCallArchitectures ?? '').trim();
          if (v !== '' && v !== 'native')
            return `the unit lists architectures (${v}); a drop-in can only add to them`;
          if (t.abi?.switches.length)
            return `the trace saw processes switch to another syscall ABI (${t.abi.switches.join(', ')} mode)`;
          if (t.mode === 'conservative' && !t.abi?.watched)
            return 'conservative mode: the trace does not say which syscall ABIs were used (no personality notices recorded)';
          return undefined;
        },
      },
      values: [
        {
          value: 'native',
          gives: 'syscalls through other ABIs (e.g. 32-bit x86 on x86-64) are refused',
          effects: [],
        },
      ],
    },
    {
      kind: 'list',
      name: 'SystemCallFilter',
      doc: 'syscall groups nothing observed uses are denied with EPERM',
      polarity: 'deny',
      impliesNoNewPrivileges: true,
      gate: { minSystemd: 235, syscallGroups: true },
      elements: syscallFilterElements,
      render: renderSyscallFilter,
    },
  ];
}
