/**
 * The profiling wrapper: a runtime drop-in (`/run/systemd/system/<unit>.d/zz-hush-profile.conf`,
 * gone after a reboot) that re-declares every Exec* list of the unit with each command run under
 * `strace -D … -o <fifo> -- <command>`.
 *
 * Why this shape:
 * - `-D` makes the traced command systemd's direct child (strace runs as a detached grandchild
 *   in the unit's cgroup). The main PID, Type=forking + PIDFile=, Type=notify with the default
 *   NotifyAccess=main, exit codes and signals all stay exactly those of the command itself, so
 *   nothing else in the unit has to change. `-D` also blocks fatal signals in strace (-I4), so the
 *   stop's SIGTERM to the cgroup does not cut the trace: strace exits after its last tracee.
 * - Every directive is profiled (ExecCondition, ExecStartPre, ExecStart, ExecStartPost, ExecReload,
 *   ExecStop, ExecStopPost): all of them run under the hardening that is applied later, so all of
 *   their actions must be in the profile (SHH profiles only the start commands).
 * - Prefixes keep their meaning because they stay in front of the line and apply to the process
 *   systemd starts, which becomes the command itself: `-` (failure ignored), `:` (no `$VAR`
 *   expansion, also of the words hush adds), `!` and `!!` (credentials), all preserved as is.
 *   `@` (second word is argv[0]) moves into strace: `--argv0` (strace ≥ 6.4) or, on older strace,
 *   `bash -c 'exec -a "$0" "$@"'` (bash is Essential on Debian; it then shows up in the profile,
 *   which can only widen it).
 * - `+` commands are left untouched and not traced: they run with full privileges and no sandbox,
 *   so hardening never constrains them, and their (root) actions would only make the profile
 *   wider than what the sandboxed commands need.
 * - The journal tags a command's output with its program's name; under the wrapper that would be
 *   `strace`, so the main program's name is set as SyslogIdentifier= (see mainSyslogIdentifier).
 * - The unit's existing sandbox could stop strace itself: an existing SystemCallFilter= gets
 *   `@debug` (ptrace) added, RestrictAddressFamilies= gets AF_NETLINK (strace's socket decoding),
 *   NoExecPaths= gets the strace binary in ExecPaths=. This widens the sandbox during the window
 *   only, which can only make the profile wider, never the unit weaker afterwards.
 * - strace always runs as root, never as the unit's user (the trace transport's trust boundary,
 *   core/profiling/README.md "Who can write a trace"): a strace with the traced program's uid can be
 *   ptraced, killed or written through /proc/PID/fd by that very program, which could then forge
 *   its own profile. A command that runs under User= or DynamicUser= is therefore started with `!`
 *   (systemd leaves the credentials to the command and applies every other setting) through the
 *   session's launcher (`LAUNCHER_SCRIPT`), which starts strace as root on a root-only FIFO and
 *   puts `setpriv` in front of the command to switch it to the unit's uid, gid, groups and
 *   AmbientCapabilities=; setpriv's own calls are left out of the profile (`launcherExecs`). The
 *   window adds what strace and setpriv need (CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_SYS_PTRACE
 *   in the bounding set, their syscalls to a SystemCallFilter=, sh and setpriv to ExecPaths=) and
 *   setpriv drops the added capabilities again before the command runs.
 * - A bounding set without CAP_SYS_PTRACE (memcached, haproxy, chrony… in Debian) gets it back for
 *   root commands: a root daemon that drops to its own user with setuid() (no exec) becomes a
 *   process of another uid, not dumpable, and strace (root, in the unit's sandbox) can then no
 *   longer read its memory: every path and socket address after the drop is printed as a bare
 *   address and missing from the profile (memcached's binds on 127.0.0.1 and ::1, seen in the
 *   Debian 13 VM, were all lost, and SocketBindDeny= then denied them). The ptrace attachment
 *   itself survives the drop; only the memory reads need the capability.
 */
import { z } from 'zod';
import { EXEC_DIRECTIVES, type ExecCommand, parseExecPrefixes } from '../systemd/execLines';
import { ProfilingError } from './errors';
import type { UnitInfo } from './unitInfo';
import { execWord, takeRawWords } from '../systemd/execWords';
import { parseTimespanMs } from '../systemd/timespan';

export const PROFILE_DROPIN_NAME = 'zz-hush-profile.conf';
export const PROFILE_DROPIN_MARKER = '# hush:profile-wrapper';

export interface StraceOnHost {
  /** Absolute path of strace on the host. */
  path: string;
  /** Flags before `-o` (from core/strace's invocation builder); must include -D. */
  args: readonly string[];
  /** strace ≥ 6.4 has `--argv0`. */
  supportsArgv0: boolean;
}

export interface WrapperInput {
  unit: string;
  session: string;
  commands: readonly ExecCommand[];
  strace: StraceOnHost;
  /** The FIFO a traced command's strace writes to. */
  fifoFor: (slot: string) => string;
  /** Properties that decide the compatibility additions (`systemctl show` values). */
  properties: Readonly<Record<string, string>>;
  /** bash for the `@` fallback on strace < 6.4. */
  bashPath?: string;
  /**
   * How a command that runs as the unit's user is started under a root strace: the session's
   * launcher script, sh and setpriv on the host, and the unit's credentials resolved there.
   * Required when such a command is traced.
   */
  launcher?: {
    script: string;
    shell: string;
    setpriv: string;
    credentials?: UnitInfo['credentials'];
  };
  /**
   * Start/stop timeouts and WatchdogSec= are multiplied by this during the window (default 1:
   * unchanged). Tracing slows start-up (on an emulated or busy host by 10× and more), and a unit
   * killed for a start timeout that only strace caused would profile nothing but its failure.
   */
  timeoutScale?: number;
}

/** One Exec command and what the wrapper does with it (persisted with the session's plan). */
export const Slot = z.strictObject({
  /** `ExecStart-0`: directive and index, also the name of its trace stream. */
  id: z.string(),
  directive: z.enum(EXEC_DIRECTIVES),
  index: z.number().int().nonnegative(),
  traced: z.boolean(),
  /** Why it is not traced. */
  skipReason: z.string().optional(),
  /** Runs as root (no User=, `!`); else it runs as the unit's user, switched by the launcher. */
  runsAsRoot: z.boolean(),
  /** Programs hush runs in front of the command in the traced process (setpriv, bash for `@`). */
  launcherExecs: z.number().int().nonnegative().default(0),
});
export type Slot = z.infer<typeof Slot>;

export interface Wrapper {
  dropIn: string;
  slots: Slot[];
}

export function slotId(c: Pick<ExecCommand, 'directive' | 'index'>): string {
  return `${c.directive}-${c.index}`;
}

/** Builds the drop-in text and the list of traced slots. Pure. */
export function buildWrapper(input: WrapperInput): Wrapper {
  const { strace } = input;
  if (!strace.path.startsWith('/')) throw new Error(`strace path must be absolute: ${strace.path}`);
  if (!strace.args.includes('-D') && !strace.args.some((a) => a.startsWith('--daemonize'))) {
    throw new Error('strace arguments for the wrapper must include -D (the command stays the main process)');
  }
  const props = input.properties;
  // the unit's user, '' when its commands run as root (DynamicUser= always has a user of its own)
  const user =
    props.DynamicUser === 'yes' ? (props.User ?? '').trim() || 'dynamic' : (props.User ?? '').trim();
  const slots: Slot[] = [];
  const lines: string[] = [
    PROFILE_DROPIN_MARKER,
    `# Written by hush profile (session ${input.session}) for ${input.unit}: every Exec command runs`,
    '# under strace while the profile window is open. Runtime only (/run): removed when profiling',
    '# ends, by the hush watchdog if the controller vanishes, and by any reboot.',
    '[Service]',
  ];
  if (hasValue(props.SystemCallFilter)) lines.push('SystemCallFilter=@debug');
  if (hasValue(props.RestrictAddressFamilies)) lines.push('RestrictAddressFamilies=AF_NETLINK');
  const launched = input.commands.filter((c) => needsLauncher(c, user));
  const launcher = launched.length > 0 ? launcherFor(input, launched) : undefined;
  if (hasValue(props.NoExecPaths)) {
    // only where the unit has NoExecPaths=: ExecPaths= alone would give it a mount namespace
    const execs = [strace.path];
    if (launcher) execs.push(launcher.shell, launcher.setpriv);
    if (launched.some((c) => parseExecPrefixes(c.prefixes).argv0)) execs.push(input.bashPath ?? '/bin/bash');
    lines.push(`ExecPaths=${[...new Set(execs)].map((p) => execWord(p, { envExpansion: false })).join(' ')}`);
  }
  if (launcher && hasValue(props.SystemCallFilter))
    lines.push(`SystemCallFilter=${LAUNCHER_SYSCALLS.join(' ')}`);
  // strace runs as root for every traced command (see the module comment)
  const added = missingCapabilities(props.CapabilityBoundingSet, [
    'cap_sys_ptrace',
    ...(launcher ? LAUNCHER_CAPABILITIES : []),
  ]);
  if (added.length > 0 && input.commands.some((c) => !parseExecPrefixes(c.prefixes).fullPrivileges))
    lines.push(`CapabilityBoundingSet=${added.map((c) => c.toUpperCase()).join(' ')}`);
  const ident = hasValue(props.SyslogIdentifier) ? undefined : mainSyslogIdentifier(input.commands);
  if (ident) lines.push(`SyslogIdentifier=${ident}`);
  const scale = input.timeoutScale ?? 1;
  if (scale > 1) {
    for (const [prop, directive] of [
      ['TimeoutStartUSec', 'TimeoutStartSec'],
      ['TimeoutStopUSec', 'TimeoutStopSec'],
      ['WatchdogUSec', 'WatchdogSec'],
    ] as const) {
      const ms = parseTimespanMs(props[prop]);
      if (ms !== undefined && ms > 0) lines.push(`${directive}=${Math.ceil((ms * scale) / 1000)}s`);
    }
  }

  let current: string | undefined;
  for (const c of input.commands) {
    if (c.directive !== current) {
      lines.push(`${c.directive}=`);
      current = c.directive;
    }
    const id = slotId(c);
    const flags = parseExecPrefixes(c.prefixes);
    const runsAsRoot = isRootUser(user) || flags.noSetUid;
    if (flags.fullPrivileges) {
      slots.push({
        id,
        directive: c.directive,
        index: c.index,
        traced: false,
        skipReason: '"+" runs with full privileges outside the sandbox: hardening never applies to it',
        runsAsRoot: true,
        launcherExecs: 0,
      });
      lines.push(`${c.directive}=${c.prefixes}${c.command}`);
      continue;
    }
    const bash = input.bashPath ?? '/bin/bash';
    const viaLauncher = launcher !== undefined && needsLauncher(c, user) ? launcher : undefined;
    const { line, execs } = viaLauncher
      ? launchCommand(c, input.fifoFor(id), strace, bash, viaLauncher, added)
      : wrapCommand(c, input.fifoFor(id), strace, bash);
    slots.push({
      id,
      directive: c.directive,
      index: c.index,
      traced: true,
      runsAsRoot,
      launcherExecs: execs,
    });
    lines.push(`${c.directive}=${line}`);
  }
  return { dropIn: lines.join('\n') + '\n', slots };
}

/**
 * Without SyslogIdentifier= systemd tags each command's stdout/stderr in the journal with the name
 * of the program it starts, which under the wrapper is `strace` for every command. The name of the
 * first ExecStart program is kept instead: it logs for the service's lifetime, and the other
 * commands' lines carry it too (closer to the original than `strace`). Undefined when ExecStart is
 * not wrapped (`+`) or its program word is not a plain path (quotes, `%` specifiers, `$VARS`).
 */
export function mainSyslogIdentifier(commands: readonly ExecCommand[]): string | undefined {
  const start = commands.find((c) => c.directive === 'ExecStart');
  if (!start || parseExecPrefixes(start.prefixes).fullPrivileges) return undefined;
  const [program] = takeRawWords(start.command, 1).words;
  if (program === undefined || !/^\/[A-Za-z0-9_.+/-]*[A-Za-z0-9_.+-]$/.test(program)) return undefined;
  return program.slice(program.lastIndexOf('/') + 1);
}

function isRootUser(user: string): boolean {
  // `dynamic`: DynamicUser= without User=, never root
  return user === '' || user === 'root' || user === '0';
}

/** A command hush traces (not `+`) that runs as the unit's user: started through the launcher. */
function needsLauncher(c: ExecCommand, user: string): boolean {
  const flags = parseExecPrefixes(c.prefixes);
  return !flags.fullPrivileges && !isRootUser(user) && !flags.noSetUid;
}

/**
 * The bounding-set capabilities of `wanted` the unit lacks (lower case, `cap_` names as
 * `systemctl show` lists them). An unknown bounding set (no property) lacks nothing.
 */
function missingCapabilities(boundingSet: string | undefined, wanted: readonly string[]): string[] {
  if (boundingSet === undefined) return [];
  const have = new Set(boundingSet.trim().toLowerCase().split(/\s+/));
  return wanted.filter((c) => !have.has(c));
}

/** What setpriv needs to switch to the unit's user (and to drop the window's additions again). */
const LAUNCHER_CAPABILITIES = ['cap_setuid', 'cap_setgid', 'cap_setpcap'];
/** The launcher's syscalls a unit's SystemCallFilter= must let through during the window. */
const LAUNCHER_SYSCALLS = ['@setuid', 'capget', 'capset', 'prctl'];

interface Launcher {
  script: string;
  shell: string;
  setpriv: string;
  /** `UID:GID:GROUPS:AMBIENT:NNP` for the launcher script; `dynamic` for DynamicUser='s allocated ids. */
  spec: string;
}

/** The launcher and the unit's credentials for it; throws when the host cannot provide them. */
function launcherFor(input: WrapperInput, launched: readonly ExecCommand[]): Launcher {
  const props = input.properties;
  const l = input.launcher;
  const first = launched[0]!;
  if (!l)
    throw new Error(
      `${first.directive} runs as ${props.User || 'a dynamic user'}: the wrapper needs the launcher`,
    );
  const creds = l.credentials;
  const dynamic = props.DynamicUser === 'yes' && creds?.uid === undefined;
  if (!dynamic && creds?.uid === undefined) {
    throw new ProfilingError(
      `${input.unit} runs as User=${props.User}, which the host does not resolve: cannot start its commands as that user. ${input.unit} was not changed.`,
    );
  }
  const uid = dynamic ? 'dynamic' : String(creds!.uid);
  const gidNum = creds?.group ?? creds?.gid;
  const gid = gidNum !== undefined ? String(gidNum) : 'dynamic';
  // systemd: initgroups(user, gid) = gid + the groups that list the user as a member (skipped for
  // gid 0), then SupplementaryGroups=; a dynamic user is in no group's member list
  const groups = dynamic
    ? [...new Set(creds?.supplementary ?? [])]
    : [
        ...new Set([
          ...(gidNum === 0 ? [] : [gidNum!, ...(creds?.groups ?? [])]),
          ...(creds?.supplementary ?? []),
        ]),
      ];
  const ambientCaps = capabilityNames(props.AmbientCapabilities);
  const ambient = ambientCaps.map((c) => `+${c.slice(4)}`);
  return {
    script: l.script,
    shell: l.shell,
    setpriv: l.setpriv,
    spec: [uid, gid, groups.join(','), ambient.join(','), impliesNoNewPrivileges(props) ? 'nnp' : ''].join(
      ':',
    ),
  };
}

function capabilityNames(v: string | undefined): string[] {
  return (v ?? '')
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((c) => /^cap_[a-z_0-9]+$/.test(c));
}

const yes = (v: string | undefined): boolean => v === 'yes';

/**
 * Whether systemd gives the unit's user commands no_new_privs. Besides NoNewPrivileges=yes,
 * systemd sets it for every seccomp-based setting when the process has no CAP_SYS_ADMIN after the
 * switch to its user (the kernel's condition for an unprivileged seccomp filter). It decides that
 * after setresuid(): under `!` the launcher is still root and gets none, so setpriv sets it.
 */
export function impliesNoNewPrivileges(props: Readonly<Record<string, string>>): boolean {
  if (yes(props.NoNewPrivileges)) return true;
  if (capabilityNames(props.AmbientCapabilities).includes('cap_sys_admin')) return false;
  const ns = (props.RestrictNamespaces ?? 'no').trim();
  return (
    SECCOMP_BOOLEANS.some((k) => yes(props[k])) ||
    hasValue(props.RestrictAddressFamilies) ||
    hasValue(props.SystemCallFilter) ||
    hasValue(props.SystemCallLog) ||
    hasValue(props.SystemCallArchitectures) ||
    (ns !== 'no' && ns !== '')
  );
}

/** The yes/no settings systemd implements with seccomp (its context_has_seccomp()). */
export const SECCOMP_BOOLEANS = [
  'LockPersonality',
  'MemoryDenyWriteExecute',
  'PrivateDevices',
  'ProtectClock',
  'ProtectHostname',
  'ProtectKernelTunables',
  'ProtectKernelModules',
  'ProtectKernelLogs',
  'RestrictRealtime',
  'RestrictSUIDSGID',
] as const;

/**
 * The launcher, installed in the session directory: started as root by the Exec line's `!`, it
 * execs strace with setpriv in front of the command, so the command runs with the unit's
 * credentials and strace stays root. Arguments: setpriv's path, the credentials spec
 * (`UID:GID:GROUPS:AMBIENT:NNP`, `dynamic` ids for DynamicUser=, NNP `nnp` or empty), the bounding-set capabilities to drop
 * again (`-cap,…` or empty), the number of strace's words (through its `--`), strace's words, the
 * command. Only shell builtins: nothing of it runs, or shows, in the trace.
 */
export const LAUNCHER_SCRIPT = `# hush profiling launcher (core/profiling/wrapper.ts)
setpriv=$1 spec=$2 drop=$3 n=$4; shift 4
uid=\${spec%%:*}; spec=\${spec#*:}
gid=\${spec%%:*}; spec=\${spec#*:}
groups=\${spec%%:*}; spec=\${spec#*:}
case $spec in *:*) ambient=\${spec%%:*} nnp=\${spec#*:} ;; *) ambient=$spec nnp= ;; esac
if [ "$uid" = dynamic ]; then
  # DynamicUser= under "!": systemd allocated the user and added its group (uid = gid) to ours
  while read -r key value; do
    [ "$key" = Groups: ] || continue
    for g in $value; do [ "$g" -ge 61184 ] && [ "$g" -le 65519 ] && uid=$g; done
  done </proc/self/status
  # else by its name ($USER): systemd links direct:NAME to the uid's lock file, which -ef matches
  if [ "$uid" = dynamic ] && [ -n "\${USER:-}" ]; then
    for f in /run/systemd/dynamic-uid/[0-9]*; do
      [ "$f" -ef "/run/systemd/dynamic-uid/direct:$USER" ] && uid=\${f##*/}
    done
  fi
  [ "$uid" != dynamic ] || { echo 'hush: no dynamic user allocated for this command' >&2; exit 1; }
  [ "$gid" != dynamic ] || gid=$uid
  groups=$uid\${groups:+,$groups}
fi
# PrivateUsers=: systemd denies setgroups() in the unit's user namespace, so any group change
# fails (EPERM); the command keeps the groups it was started with (under "!" none of the unit's
# supplementary groups, and in that namespace unmapped groups would show as nogroup anyway)
setgroups=allow
read -r setgroups </proc/self/setgroups 2>/dev/null || setgroups=allow
total=$#; i=0
for a do
  i=$((i + 1))
  set -- "$@" "$a"
  if [ "$i" = "$n" ]; then
    set -- "$@" "$setpriv" --reuid="$uid" --regid="$gid"
    if [ "$setgroups" = deny ]; then set -- "$@" --keep-groups
    elif [ -n "$groups" ]; then set -- "$@" --groups="$groups"; else set -- "$@" --clear-groups; fi
    [ -z "$ambient" ] || set -- "$@" --inh-caps="$ambient" --ambient-caps="$ambient"
    [ -z "$drop" ] || set -- "$@" --bounding-set="$drop"
    [ "$nnp" != nnp ] || set -- "$@" --no-new-privs
    set -- "$@" --
  fi
done
shift "$total"
exec "$@"
`;

/** `systemctl show` prints an unset list as '' and an empty deny-list as '~'. */
function hasValue(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '' && v.trim() !== '~';
}

/**
 * A command that runs as the unit's user: `!` (credentials left to the command), the launcher
 * with setpriv's path, the credentials, the capabilities to drop again and strace's word count,
 * then strace's words and the command as wrapCommand would write them. `!!` (like `!` only where
 * ambient capabilities are missing) becomes `!`: the launcher does the switch either way.
 */
function launchCommand(
  c: ExecCommand,
  fifo: string,
  strace: StraceOnHost,
  bash: string,
  launcher: Launcher,
  added: readonly string[],
): { line: string; execs: number } {
  const flags = parseExecPrefixes(c.prefixes);
  const w = (s: string) => execWord(s, { envExpansion: !flags.noEnvExpansion });
  // strace's --argv0 would name setpriv: the `@` case goes through bash's `exec -a` instead
  const inner = wrapCommand(
    { ...c, prefixes: c.prefixes.replace(/!/g, '') },
    fifo,
    { ...strace, supportsArgv0: false },
    bash,
  );
  const straceWords = 1 + strace.args.length + 3; // path, args, -o FIFO, --
  const drop = added.map((cap) => `-${cap.slice(4)}`).join(',');
  const head = [
    launcher.shell,
    launcher.script,
    launcher.setpriv,
    launcher.spec,
    drop,
    String(straceWords),
  ].map(w);
  const prefixes = `!${c.prefixes.replace(/!/g, '').replace(/@/g, '')}`;
  const line = inner.line.slice(inner.prefixes.length);
  return { line: `${prefixes}${head.join(' ')} ${line}`, execs: 1 + inner.execs };
}

function wrapCommand(
  c: ExecCommand,
  fifo: string,
  strace: StraceOnHost,
  bash: string,
): { line: string; prefixes: string; execs: number } {
  const flags = parseExecPrefixes(c.prefixes);
  const w = (s: string) => execWord(s, { envExpansion: !flags.noEnvExpansion });
  const head = [w(strace.path), ...strace.args.map(w), '-o', w(fifo)];
  if (!flags.argv0)
    return { line: `${c.prefixes}${head.join(' ')} -- ${c.command}`, prefixes: c.prefixes, execs: 0 };
  // "@": `@path argv0 args…`. The prefix would apply to strace's own argv, so it is dropped from
  // the line and argv[0] is handed to the traced command instead.
  const prefixes = c.prefixes.replace(/@/g, '');
  const { words, rest } = takeRawWords(c.command, 2);
  const [path, argv0] = words;
  if (path === undefined || argv0 === undefined) {
    throw new Error(`${c.directive}: "@" needs an executable and an argv[0]: ${c.command}`);
  }
  const tail = rest === '' ? '' : ` ${rest}`;
  if (strace.supportsArgv0)
    return { line: `${prefixes}${head.join(' ')} --argv0 ${argv0} -- ${path}${tail}`, prefixes, execs: 0 };
  // bash is hush's, not the service's: its exec is left out of the profile like a launcher's
  return {
    line: `${prefixes}${head.join(' ')} -- ${w(bash)} -c ${w('exec -a "$0" "$@"')} ${argv0} ${path}${tail}`,
    prefixes,
    execs: 1,
  };
}
