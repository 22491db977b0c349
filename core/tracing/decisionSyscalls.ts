/**
 * Decision tracing: profile with `strace --seccomp-bpf` so that only syscalls that can change a
 * decision stop the service.
 *
 * Under plain strace every syscall is two ptrace stops. The hottest ones (read, write, futex,
 * epoll_wait, recvfrom, clock_gettime…) carry no path and no decision of their own, so hush leaves a
 * small, explicit list of them out (`UNTRACED`, each with the reason it changes nothing) and traces
 * everything else: strace gets `--seccomp-bpf -e trace=!?read,?write,…`. The complement form keeps
 * every syscall the trace set does not name explicitly, so syscalls the target's systemd does not
 * know (they still reach an aggressive allow-list under full tracing) are traced too, and the unit's
 * ExecStart line stays short.
 *
 * Which decisions look at syscall names (derived from the option model, `decisionUnits`):
 *  - the summary handlers (actions, cwd and fd tables): `HANDLED_SYSCALLS` are traced, except the
 *    few hot ones whose handler records nothing a traced call does not (`handled` in `UNTRACED`:
 *    fstat's read of its fd's path, which the open that made the fd recorded, for units handed no
 *    fd with a path; setsockopt's IPV6_V6ONLY, whose absence can only allow more);
 *  - every `denySyscalls` effect of every option, in every mode (SystemCallFilter's groups,
 *    PrivateDevices' @raw-io, ProtectClock's @clock, CapabilityBoundingSet's setuid family…): the
 *    value is blocked when any member was used ("decision unit" below);
 *  - custom checks that read a syscall name (CapabilityBoundingSet's ioctl and prctl rules): `CUSTOM_CHECK_SYSCALLS`;
 *  - the aggressive allow-list (`@system-service` + observed names outside it): an untraced syscall
 *    must be inside the target's @system-service, so the allow-list never needs its name;
 *  - conservative mode also blocks on calls seen only failing: an untraced syscall must not be in any
 *    unit active in conservative mode, whose failing calls the filter would hide.
 *
 * A decision unit that contains untraced syscalls (only @basic-io, @io-event and @network-io, denied
 * in standard/aggressive modes) is decided exactly by `completeDecisionProfile` after profiling:
 *  - if a traced member of the unit was seen, the unit is used either way;
 *  - `implied` syscalls (epoll_wait needs an epoll fd, recvfrom a socket) cannot run without an fd
 *    that only traced calls (epoll_create*, socket, accept…) create, unless the manager handed one in
 *    (socket activation, the fd store, OpenFile=, stdio sockets): with no witness and no inherited
 *    fd they were not used; otherwise they are assumed used;
 *  - `assumed` syscalls (read, write…: stdio is inherited, no traced call must come first) are
 *    assumed used when no traced member of their unit was seen. @basic-io also holds close and dup*,
 *    which every real service calls, so in practice the assumption never changes a decision.
 * Assumed syscalls enter the profile with count 0 (used, zero calls seen), so the resolver needs no
 * knowledge of the tracing mode: assuming use can only keep a value from being chosen.
 *
 * The seccomp filter needs no_new_privs, which strace sets in the tracee. For non-root units that
 * changes nothing (the kernel already ignores setuid/file capabilities on exec under a non-root
 * ptracer); a root unit that executes a setuid-to-another-user binary keeps root (more is seen, never
 * less). A unit confined by an AppArmor/SELinux profile that transitions on exec may not be able to
 * transition under no_new_privs: profile such units with full tracing.
 */
import type { HostFacts } from '../profile/hostFacts';
import type { Profile } from '../profile/schema';
import { HardeningMode } from '../resolve/plan';
import { buildView } from '../resolve/view';
import { HANDLED_SYSCALLS } from '../summary';
import type { Effect, TargetView } from '../systemd/model';
import { optionRegistry } from '../systemd/options';
import { expandSyscallGroup, type SyscallGroups } from '../systemd/syscallFilter';

/** How a profile was traced: every syscall, or only those that carry a decision. */
export type Tracing = 'full' | 'decisions';

/**
 * A syscall with a summary handler may be left out only when what its handler records is already
 * recorded by traced calls (or can only make the profile allow more): `why` says which.
 * `onlyIf: 'noInheritedPathFds'`: only for units the manager hands no fd with a file path (stdio
 * `file:`/`tty`/console, OpenFile=, socket activation's FIFOs and special files, the fd store), since
 * the handler's action is the path of its fd and only those fds were opened by no traced call.
 */
export interface RedundantHandler {
  why: string;
  onlyIf?: 'noInheritedPathFds';
}

/** Why leaving a syscall out of the trace changes no decision. */
export type Omission = (
  | /** No option denies it (it is in @default, or only in @system-service itself): its name decides nothing. */
    { kind: 'noDecision'; why: string }
    /**
     * It needs an fd that only the (traced) `witnesses` create, or one the manager handed in: with no
     * witness seen and no inherited fd possible, it was not used.
     */
  | { kind: 'implied'; witnesses: readonly string[]; why: string }
  /** Assumed used whenever no traced member of a decision unit holding it was seen. */
  | { kind: 'assumed'; why: string }
) & {
  /** Set for a syscall with a summary handler (`HANDLED_SYSCALLS`): why that handler adds nothing. */
  handled?: RedundantHandler;
};

const FD_CREATORS_SOCKET = ['socket', 'socketpair', 'accept', 'accept4', 'pidfd_getfd'];

/**
 * The hot syscalls hush may leave out, with the reason. `decisionTraceSet` keeps only those that pass
 * the checks against the target's groups and the option model (a `noDecision` entry that some option
 * could deny on the target is traced after all).
 */
export const UNTRACED: Readonly<Record<string, Omission>> = {
  ...Object.fromEntries(
    [
      // @default: never denied (the baseline of every filter).
      'futex',
      'futex_time64',
      'futex_waitv',
      'getpid',
      'gettid',
      'getppid',
      'getuid',
      'geteuid',
      'getgid',
      'getegid',
      'clock_gettime',
      'clock_gettime64',
      'clock_getres',
      'gettimeofday',
      'time',
      'nanosleep',
      'clock_nanosleep',
      'clock_nanosleep_time64',
      'sched_yield',
      'sched_getaffinity',
      'brk',
      'munmap',
      'rt_sigreturn',
      'restart_syscall',
      'getrandom',
      'rseq',
      'set_robust_list',
      'get_robust_list',
      'getrlimit',
      // @system-service's own members (in no other group).
      'madvise',
      'mremap',
      'uname',
      'sendfile',
      'sendfile64',
      'splice',
      'tee',
      'copy_file_range',
    ].map((n): [string, Omission] => [
      n,
      { kind: 'noDecision', why: 'in no group an option denies, inside @system-service' },
    ]),
  ),
  ...Object.fromEntries(
    ['epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'epoll_ctl'].map((n): [string, Omission] => [
      n,
      {
        kind: 'implied',
        // An epoll fd comes from epoll_create*, or from outside through a socket (SCM_RIGHTS).
        witnesses: ['epoll_create', 'epoll_create1', ...FD_CREATORS_SOCKET],
        why: 'needs an epoll fd, which only epoll_create/epoll_create1 (traced, in @io-event) make',
      },
    ]),
  ),
  ...Object.fromEntries(
    ['recvfrom', 'recvmsg', 'recvmmsg', 'recv'].map((n): [string, Omission] => [
      n,
      {
        kind: 'implied',
        witnesses: FD_CREATORS_SOCKET,
        why: 'needs a socket, which only socket/socketpair/accept (traced, in @network-io) make unless inherited',
      },
    ]),
  ),
  ...Object.fromEntries(
    [
      'read',
      'write',
      'readv',
      'writev',
      'pread64',
      'pwrite64',
      'preadv',
      'pwritev',
      'preadv2',
      'pwritev2',
      'lseek',
    ].map((n): [string, Omission] => [
      n,
      {
        kind: 'assumed',
        why: 'works on inherited stdio; @basic-io is decided by close/dup* (traced), else assumed used',
      },
    ]),
  ),
  // Handled syscalls whose handler adds nothing a traced call does not already record. Hot in
  // servers: nginx sets TCP_CORK twice and fstat()s the file it opened once per request.
  fstat: {
    kind: 'assumed',
    why: 'works on inherited stdio too; @file-system is decided by openat/newfstatat… (traced), else assumed used',
    handled: {
      why:
        "its one action is a read of its fd's path (the -y decoration); every fd with a path was opened by " +
        'a traced open-family call, which recorded that path (read, or write/create, which every check on ' +
        'read also blocks on), unless the manager handed it in',
      onlyIf: 'noInheritedPathFds',
    },
  },
  close: {
    kind: 'assumed',
    why: 'works on inherited stdio; @basic-io is decided by dup* (traced), else assumed used',
    handled: {
      why:
        "its one effect is forgetting the fd's entry in the summary's fd table. A path entry is never read " +
        'for a decorated fd (the -y decoration is authoritative); a socket or pidfd entry is read only when ' +
        "the call's decoration is the object it was made for (socket inode, pidfd), so a stale entry can " +
        'only be read for the same socket or for another pidfd: pidfd_send_signal is then assumed to signal ' +
        'another process (completeDecisionProfile), which can only allow more',
    },
  },
  setsockopt: {
    kind: 'implied',
    witnesses: FD_CREATORS_SOCKET,
    why: 'needs a socket, which only socket/socketpair/accept (traced, in @network-io) make unless inherited',
    handled: {
      why:
        'its handler reads only IPV6_V6ONLY; unseen, an AF_INET6 socket keeps the summary default ' +
        '(dual-stack), so a `::` or v4-mapped address also counts as IPv4: it can only allow more, never ' +
        'deny what full tracing allows',
    },
  },
};

/** Syscall names that custom checks of the option model read (core/systemd: `t.syscalls.has(…)`). */
export const CUSTOM_CHECK_SYSCALLS: readonly string[] = ['ioctl', 'prctl'];

/** A set of syscalls one effect of one option blocks on (any member used → that value is rejected). */
export interface DecisionUnit {
  /** `Option=value` or `Option item` the effect belongs to. */
  source: string;
  names: ReadonlySet<string>;
  /** Modes in which the effect applies. */
  modes: ReadonlySet<HardeningMode>;
}

const MODES = HardeningMode.options;

/**
 * Every `denySyscalls` effect of the option model, expanded with the target's groups, over every mode
 * and both root and non-root units (elements of list options depend on both).
 */
export function decisionUnits(groups: SyscallGroups, systemdVersion = 999): DecisionUnit[] {
  const byKey = new Map<string, { source: string; names: Set<string>; modes: Set<HardeningMode> }>();
  const add = (source: string, effect: Effect, mode: HardeningMode) => {
    if (effect.kind !== 'denySyscalls') return;
    if (effect.modes && !effect.modes.includes(mode)) return;
    const names = new Set<string>();
    for (const n of effect.names) for (const s of expandSyscallGroup(groups, n)) names.add(s);
    const key = `${source}\0${[...names].sort().join(',')}`;
    let unit = byKey.get(key);
    if (!unit) {
      unit = { source, names, modes: new Set() };
      byKey.set(key, unit);
    }
    unit.modes.add(mode);
  };
  for (const mode of MODES) {
    for (const user of ['', 'hush-nobody']) {
      const view = emptyView(groups, systemdVersion, mode, user);
      for (const opt of optionRegistry()) {
        if (opt.kind === 'scalar') {
          for (const v of opt.values) for (const e of v.effects) add(`${opt.name}=${v.value}`, e, mode);
        } else if (opt.kind === 'list') {
          for (const el of opt.elements(view))
            for (const e of el.effects) add(`${opt.name} ${el.item}`, e, mode);
        }
      }
    }
  }
  return [...byKey.values()];
}

function emptyView(
  groups: SyscallGroups,
  systemdVersion: number,
  mode: HardeningMode,
  user: string,
): TargetView {
  const facts: HostFacts = {
    systemdVersion,
    kernelRelease: '6.12.0',
    arch: 'x86_64',
    syscallGroups: groups,
    systemInstance: true,
    unit: { name: 'hush-trace-set.service', properties: user ? { User: user } : {}, dropIns: [] },
    binaries: [],
  };
  const profile: Profile = {
    schema: 'hush.profile/v1',
    actions: [],
    syscalls: {},
    failedSyscalls: {},
    runs: [],
  };
  return buildView(profile, facts, mode, emptyOverrides(), { chosen: new Map() }, (_o, v) => v);
}

function emptyOverrides() {
  return { force: {}, forbid: [], writablePaths: [], readablePaths: [], execPaths: [] };
}

/** The trace set for one target. */
export interface DecisionTraceSet {
  /** Left out of the trace (sorted), each with its reason. */
  untraced: ReadonlyMap<string, Omission>;
  /**
   * What strace stops on, listed over the names hush knows (every group member of the target and
   * every handled syscall); strace itself gets the complement of `untraced`, which also covers names
   * neither list knows.
   */
  traced: readonly string[];
  units: readonly DecisionUnit[];
}

/**
 * The decision trace set for a target whose syscall groups are `groups` (the target's own
 * `systemd-analyze syscall-filter`, else the bundled ones for its version; see `syscallGroupsFor`).
 */
export function decisionTraceSet(
  groups: SyscallGroups,
  systemdVersion?: number,
  unitProps?: Readonly<Record<string, string>>,
): DecisionTraceSet {
  const units = decisionUnits(groups, systemdVersion);
  const systemService = expandSyscallGroup(groups, '@system-service');
  const conservative = new Set<string>();
  for (const u of units) if (u.modes.has('conservative')) for (const n of u.names) conservative.add(n);
  const inSomeUnit = new Set<string>();
  for (const u of units) for (const n of u.names) inSomeUnit.add(n);
  const custom = new Set(CUSTOM_CHECK_SYSCALLS);

  const untraced = new Map<string, Omission>();
  for (const [name, why] of Object.entries(UNTRACED).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (custom.has(name)) continue;
    if (HANDLED_SYSCALLS.has(name)) {
      if (!why.handled) continue;
      if (why.handled.onlyIf === 'noInheritedPathFds' && mayInheritPathFds(unitProps)) continue;
    }
    // The aggressive allow-list is @system-service plus the names seen outside it.
    if (!systemService.has(name)) continue;
    // Conservative mode blocks on failing calls too, which an untraced syscall would hide.
    if (conservative.has(name)) continue;
    if (why.kind === 'noDecision' && inSomeUnit.has(name)) continue;
    if (why.kind === 'implied' && why.witnesses.some((w) => UNTRACED[w] !== undefined)) continue;
    untraced.set(name, why);
  }

  const known = new Set<string>(HANDLED_SYSCALLS);
  for (const g of Object.keys(groups)) for (const s of expandSyscallGroup(groups, g)) known.add(s);
  const traced = [...known].filter((s) => !untraced.has(s)).sort();
  return { untraced, traced, units };
}

/** strace's `-e trace=` value for a trace set: everything but the untraced names (`?`: unknown names are ignored). */
export function untracedList(set: DecisionTraceSet): string[] {
  return [...set.untraced.keys()];
}

/** Fds the manager passes beside stdio: a socket unit's, the fd store's, OpenFile='s. */
function managerPassesFds(props: Readonly<Record<string, string>>): boolean {
  return (
    /\.socket\b/.test(props.TriggeredBy ?? '') ||
    (props.Sockets ?? '').trim() !== '' ||
    Number(props.FileDescriptorStoreMax ?? '0') > 0 ||
    (props.OpenFile ?? '').trim() !== ''
  );
}

/**
 * Whether the manager may hand the service fds that traced calls never created (socket activation,
 * the fd store, OpenFile=, stdio on a socket). Unknown unit properties count as yes.
 */
export function mayInheritFds(props: Readonly<Record<string, string>> | undefined): boolean {
  if (!props || Object.keys(props).length === 0) return true;
  if (managerPassesFds(props)) return true;
  for (const p of ['StandardInput', 'StandardOutput', 'StandardError']) {
    const v = props[p] ?? '';
    if (v === 'socket' || v.startsWith('fd')) return true;
  }
  return false;
}

/** stdio values whose fd has no file path (`/dev/null` carries no decision: every sandbox keeps it). */
const PATHLESS_STDIO = new Set([
  '',
  'null',
  'inherit',
  'journal',
  'kmsg',
  'journal+console',
  'kmsg+console',
  'socket',
  'data',
]);

/**
 * Whether the manager may hand the service an fd with a file path that no traced call opened:
 * stdio on a file, tty or console, OpenFile=, a socket unit (ListenFIFO=, ListenSpecial=), the fd
 * store. Unknown unit properties count as yes.
 */
export function mayInheritPathFds(props: Readonly<Record<string, string>> | undefined): boolean {
  if (!props || Object.keys(props).length === 0) return true;
  if (managerPassesFds(props)) return true;
  for (const p of ['StandardInput', 'StandardOutput', 'StandardError']) {
    if (!(p in props)) return true;
    if (!PATHLESS_STDIO.has((props[p] ?? '').trim())) return true;
  }
  return false;
}

export interface CompletedProfile {
  profile: Profile;
  /** Untraced syscalls now counted as used (count 0), sorted. */
  assumed: string[];
}

/**
 * After a decision-traced session: adds the untraced syscalls that must count as used so that every
 * decision unit is decided as full tracing would (see the module comment), and records the tracing in
 * every run. `unitProps`: `systemctl show` of the unit (inherited fds).
 */
export function completeDecisionProfile(
  profile: Profile,
  set: DecisionTraceSet,
  unitProps: Readonly<Record<string, string>> | undefined,
): CompletedProfile {
  const seen = (n: string) => n in profile.syscalls || n in (profile.failedSyscalls ?? {});
  const inherit = mayInheritFds(unitProps);
  const assumed = new Set<string>();
  for (const unit of set.units) {
    const left = [...unit.names].filter((n) => set.untraced.has(n));
    if (left.length === 0) continue;
    if ([...unit.names].some((n) => !set.untraced.has(n) && seen(n))) continue;
    for (const name of left) {
      const why = set.untraced.get(name)!;
      if (why.kind === 'implied' && !inherit && !why.witnesses.some(seen)) continue;
      assumed.add(name);
    }
  }
  const assumedList = [...assumed].sort();
  const actions = withUnknownPidfdTargets(profile, set);
  const syscalls = { ...profile.syscalls };
  for (const n of assumedList) syscalls[n] = syscalls[n] ?? 0;
  const untraced = untracedList(set);
  return {
    profile: {
      ...profile,
      actions,
      syscalls: Object.fromEntries(Object.entries(syscalls).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      runs: profile.runs.map((r) => ({
        ...r,
        tracing: 'decisions' as const,
        untracedSyscalls: untraced,
        ...(assumedList.length ? { assumedSyscalls: assumedList } : {}),
      })),
    },
    assumed: assumedList,
  };
}

/**
 * With `close` untraced, a pidfd's fd-table entry may outlive it: a pidfd received later over a unix
 * socket (SCM_RIGHTS, recvmsg is untraced too) on the same number would be taken for the old one,
 * and a signal to another user's process for one to the service's own child. Every decoration of a
 * pidfd is alike (`anon_inode:[pidfd]`), so the summary cannot tell them apart: when the service used
 * pidfd_send_signal at all, a signal to another process is assumed (CapabilityBoundingSet keeps
 * CAP_KILL), which can only allow more than full tracing. Services that never signal through a
 * pidfd (every corpus unit) get the identical profile.
 */
function withUnknownPidfdTargets(profile: Profile, set: DecisionTraceSet): Profile['actions'] {
  if (!set.untraced.has('close')) return profile.actions;
  return assumeUnknownPidfdTargets(
    profile,
    'decision tracing: close is not traced, so a pidfd may name another process than its entry says',
  );
}

/**
 * A profile whose recorder did not follow close (decision tracing; the in-kernel recorder) cannot
 * tell which process a pidfd names: where pidfd_send_signal was used, a signal to any process
 * (`killOther` -1) is assumed, with `why` as its evidence.
 */
export function assumeUnknownPidfdTargets(profile: Profile, why: string): Profile['actions'] {
  if (!('pidfd_send_signal' in profile.syscalls)) return profile.actions;
  if (profile.actions.some((a) => a.action.kind === 'killOther' && a.action.target === -1))
    return profile.actions;
  const seq = profile.actions.reduce((m, a) => Math.max(m, a.seq), -1) + 1;
  return [
    ...profile.actions,
    {
      seq,
      count: 1,
      action: {
        kind: 'killOther',
        target: -1,
        signal: '?',
        ev: { pid: 0, line: 0, syscall: 'pidfd_send_signal', text: why },
      },
    },
  ];
}
