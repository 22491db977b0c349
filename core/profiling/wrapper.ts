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
  /** Runs as root (no User=, `!`), so its FIFO belongs to root; else to the unit's user. */
  runsAsRoot: z.boolean(),
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
  const user = (props.User ?? '').trim();
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
  if (hasValue(props.NoExecPaths)) lines.push(`ExecPaths=${execWord(strace.path, { envExpansion: false })}`);
  if (lacksPtrace(props.CapabilityBoundingSet) && input.commands.some((c) => tracedAsRoot(c, user)))
    lines.push('CapabilityBoundingSet=CAP_SYS_PTRACE');
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
      });
      lines.push(`${c.directive}=${c.prefixes}${c.command}`);
      continue;
    }
    slots.push({ id, directive: c.directive, index: c.index, traced: true, runsAsRoot });
    lines.push(`${c.directive}=${wrapCommand(c, input.fifoFor(id), strace, input.bashPath ?? '/bin/bash')}`);
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
  return user === '' || user === 'root' || user === '0';
}

/** A command hush traces (not `+`) that runs as root. */
function tracedAsRoot(c: ExecCommand, user: string): boolean {
  const flags = parseExecPrefixes(c.prefixes);
  return !flags.fullPrivileges && (isRootUser(user) || flags.noSetUid);
}

/** `systemctl show` lists the bounding set by name (`cap_chown cap_setuid…`); undefined = unknown. */
function lacksPtrace(boundingSet: string | undefined): boolean {
  return boundingSet !== undefined && !/(^|\s)cap_sys_ptrace(\s|$)/i.test(boundingSet.trim());
}

/** `systemctl show` prints an unset list as '' and an empty deny-list as '~'. */
function hasValue(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '' && v.trim() !== '~';
}

function wrapCommand(c: ExecCommand, fifo: string, strace: StraceOnHost, bash: string): string {
  const flags = parseExecPrefixes(c.prefixes);
  const w = (s: string) => execWord(s, { envExpansion: !flags.noEnvExpansion });
  const head = [w(strace.path), ...strace.args.map(w), '-o', w(fifo)];
  if (!flags.argv0) return `${c.prefixes}${head.join(' ')} -- ${c.command}`;
  // "@": `@path argv0 args…`. The prefix would apply to strace's own argv, so it is dropped from
  // the line and argv[0] is handed to the traced command instead.
  const prefixes = c.prefixes.replace(/@/g, '');
  const { words, rest } = takeRawWords(c.command, 2);
  const [path, argv0] = words;
  if (path === undefined || argv0 === undefined) {
    throw new Error(`${c.directive}: "@" needs an executable and an argv[0]: ${c.command}`);
  }
  const tail = rest === '' ? '' : ` ${rest}`;
  if (strace.supportsArgv0) return `${prefixes}${head.join(' ')} --argv0 ${argv0} -- ${path}${tail}`;
  return `${prefixes}${head.join(' ')} -- ${w(bash)} -c ${w('exec -a "$0" "$@"')} ${argv0} ${path}${tail}`;
}
