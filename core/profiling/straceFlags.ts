import { parseStraceVersion, straceArgs } from '../strace/invocation';
import { ProfilingError } from './errors';

/**
 * strace flags for the wrapper: core/strace's invocation with -D, up to (not including) `-o`.
 * `--kill-on-exit` (strace >= 6.6) is dropped on purpose: in a live unit, strace dying (OOM
 * killer, a straggler cleanup) must leave the service running untraced, not kill it.
 */
export function wrapperStraceArgs(
  versionLine: string,
  opts: { seccompExcept?: readonly string[] } = {},
): string[] {
  const version = parseStraceVersion(versionLine);
  if (!version)
    throw new ProfilingError(`cannot read the host's strace version from ${JSON.stringify(versionLine)}`);
  const full = straceArgs({
    version,
    output: '/dev/null',
    command: ['/bin/true'],
    daemonize: true,
    ...(opts.seccompExcept ? { seccompExcept: opts.seccompExcept } : {}),
  });
  const flags = full.slice(0, full.indexOf('-o')).filter((a) => a !== '--kill-on-exit');
  return flags.includes('-D') ? flags : ['-D', ...flags];
}
