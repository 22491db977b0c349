/**
 * The table of `systemd-analyze security` (src/analyze/analyze-security.c, security_assessor_table
 * as shipped in systemd 252–257): each row's name, json_field, weight, range and assess function.
 * Order, weights, ranges and texts are systemd's.
 */
import type { Namespace } from '../systemd/namespaces';
import { capMask, X86_64_SYSCALLS, type Capability } from './linux';
import type { SyscallGroups } from '../systemd/syscallFilter';
import type { SecuritySettings } from './settings';

/**
 * What the assess functions read (systemd's SecurityInfo): the unit's settings as they are, except
 * the list-valued ones, which systemd reduces to the sets and flags the checks ask about.
 */
export interface SecurityInfo extends Omit<
  SecuritySettings,
  | 'id'
  | 'restrictNamespaces'
  | 'addressFamilies'
  | 'syscallFilter'
  | 'syscallArchitectures'
  | 'ipAddressAllow'
  | 'ipAddressDeny'
  | 'ipIngressFilterPath'
  | 'ipEgressFilterPath'
> {
  /** Namespace types that may still be created. */
  namespacesAllowed: ReadonlySet<Namespace>;
  afInet: boolean;
  afUnix: boolean;
  afNetlink: boolean;
  afPacket: boolean;
  afOther: boolean;
  syscallArchitectures: ReadonlySet<string>;
  syscallFilterAllowList: boolean;
  /** Filter entries with any `:errno` suffix removed. */
  syscallFilter: ReadonlySet<string>;
  ipAddressDenyAll: boolean;
  ipAddressAllowLocalhost: boolean;
  ipAddressAllowOther: boolean;
  ipFiltersCustom: boolean;
}

export interface Assessment {
  /** 0..range, or null when the check does not apply (N/A). */
  badness: number | null;
  description?: string;
}

export interface CheckContext {
  syscallGroups?: SyscallGroups;
}

export interface SecurityCheck {
  /** As systemd prints it in the NAME column, e.g. `CapabilityBoundingSet=~CAP_SYS_ADMIN`. */
  name: string;
  jsonField: string;
  weight: number;
  range: number;
  descriptionGood?: string;
  descriptionBad?: string;
  descriptionNa?: string;
  /** N/A when the unit has DefaultDependencies=no ("special boot phase"). */
  defaultDependenciesOnly?: boolean;
  assess(info: SecurityInfo, ctx: CheckContext): Assessment;
}

const b = (bad: boolean): Assessment => ({ badness: bad ? 1 : 0 });

function runsPrivileged(i: SecurityInfo): boolean {
  if (i.user === '0' || i.user === 'root') return true;
  if (i.dynamicUser) return false;
  return i.user === '';
}

function boolCheck(
  option: string,
  field: keyof SecurityInfo,
  weight: number,
  good: string,
  bad: string,
  extra: Partial<SecurityCheck> = {},
): SecurityCheck {
  return {
    name: `${option}=`,
    jsonField: option,
    weight,
    range: 1,
    descriptionGood: good,
    descriptionBad: bad,
    assess: (i) => b(!i[field]),
    ...extra,
  };
}

function capCheck(
  label: string,
  jsonSuffix: string,
  weight: number,
  caps: Capability[],
  good: string,
  bad: string,
): SecurityCheck {
  const mask = capMask(...caps);
  return {
    name: `CapabilityBoundingSet=~${label}`,
    jsonField: `CapabilityBoundingSet_${jsonSuffix}`,
    weight,
    range: 1,
    descriptionGood: good,
    descriptionBad: bad,
    assess: (i) => b((i.capabilityBoundingSet & mask) !== 0n),
  };
}

function nsCheck(ns: Namespace, weight: number, what: string): SecurityCheck {
  return {
    name: `RestrictNamespaces=~${ns}`,
    jsonField: `RestrictNamespaces_${ns}`,
    weight,
    range: 1,
    descriptionGood: `Service cannot create ${what} namespaces`,
    descriptionBad: `Service may create ${what} namespaces`,
    assess: (i) => b(i.namespacesAllowed.has(ns)),
  };
}

function afCheck(
  label: string,
  jsonSuffix: string,
  field: 'afInet' | 'afUnix' | 'afNetlink' | 'afPacket' | 'afOther',
  weight: number,
  what: string,
): SecurityCheck {
  return {
    name: `RestrictAddressFamilies=~${label}`,
    jsonField: `RestrictAddressFamilies_${jsonSuffix}`,
    weight,
    range: 1,
    descriptionGood: `Service cannot allocate ${what} sockets`,
    descriptionBad: `Service may allocate ${what} sockets`,
    // The info field is "restricted": true when the family cannot be used.
    assess: (i) => b(!i[field]),
  };
}

/**
 * syscall_names_in_filter(): is some member of the group (recursively) allowed? Members that do
 * not exist on x86-64 are skipped; returns the first offending syscall.
 */
function offendingSyscall(
  group: string,
  i: SecurityInfo,
  groups: SyscallGroups,
  seen = new Set<string>(),
): string | undefined {
  if (seen.has(group)) return undefined;
  seen.add(group);
  for (const member of groups[group] ?? []) {
    if (member.startsWith('@')) {
      const o = offendingSyscall(member, i, groups, seen);
      if (o) return o;
      continue;
    }
    if (!X86_64_SYSCALLS.has(member)) continue;
    if (i.syscallFilter.has(member) === i.syscallFilterAllowList) return member;
  }
  return undefined;
}

function syscallCheck(group: string, weight: number): SecurityCheck {
  const name = `@${group}`;
  return {
    name: `SystemCallFilter=~${name}`,
    jsonField: `SystemCallFilter_${group.replace(/-/g, '_')}`,
    weight,
    range: 10,
    assess: (i, ctx) => {
      if (!i.syscallFilterAllowList && i.syscallFilter.size === 0) {
        return { badness: 10, description: 'Service does not filter system calls' };
      }
      if (!ctx.syscallGroups?.[name]) {
        throw new Error(`system call group ${name} unknown: pass the target's syscall groups`);
      }
      const offender = offendingSyscall(name, i, ctx.syscallGroups);
      if (i.syscallFilterAllowList) {
        return offender
          ? {
              badness: 9,
              description: `System call allow list defined for service, and ${name} is included (e.g. ${offender} is allowed)`,
            }
          : {
              badness: 0,
              description: `System call allow list defined for service, and ${name} is not included`,
            };
      }
      return offender
        ? {
            badness: 10,
            description: `System call deny list defined for service, and ${name} is not included (e.g. ${offender} is allowed)`,
          }
        : { badness: 0, description: `System call deny list defined for service, and ${name} is included` };
    },
  };
}

export const SECURITY_CHECKS: readonly SecurityCheck[] = [
  {
    name: 'User=/DynamicUser=',
    jsonField: 'UserOrDynamicUser',
    weight: 2000,
    range: 10,
    descriptionBad: 'Service runs as root user',
    assess: (i) => {
      if (i.user === 'nobody')
        return {
          badness: 9,
          description: "Service runs under as 'nobody' user, which should not be used for services",
        };
      if (i.dynamicUser && i.user !== '0' && i.user !== 'root')
        return { badness: 0, description: 'Service runs under a transient non-root user identity' };
      if (i.user !== '' && i.user !== '0' && i.user !== 'root')
        return { badness: 0, description: 'Service runs under a static non-root user identity' };
      return { badness: 10 };
    },
  },
  {
    name: 'SupplementaryGroups=',
    jsonField: 'SupplementaryGroups',
    weight: 200,
    range: 1,
    descriptionGood: 'Service has no supplementary groups',
    descriptionBad: 'Service runs with supplementary groups',
    descriptionNa: 'Service runs as root, option does not matter',
    assess: (i) => (runsPrivileged(i) ? { badness: null } : b(i.supplementaryGroups.length > 0)),
  },
  boolCheck(
    'PrivateDevices',
    'privateDevices',
    1000,
    'Service has no access to hardware devices',
    'Service potentially has access to hardware devices',
  ),
  boolCheck(
    'PrivateMounts',
    'privateMounts',
    1000,
    'Service cannot install system mounts',
    'Service may install system mounts',
  ),
  boolCheck(
    'PrivateNetwork',
    'privateNetwork',
    2500,
    "Service has no access to the host's network",
    "Service has access to the host's network",
  ),
  boolCheck(
    'PrivateTmp',
    'privateTmp',
    1000,
    "Service has no access to other software's temporary files",
    "Service has access to other software's temporary files",
    { defaultDependenciesOnly: true },
  ),
  boolCheck(
    'PrivateUsers',
    'privateUsers',
    1000,
    'Service does not have access to other users',
    'Service has access to other users',
  ),
  boolCheck(
    'ProtectControlGroups',
    'protectControlGroups',
    1000,
    'Service cannot modify the control group file system',
    'Service may modify the control group file system',
  ),
  boolCheck(
    'ProtectKernelModules',
    'protectKernelModules',
    1000,
    'Service cannot load or read kernel modules',
    'Service may load or read kernel modules',
  ),
  boolCheck(
    'ProtectKernelTunables',
    'protectKernelTunables',
    1000,
    'Service cannot alter kernel tunables (/proc/sys, …)',
    'Service may alter kernel tunables',
  ),
  boolCheck(
    'ProtectKernelLogs',
    'protectKernelLogs',
    1000,
    'Service cannot read from or write to the kernel log ring buffer',
    'Service may read from or write to the kernel log ring buffer',
  ),
  boolCheck(
    'ProtectClock',
    'protectClock',
    1000,
    'Service cannot write to the hardware clock or system clock',
    'Service may write to the hardware clock or system clock',
  ),
  {
    name: 'ProtectHome=',
    jsonField: 'ProtectHome',
    weight: 1000,
    range: 10,
    defaultDependenciesOnly: true,
    assess: (i) => {
      switch (i.protectHome) {
        case 'yes':
          return { badness: 0, description: 'Service has no access to home directories' };
        case 'read-only':
          return { badness: 5, description: 'Service has read-only access to home directories' };
        case 'tmpfs':
          return { badness: 1, description: 'Service has access to fake empty home directories' };
        default:
          return { badness: 10, description: 'Service has full access to home directories' };
      }
    },
  },
  boolCheck(
    'ProtectHostname',
    'protectHostname',
    50,
    'Service cannot change system host/domainname',
    'Service may change system host/domainname',
  ),
  {
    name: 'ProtectSystem=',
    jsonField: 'ProtectSystem',
    weight: 1000,
    range: 10,
    defaultDependenciesOnly: true,
    assess: (i) => {
      switch (i.protectSystem) {
        case 'strict':
          return { badness: 0, description: 'Service has strict read-only access to the OS file hierarchy' };
        case 'full':
          return {
            badness: 3,
            description: 'Service has very limited write access to the OS file hierarchy',
          };
        case 'yes':
          return { badness: 5, description: 'Service has limited write access to the OS file hierarchy' };
        default:
          return { badness: 10, description: 'Service has full access to the OS file hierarchy' };
      }
    },
  },
  {
    name: 'RootDirectory=/RootImage=',
    jsonField: 'RootDirectoryOrRootImage',
    weight: 200,
    range: 1,
    defaultDependenciesOnly: true,
    descriptionGood: 'Service has its own root directory/image',
    descriptionBad: "Service runs within the host's root directory",
    assess: (i) => b(['', '/'].includes(i.rootDirectory) && ['', '/'].includes(i.rootImage)),
  },
  boolCheck(
    'LockPersonality',
    'lockPersonality',
    100,
    'Service cannot change ABI personality',
    'Service may change ABI personality',
  ),
  boolCheck(
    'MemoryDenyWriteExecute',
    'memoryDenyWriteExecute',
    100,
    'Service cannot create writable executable memory mappings',
    'Service may create writable executable memory mappings',
  ),
  boolCheck(
    'NoNewPrivileges',
    'noNewPrivileges',
    1000,
    'Service processes cannot acquire new privileges',
    'Service processes may acquire new privileges',
  ),
  capCheck(
    'CAP_SYS_ADMIN',
    'CAP_SYS_ADMIN',
    1500,
    ['CAP_SYS_ADMIN'],
    'Service has no administrator privileges',
    'Service has administrator privileges',
  ),
  capCheck(
    'CAP_SET(UID|GID|PCAP)',
    'CAP_SET_UID_GID_PCAP',
    1500,
    ['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'],
    'Service cannot change UID/GID identities/capabilities',
    'Service may change UID/GID identities/capabilities',
  ),
  capCheck(
    'CAP_SYS_PTRACE',
    'CAP_SYS_PTRACE',
    1500,
    ['CAP_SYS_PTRACE'],
    'Service has no ptrace() debugging abilities',
    'Service has ptrace() debugging abilities',
  ),
  capCheck(
    'CAP_SYS_TIME',
    'CAP_SYS_TIME',
    1000,
    ['CAP_SYS_TIME'],
    'Service processes cannot change the system clock',
    'Service processes may change the system clock',
  ),
  capCheck(
    'CAP_NET_ADMIN',
    'CAP_NET_ADMIN',
    1000,
    ['CAP_NET_ADMIN'],
    'Service has no network configuration privileges',
    'Service has network configuration privileges',
  ),
  capCheck(
    'CAP_SYS_RAWIO',
    'CAP_SYS_RAWIO',
    1000,
    ['CAP_SYS_RAWIO'],
    'Service has no raw I/O access',
    'Service has raw I/O access',
  ),
  capCheck(
    'CAP_SYS_MODULE',
    'CAP_SYS_MODULE',
    1000,
    ['CAP_SYS_MODULE'],
    'Service cannot load kernel modules',
    'Service may load kernel modules',
  ),
  capCheck(
    'CAP_AUDIT_*',
    'CAP_AUDIT',
    500,
    ['CAP_AUDIT_CONTROL', 'CAP_AUDIT_READ', 'CAP_AUDIT_WRITE'],
    'Service has no audit subsystem access',
    'Service has audit subsystem access',
  ),
  capCheck(
    'CAP_SYSLOG',
    'CAP_SYSLOG',
    500,
    ['CAP_SYSLOG'],
    'Service has no access to kernel logging',
    'Service has access to kernel logging',
  ),
  capCheck(
    'CAP_SYS_(NICE|RESOURCE)',
    'CAP_SYS_NICE_RESOURCE',
    500,
    ['CAP_SYS_NICE', 'CAP_SYS_RESOURCE'],
    'Service has no privileges to change resource use parameters',
    'Service has privileges to change resource use parameters',
  ),
  capCheck(
    'CAP_MKNOD',
    'CAP_MKNOD',
    500,
    ['CAP_MKNOD'],
    'Service cannot create device nodes',
    'Service may create device nodes',
  ),
  capCheck(
    'CAP_(CHOWN|FSETID|SETFCAP)',
    'CAP_CHOWN_FSETID_SETFCAP',
    1000,
    ['CAP_CHOWN', 'CAP_FSETID', 'CAP_SETFCAP'],
    'Service cannot change file ownership/access mode/capabilities',
    'Service may change file ownership/access mode/capabilities unrestricted',
  ),
  capCheck(
    'CAP_(DAC_*|FOWNER|IPC_OWNER)',
    'CAP_DAC_FOWNER_IPC_OWNER',
    1000,
    ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_IPC_OWNER'],
    'Service cannot override UNIX file/IPC permission checks',
    'Service may override UNIX file/IPC permission checks',
  ),
  capCheck(
    'CAP_KILL',
    'CAP_KILL',
    500,
    ['CAP_KILL'],
    'Service cannot send UNIX signals to arbitrary processes',
    'Service may send UNIX signals to arbitrary processes',
  ),
  // systemd's json_field really ends in ')' (a typo kept for compatibility of policies and output).
  capCheck(
    'CAP_NET_(BIND_SERVICE|BROADCAST|RAW)',
    'CAP_NET_BIND_SERVICE_BROADCAST_RAW)',
    500,
    ['CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_RAW'],
    'Service has no elevated networking privileges',
    'Service has elevated networking privileges',
  ),
  capCheck(
    'CAP_SYS_BOOT',
    'CAP_SYS_BOOT',
    100,
    ['CAP_SYS_BOOT'],
    'Service cannot issue reboot()',
    'Service may issue reboot()',
  ),
  capCheck(
    'CAP_MAC_*',
    'CAP_MAC',
    100,
    ['CAP_MAC_ADMIN', 'CAP_MAC_OVERRIDE'],
    'Service cannot adjust SMACK MAC',
    'Service may adjust SMACK MAC',
  ),
  capCheck(
    'CAP_LINUX_IMMUTABLE',
    'CAP_LINUX_IMMUTABLE',
    75,
    ['CAP_LINUX_IMMUTABLE'],
    'Service cannot mark files immutable',
    'Service may mark files immutable',
  ),
  capCheck(
    'CAP_IPC_LOCK',
    'CAP_IPC_LOCK',
    50,
    ['CAP_IPC_LOCK'],
    'Service cannot lock memory into RAM',
    'Service may lock memory into RAM',
  ),
  capCheck(
    'CAP_SYS_CHROOT',
    'CAP_SYS_CHROOT',
    50,
    ['CAP_SYS_CHROOT'],
    'Service cannot issue chroot()',
    'Service may issue chroot()',
  ),
  capCheck(
    'CAP_BLOCK_SUSPEND',
    'CAP_BLOCK_SUSPEND',
    25,
    ['CAP_BLOCK_SUSPEND'],
    'Service cannot establish wake locks',
    'Service may establish wake locks',
  ),
  capCheck(
    'CAP_WAKE_ALARM',
    'CAP_WAKE_ALARM',
    25,
    ['CAP_WAKE_ALARM'],
    'Service cannot program timers that wake up the system',
    'Service may program timers that wake up the system',
  ),
  capCheck(
    'CAP_LEASE',
    'CAP_LEASE',
    25,
    ['CAP_LEASE'],
    'Service cannot create file leases',
    'Service may create file leases',
  ),
  capCheck(
    'CAP_SYS_TTY_CONFIG',
    'CAP_SYS_TTY_CONFIG',
    25,
    ['CAP_SYS_TTY_CONFIG'],
    'Service cannot issue vhangup()',
    'Service may issue vhangup()',
  ),
  capCheck(
    'CAP_SYS_PACCT',
    'CAP_SYS_PACCT',
    25,
    ['CAP_SYS_PACCT'],
    'Service cannot use acct()',
    'Service may use acct()',
  ),
  // systemd swaps the two texts of this row (cosmetic); kept as printed.
  capCheck(
    'CAP_BPF',
    'CAP_BPF',
    25,
    ['CAP_BPF'],
    'Service may load BPF programs',
    'Service may load BPF programs',
  ),
  {
    name: 'UMask=',
    jsonField: 'UMask',
    weight: 100,
    range: 10,
    assess: (i) => {
      const m = i.umask;
      if (!(m & 0o002))
        return { badness: 10, description: 'Files created by service are world-writable by default' };
      if (!(m & 0o004))
        return { badness: 5, description: 'Files created by service are world-readable by default' };
      if (!(m & 0o020))
        return { badness: 2, description: 'Files created by service are group-writable by default' };
      if (!(m & 0o040))
        return { badness: 1, description: 'Files created by service are group-readable by default' };
      return {
        badness: 0,
        description: "Files created by service are accessible only by service's own user by default",
      };
    },
  },
  {
    name: 'KeyringMode=',
    jsonField: 'KeyringMode',
    weight: 1000,
    range: 1,
    descriptionGood: "Service doesn't share key material with other services",
    descriptionBad: 'Service shares key material with other service',
    assess: (i) => b(i.keyringMode !== 'private'),
  },
  {
    name: 'ProtectProc=',
    jsonField: 'ProtectProc',
    weight: 1000,
    range: 3,
    descriptionGood: 'Service has restricted access to process tree (/proc hidepid=)',
    descriptionBad: 'Service has full access to process tree (/proc hidepid=)',
    // noaccess scores worse than invisible although it is stricter: systemd's choice.
    assess: (i) => ({
      badness: i.protectProc === 'noaccess' ? 1 : ['invisible', 'ptraceable'].includes(i.protectProc) ? 0 : 3,
    }),
  },
  {
    name: 'ProcSubset=',
    jsonField: 'ProcSubset',
    weight: 10,
    range: 1,
    descriptionGood: 'Service has no access to non-process /proc files (/proc subset=)',
    descriptionBad: 'Service has full access to non-process /proc files (/proc subset=)',
    assess: (i) => b(i.procSubset !== 'pid'),
  },
  {
    name: 'NotifyAccess=',
    jsonField: 'NotifyAccess',
    weight: 1000,
    range: 1,
    descriptionGood: 'Service child processes cannot alter service state',
    descriptionBad: 'Service child processes may alter service state',
    assess: (i) => b(i.notifyAccess === 'all'),
  },
  {
    name: 'RemoveIPC=',
    jsonField: 'RemoveIPC',
    weight: 100,
    range: 1,
    descriptionGood: 'Service user cannot leave SysV IPC objects around',
    descriptionBad: 'Service user may leave SysV IPC objects around',
    descriptionNa: 'Service runs as root, option does not apply',
    assess: (i) => (runsPrivileged(i) ? { badness: null } : b(!i.removeIPC)),
  },
  {
    name: 'Delegate=',
    jsonField: 'Delegate',
    weight: 100,
    range: 1,
    descriptionGood: 'Service does not maintain its own delegated control group subtree',
    descriptionBad: 'Service maintains its own delegated control group subtree',
    assess: (i) => b(i.delegate),
  },
  boolCheck(
    'RestrictRealtime',
    'restrictRealtime',
    500,
    'Service realtime scheduling access is restricted',
    'Service may acquire realtime scheduling',
  ),
  boolCheck(
    'RestrictSUIDSGID',
    'restrictSUIDSGID',
    1000,
    'SUID/SGID file creation by service is restricted',
    'Service may create SUID/SGID files',
  ),
  nsCheck('user', 1500, 'user'),
  nsCheck('mnt', 500, 'file system'),
  nsCheck('ipc', 500, 'IPC'),
  nsCheck('pid', 500, 'process'),
  nsCheck('cgroup', 500, 'cgroup'),
  nsCheck('net', 500, 'network'),
  nsCheck('uts', 100, 'hostname'),
  afCheck('AF_(INET|INET6)', 'AF_INET_INET6', 'afInet', 1500, 'Internet'),
  afCheck('AF_UNIX', 'AF_UNIX', 'afUnix', 25, 'local'),
  afCheck('AF_NETLINK', 'AF_NETLINK', 'afNetlink', 200, 'netlink'),
  afCheck('AF_PACKET', 'AF_PACKET', 'afPacket', 1000, 'packet'),
  afCheck('…', 'OTHER', 'afOther', 1250, 'exotic'),
  {
    name: 'SystemCallArchitectures=',
    jsonField: 'SystemCallArchitectures',
    weight: 1000,
    range: 10,
    assess: (i) => {
      const a = i.syscallArchitectures;
      if (a.size === 0) return { badness: 10, description: 'Service may execute system calls with all ABIs' };
      if (a.has('native') && a.size === 1)
        return { badness: 0, description: 'Service may execute system calls only with native ABI' };
      return { badness: 8, description: 'Service may execute system calls with multiple ABIs' };
    },
  },
  syscallCheck('swap', 1000),
  syscallCheck('obsolete', 250),
  syscallCheck('clock', 1000),
  syscallCheck('cpu-emulation', 250),
  syscallCheck('debug', 1000),
  syscallCheck('mount', 1000),
  syscallCheck('module', 1000),
  syscallCheck('raw-io', 1000),
  syscallCheck('reboot', 1000),
  syscallCheck('privileged', 700),
  syscallCheck('resources', 700),
  {
    name: 'IPAddressDeny=',
    jsonField: 'IPAddressDeny',
    weight: 1000,
    range: 10,
    assess: (i) => {
      if (i.ipFiltersCustom)
        return {
          badness: 0,
          description: 'Service defines custom ingress/egress IP filters with BPF programs',
        };
      if (!i.ipAddressDenyAll)
        return { badness: 10, description: 'Service does not define an IP address allow list' };
      if (i.ipAddressAllowOther)
        return {
          badness: 5,
          description: 'Service defines IP address allow list with non-localhost entries',
        };
      if (i.ipAddressAllowLocalhost)
        return {
          badness: 2,
          description: 'Service defines IP address allow list with only localhost entries',
        };
      return { badness: 0, description: 'Service blocks all IP address ranges' };
    },
  },
  {
    name: 'DeviceAllow=',
    jsonField: 'DeviceAllow',
    weight: 1000,
    range: 10,
    assess: (i) => {
      if (i.devicePolicy === 'strict' || i.devicePolicy === 'closed') {
        if (i.deviceAllow.length === 0)
          return { badness: 0, description: 'Service has a minimal device ACL' };
        return {
          badness: 5,
          description: `Service has a device ACL with some special devices: ${i.deviceAllow.map((d) => d.replace(' ', ':')).join(' ')}`,
        };
      }
      return { badness: 10, description: 'Service has no device ACL' };
    },
  },
  {
    name: 'AmbientCapabilities=',
    jsonField: 'AmbientCapabilities',
    weight: 500,
    range: 1,
    descriptionGood: 'Service process does not receive ambient capabilities',
    descriptionBad: 'Service process receives ambient capabilities',
    assess: (i) => b(i.ambientCapabilities !== 0n),
  },
];
