import type { HostFacts } from '../profile/hostFacts';
import { execCommandsFromCat, type ExecCommand, isExecDirective } from '../systemd/execLines';
import { ProfilingError, StraceMissingError } from './errors';
import { wrapperStraceArgs } from './straceFlags';
import type { UnitInfo } from './unitInfo';
import { buildWrapper, type Wrapper } from './wrapper';

export interface WrapperPlanOptions {
  timeoutScale?: number;
  /** Where the session installs the launcher script (needed for User=/DynamicUser= units). */
  launcherScript?: string;
  /** Decision tracing: the syscalls strace --seccomp-bpf leaves out. */
  seccompExcept?: readonly string[];
}

/**
 * Refuses, with the unit untouched, what hush cannot profile: a unit that is not loaded, a host
 * without strace, a unit in its own root (strace is not there). Called once before the host probe
 * (strace missing is the common refusal, the probe is heavy) and again inside planWrapper.
 * Returns the host's strace.
 */
export function refuseUnprofilable(unit: string, info: UnitInfo): NonNullable<UnitInfo['strace']> {
  const props = info.properties;
  if (props.LoadState !== 'loaded') {
    throw new ProfilingError(`${unit} cannot be profiled: LoadState=${props.LoadState ?? 'unknown'}`);
  }
  if (!info.strace) {
    throw new StraceMissingError(
      `strace is not installed on the host (not found in root's PATH); install it (Debian: apt-get install strace). ` +
        `${unit} was not changed.`,
    );
  }
  // strace runs as root; a command of the unit's user is switched to it by setpriv (wrapper.ts)
  const user = props.DynamicUser === 'yes' || !['', 'root', '0'].includes((props.User ?? '').trim());
  if (user && !info.setprivPath) {
    throw new ProfilingError(
      `setpriv is not installed on the host (util-linux): hush starts ${unit}'s commands as ${props.User || 'its dynamic user'} with it under a root strace. ${unit} was not changed.`,
    );
  }
  if (user && (props.PAMName ?? '').trim() !== '') {
    // systemd opens the PAM session only where it switches the user itself
    throw new ProfilingError(
      `${unit} opens a PAM session (PAMName=${props.PAMName}) as its user, which hush's launcher does not reproduce: its profile would be of another process. ${unit} was not changed.`,
    );
  }
  for (const p of ['RootDirectory', 'RootImage'] as const) {
    if ((props[p] ?? '').trim() !== '') {
      throw new ProfilingError(
        `${unit} runs in its own root (${p}=${props[p]}): strace is not there. ${unit} was not changed.`,
      );
    }
  }
  return info.strace;
}

/**
 * The Exec commands to wrap: the probe's (which read the unit text with its quoting), else the
 * `systemctl cat` text's. The unit text must describe what the manager runs, command for command:
 * anything else (a generator, a transient unit) would be re-declared wrongly.
 */
export function commandsToWrap(unit: string, info: UnitInfo, facts: HostFacts | undefined): ExecCommand[] {
  const fromProbe: ExecCommand[] | undefined = facts?.unit?.exec
    ?.filter((l) => isExecDirective(l.directive))
    .map((l, _i, all) => ({
      directive: l.directive as ExecCommand['directive'],
      index: all.filter((x) => x.directive === l.directive).indexOf(l),
      prefixes: l.prefixes,
      command: l.command,
    }));
  const commands = fromProbe && fromProbe.length > 0 ? fromProbe : execCommandsFromCat(info.catText ?? '');
  for (const [directive, n] of Object.entries(info.execCounts)) {
    const mine = commands.filter((c) => c.directive === directive).length;
    if (mine !== n) {
      throw new ProfilingError(
        `${unit}: ${directive} has ${n} command(s) in the manager but ${mine} in the unit files; not wrapping it. ${unit} was not changed.`,
      );
    }
  }
  if (commands.some((c) => c.prefixes.includes('|'))) {
    throw new ProfilingError(
      `${unit} uses the "|" (shell) Exec prefix, which hush cannot wrap yet. ${unit} was not changed.`,
    );
  }
  return commands;
}

/** Decides the wrapper from what the host said; throws before anything is changed. Pure. */
export function planWrapper(
  unit: string,
  info: UnitInfo,
  facts: HostFacts | undefined,
  session: string,
  fifoFor: (slot: string) => string,
  opts: WrapperPlanOptions = {},
): Wrapper & { session: string; stracePath: string } {
  const strace = refuseUnprofilable(unit, info);
  const wrapper = buildWrapper({
    unit,
    session,
    commands: commandsToWrap(unit, info, facts),
    strace: {
      path: strace.path,
      args: wrapperStraceArgs(
        strace.version,
        opts.seccompExcept ? { seccompExcept: opts.seccompExcept } : {},
      ),
      supportsArgv0: strace.supportsArgv0,
    },
    fifoFor,
    properties: info.properties,
    ...(info.bashPath ? { bashPath: info.bashPath } : {}),
    ...(opts.launcherScript !== undefined && info.setprivPath !== undefined
      ? {
          launcher: {
            script: opts.launcherScript,
            shell: '/bin/sh',
            setpriv: info.setprivPath,
            ...(info.credentials ? { credentials: info.credentials } : {}),
          },
        }
      : {}),
    ...(opts.timeoutScale !== undefined ? { timeoutScale: opts.timeoutScale } : {}),
  });
  if (!wrapper.slots.some((s) => s.traced)) {
    throw new ProfilingError(`${unit} has no command that hush can trace. ${unit} was not changed.`);
  }
  return { ...wrapper, session, stracePath: strace.path };
}
