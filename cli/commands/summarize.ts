/**
 * `hush summarize [FILE|-]`: a strace log (hush's -f -xx -y -v format, or the user's own flags) in,
 * the Profile JSON out. Unparsable lines are reported on stderr (the first few, then a count).
 */
import { parseArgs } from 'node:util';
import type { UnparsedLine } from '../../core/strace';
import { batchPieces, profileJsonPieces, profileNotes } from '../../core/profile';
import { UsageError, type CliCommand } from '../command';
import { summarizeLogInput } from '../input';
import { writePieces } from '../writePieces';

const usage = `usage: hush summarize [--cwd DIR] [--bindv6only] [--source NAME] [--compact] [FILE|-]

Summarizes a strace log into a hush profile (JSON on stdout). FILE defaults to stdin.

  --cwd DIR       working directory of the first traced process (systemd's default is /);
                  without it, relative paths resolve only once the trace reveals the cwd
  --bindv6only    the traced host has net.ipv6.bindv6only=1 (IPv6 sockets are not dual-stack)
  --source NAME   what to record as the run's source (default: the file name, or stdin)
  --compact       one-line JSON
`;

/** How many unparsable lines are shown individually before only counting them. */
const SHOW_UNPARSED = 20;

export const command: CliCommand = {
  name: 'summarize',
  summary: 'strace log → behaviour profile (JSON)',
  usage,
  async run(argv, io) {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        cwd: { type: 'string' },
        bindv6only: { type: 'boolean' },
        source: { type: 'string' },
        compact: { type: 'boolean' },
      },
    });
    const { values, positionals } = parsed;
    if (positionals.length > 1) throw new UsageError('one input at most (use hush resolve to merge several)');
    const file = positionals[0] ?? '-';
    if (values.cwd !== undefined && !values.cwd.startsWith('/'))
      throw new UsageError('--cwd must be an absolute path');

    const source = values.source ?? (file === '-' ? 'stdin' : file);
    let shown = 0;
    const onUnparsed = (u: UnparsedLine): void => {
      if (++shown <= SHOW_UNPARSED)
        io.stderr.write(`hush summarize: ${source}:${u.line}: ${u.reason}: ${u.text}\n`);
    };
    const { profile, summarizer, unparsable } = await summarizeLogInput(
      file,
      io,
      {
        source,
        ...(values.cwd !== undefined ? { cwd: values.cwd } : {}),
        ...(values.bindv6only ? { bindv6only: true } : {}),
      },
      onUnparsed,
    );
    if (unparsable > SHOW_UNPARSED) {
      io.stderr.write(
        `hush summarize: ${unparsable} unparsable lines in all (first ${SHOW_UNPARSED} shown)\n`,
      );
    }
    const s = summarizer.stats();
    for (const note of profileNotes(profile))
      io.stderr.write(
        `hush summarize: ${note}${note.includes('unknown working') && !values.cwd ? ' (pass --cwd)' : ''}\n`,
      );
    if (s.handlerErrors > 0)
      io.stderr.write(`hush summarize: ${s.handlerErrors} calls could not be summarized (handler errors)\n`);
    // in 64 KiB pieces, not one string: the profile of a file-heavy trace is tens of MB of JSON
    await writePieces(io.stdout, batchPieces(profileJsonPieces(profile, values.compact ? undefined : 2)));
    io.stdout.write('\n');
    return 0;
  },
};
