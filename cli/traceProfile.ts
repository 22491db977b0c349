/** Turn a strace log (as hush's invocation writes it) into a Profile: parse, then summarize. */
import { newStats, parseStraceBatches, type StraceInput } from '../core/strace';
import { HANDLED_SYSCALLS, summarizeStream } from '../core/summary';
import type { HostFacts } from '../core/profile/hostFacts';
import type { Profile } from '../core/profile/schema';

export async function profileFromStraceLog(
  input: StraceInput,
  /** abiWatched: the log was written by hush's own strace invocation (RunInfo.abiWatched). */
  opts: { source: string; cwd?: string; host?: HostFacts; abiWatched?: boolean },
): Promise<Profile> {
  const stats = newStats();
  let unparsable = 0;
  const batches = parseStraceBatches(input, {
    fullParse: (n) => HANDLED_SYSCALLS.has(n),
    stats,
    onUnparsed: () => unparsable++,
  });
  return summarizeStream(
    batches,
    {
      source: opts.source,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.host ? { host: opts.host } : {}),
    },
    () => ({
      source: opts.source,
      lines: stats.lines,
      unparsable,
      ...(opts.abiWatched ? { abiWatched: true as const } : {}),
    }),
  );
}
