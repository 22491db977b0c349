/**
 * The option model's vocabulary: effects (what a value forbids), gates (what the target must
 * support), and option declarations. Options are data: the resolver (core/resolve) knows only these
 * kinds, never an option by name, so adding an option is adding a declaration in options.ts.
 */
import { z } from 'zod';
import type { Action, ActionKind, PathAccessKind } from '../summary/actions';
import type { SyscallGroups } from './syscallFilter';

/** How far the resolver may go: each option value names the modes it is chosen in. */
export const HardeningMode = z.enum(['conservative', 'standard', 'aggressive']);
export type HardeningMode = z.infer<typeof HardeningMode>;

/** A set of paths: subtrees (`under`, the base itself included), exact paths, a test, minus exceptions. */
export interface PathSet {
  under?: readonly string[];
  exact?: readonly string[];
  /** For shapes a prefix cannot say (e.g. `/proc/<pid>` of another process). */
  test?: (path: string, t: TargetView) => boolean;
  /** Subtrees that are exempt (e.g. /dev, /proc, /sys under ProtectSystem=strict). */
  except?: readonly string[];
  /** Exemptions that depend on what else is chosen or already set (PrivateTmp makes /tmp writable under strict). */
  exceptWhen?: (t: TargetView) => readonly string[];
}

/** Accesses that need a writable mount. */
export const WRITE_ACCESSES: readonly PathAccessKind[] = ['write', 'create', 'remove', 'metadata'];
/** Why no path effect can be proven on this profile (TargetView.unreadableArgs), or undefined. */
export function unreadablePaths(t: Pick<TargetView, 'unreadableArgs'>): string | undefined {
  return t.unreadableArgs > 0
    ? `the trace could not read ${t.unreadableArgs} path or address argument(s) of successful calls ` +
        "(a process changed its credentials out of strace's reach), so the paths used are not all known"
    : undefined;
}

export const ALL_ACCESSES: readonly PathAccessKind[] = [
  'read',
  'write',
  'create',
  'exec',
  'remove',
  'metadata',
];

/**
 * Whitelisting: instead of conflicting, an access may be let through by adding a path to a companion
 * option (ReadWritePaths=, ExecPaths=, BindReadOnlyPaths=…). `granularity` says which path is added:
 * the accessed path itself, or its directory (creating or replacing a file needs the directory).
 */
export interface Relax {
  companion: string;
  /** `dir`: the directory of the path for every access; `dirForCreate`: the path itself, its directory when it is created/removed. */
  granularity: 'exact' | 'dirForCreate';
  /** Exceptions at or above these paths would open too much: the access stays a conflict. */
  forbidden: (path: string) => boolean;
}

export type Effect =
  /** Conflicts with accesses of the listed kinds to a path in the set (read-only mounts, inaccessible paths, noexec). */
  | {
      kind: 'pathAccess';
      accesses: readonly PathAccessKind[];
      paths: PathSet;
      relax?: Relax;
      modes?: readonly HardeningMode[];
    }
  /**
   * An empty tmpfs over `bases`: a path below a base exists only if the service created it earlier
   * (create-before-read); creating needs a writable tmpfs and an existing parent. `keep` paths are
   * carried over (PrivateDevices keeps /dev/null…). `baseListed`: listing the base itself conflicts
   * (its content differs), as for /dev under PrivateDevices.
   */
  | {
      kind: 'emptyPath';
      bases: readonly string[];
      writable: boolean;
      keep?: readonly string[];
      baseListed?: boolean;
      modes?: readonly HardeningMode[];
    }
  /** Conflicts if the service used any of these syscalls or `@groups` (expanded with the target's groups). */
  | { kind: 'denySyscalls'; names: readonly string[]; modes?: readonly HardeningMode[] }
  /** Conflicts with an action of this kind (optionally only those matching `where`). */
  | {
      kind: 'denyAction';
      action: ActionKind;
      where?: (a: Action, t: TargetView) => boolean;
      modes?: readonly HardeningMode[];
    }
  /**
   * Restricts device nodes to systemd's built-in pseudo devices plus the DeviceAllow= entries chosen
   * in the same plan (DevicePolicy=closed, or the DeviceAllow=char-rtc that ProtectClock adds).
   */
  | { kind: 'restrictDevices'; modes?: readonly HardeningMode[] }
  /**
   * A rule no other kind can say, over the whole profile view. Returns the first blocking action
   * (with a why) or undefined. Kept for the few options whose proof needs host facts (NoNewPrivileges:
   * file modes of executed binaries).
   */
  | {
      kind: 'custom';
      describe: string;
      check: (t: TargetView) => { action?: Action; why: string } | undefined;
      modes?: readonly HardeningMode[];
    };

/** What the target must support for a value to be emitted at all. */
export interface Gate {
  minSystemd?: number;
  /** [major, minor] of the kernel. */
  minKernel?: readonly [number, number];
  /** Needs a mount namespace set up by the manager (system instance, or user namespaces). */
  mountNamespace?: boolean;
  systemInstance?: boolean;
  cgroupV2?: boolean;
  /** systemd built with +BPF_FRAMEWORK (libbpf programs: SocketBind*, RestrictFileSystems…). */
  bpfFramework?: boolean;
  /** The unit runs as a non-root user (RemoveIPC is meaningless for root). */
  nonRoot?: boolean;
  /** Only in these modes. */
  modes?: readonly HardeningMode[];
  /** Syscall groups must be known for the target (facts or a bundled version ≤ target). */
  syscallGroups?: boolean;
  /** Anything else, returning why it is blocked (or undefined). */
  when?: (t: TargetView) => string | undefined;
}

/** One value of a scalar option. */
export interface ValueDecl {
  value: string;
  effects: readonly Effect[];
  gate?: Gate;
  /** Why this value is worth having (shown when chosen). */
  gives: string;
}

interface OptionBase {
  name: string;
  gate?: Gate;
  /** The option works through a mount namespace: it conflicts with mounts meant to reach the host. */
  mountNamespace?: boolean;
  /** In a user manager, this option implies NoNewPrivileges=yes (systemd.exec(5)). */
  impliesNoNewPrivileges?: boolean;
  /** One line for docs and `hush resolve --json`. */
  doc: string;
}

/** A scalar option: one value, ordered least → most restrictive. `unset` is systemd's default, never emitted. */
export interface ScalarOption extends OptionBase {
  kind: 'scalar';
  unset: string;
  /** Least → most restrictive, without `unset`. */
  values: readonly ValueDecl[];
  /** Spellings of the unit's current value (`systemctl show`) that mean a declared value: yes → true. */
  aliases?: Readonly<Record<string, string>>;
  /** Read the floor from unit properties when the property name or format differ (UMask is octal bits). */
  floorIndex?: (props: Readonly<Record<string, string>>) => number | undefined;
}

/** One candidate item of a list option. */
export interface ElementDecl {
  item: string;
  /** For deny lists: denying the item conflicts with these. For allow lists: the item is used if these conflict. */
  effects: readonly Effect[];
  gate?: Gate;
}

/**
 * A list option. `deny`: each element that no action conflicts with is denied (CapabilityBoundingSet=~…,
 * SystemCallFilter=~…). `allow`: each element some action uses is allowed (RestrictAddressFamilies=).
 */
export interface ListOption extends OptionBase {
  kind: 'list';
  polarity: 'deny' | 'allow';
  elements: (t: TargetView) => readonly ElementDecl[];
  /** Items the unit already allows (allow lists) or denies (deny lists), parsed from `systemctl show`. */
  floor?: (props: Readonly<Record<string, string>>, t: TargetView) => FloorList | undefined;
  /** Turns the final item list into assignments (prefixes, `:EPERM`, `none`, one line per item…). */
  render: (
    items: readonly string[],
    t: TargetView,
  ) => { option: string; value: string | string[]; reasons?: string[] }[];
}

/** Existing list setting: for an allow list, the set allowed; for a deny list, the set denied. */
export interface FloorList {
  items: ReadonlySet<string>;
}

/**
 * Options computed from the profile as a whole rather than chosen from values (DeviceAllow entries,
 * SocketBindAllow ports, IPAddressAllow addresses, InaccessiblePaths of untouched trees).
 */
export interface DerivedOption extends OptionBase {
  kind: 'derived';
  derive: (t: TargetView) => DerivedResult;
}

export interface DerivedResult {
  assignments: { option: string; value: string | string[]; reasons: string[] }[];
  rejected: { value: string; why: string; action?: Action }[];
}

export type OptionDecl = ScalarOption | ListOption | DerivedOption;

/** What declarations may look at: the profile digested by the resolver, the target, the plan so far. */
export interface TargetView {
  mode: HardeningMode;
  systemdVersion: number;
  kernel?: readonly [number, number];
  cgroupVersion?: 1 | 2;
  bpfFramework?: boolean;
  systemInstance: boolean;
  runsAsRoot: boolean;
  /**
   * Exec commands that run as root although the unit has a User= (`!`/`!!` prefixes): they keep
   * the sandbox, bounding set included, so their needs count as a root service's ("+" commands
   * are exempt from the sandbox and need nothing from it).
   */
  rootCommands: readonly string[];
  /** `systemctl show` of the unit (empty when unknown). */
  unitProps: Readonly<Record<string, string>>;
  groups?: SyscallGroups;
  /** Which systemd's groups are used: `host` (probed) or `bundled-252`… */
  groupsSource?: string;
  /** Path accesses in first-occurrence order, including unix socket paths, mknod and chmod targets. */
  paths: readonly PathUse[];
  actions: readonly Action[];
  /** Syscalls that succeeded (block) and those seen only failing (block in conservative mode). */
  syscalls: ReadonlyMap<string, number>;
  failedSyscalls: ReadonlyMap<string, number>;
  /** Pids seen in the trace (the service's own processes). */
  pids: ReadonlySet<number>;
  /**
   * Path or address arguments of successful calls the trace could not read (RunInfo.unreadableArgs,
   * summed over runs): the paths they named are missing, so no path option can be proven.
   */
  unreadableArgs: number;
  /**
   * Syscall ABIs (RunInfo.abiWatched/abiSwitches over all runs): `watched` when every run's
   * recorder reported ABI switches, `switches` the ABIs processes switched to. Absent: unknown.
   */
  abi?: { watched: boolean; switches: readonly string[] };
  /** Executed binaries' file facts by path (mode bits, file capabilities). */
  binaries: ReadonlyMap<string, { mode?: number; fileCapabilities?: string; interpreter?: string }>;
  /** Values chosen so far in this plan (registry order), option → value. */
  chosen: ReadonlyMap<string, string | readonly string[]>;
  /** Whether `option` ends up set to one of `values`, by this plan or already by the unit. */
  effective: (option: string) => string | undefined;
}

export interface PathUse {
  path: string;
  access: PathAccessKind;
  action: Action;
}
