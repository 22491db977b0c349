/**
 * `hush watch UNIT --for D`: read the unit's journal and the kernel's seccomp records for sandbox
 * denials (remote/watch.ts), each reported with the option of hush's drop-in that caused it and the
 * relaxation that would fix it (core/denials).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { relaxContextFor, watchUnit, type WatchStart } from '../../remote/watch';
import { UsageError, type CliCommand } from '../command';
import { denialLine, watchJson, watchSummary } from '../denialOutput';
import {
  connectFromFlags,
  parseDuration,
  progress,
  TARGET_FLAGS,
  TARGET_USAGE,
  profileFromFlag,
  unitFromPositionals,
} from '../remoteTarget';

const usage = `usage: hush watch UNIT --for D --host H --host-key KEY [FLAGS]

Reads UNIT's journal, the manager's reports about it and the kernel's seccomp records for sandbox
denials (SIGSYS, a logged syscall, EPERM/EACCES/EROFS on a path, bind() refused, failed starts and
restart loops), and reports each with the option of hush's drop-in that caused it and the
relaxation that would fix it.

flags:
  --for D              how long to watch (e.g. 10m, 2h)
  --since TIME         also read what was logged since TIME (ISO 8601, or @SECONDS since the epoch)
  --since-cursor C     continue from a journal cursor (printed at the end of every watch)
  --profile FILE       the profile the drop-in was resolved from: relaxations keep its other choices
  --poll D             time between journal reads (default 10s)
  -o, --output FILE    write the report (JSON) to FILE
${TARGET_USAGE}
Not seen: a seccomp filter that returns an errno (hush's ~…:EPERM lists) leaves no kernel record,
so such a denial shows only when the service logs it to the journal; lines a service writes to its
own log files; packets IPAddressDeny= drops.
Exit codes: 0 no denial, 6 denials seen, 1 error, 2 usage.
`;

/** `--since`: an ISO 8601 time or @SECONDS, as µs since the epoch. */
export function parseSince(text: string): bigint {
  const t = text.trim();
  if (/^@\d+$/.test(t)) return BigInt(t.slice(1)) * 1_000_000n;
  const ms = Date.parse(t);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t) || Number.isNaN(ms))
    throw new UsageError(`--since expects an ISO 8601 time or @SECONDS, got ${JSON.stringify(text)}`);
  return BigInt(ms) * 1000n;
}

export const command: CliCommand = {
  name: 'watch',
  summary: 'report sandbox denials of a hardened unit, with the option that caused each and its fix',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...TARGET_FLAGS,
        for: { type: 'string' },
        since: { type: 'string' },
        'since-cursor': { type: 'string' },
        profile: { type: 'string' },
        poll: { type: 'string' },
        output: { type: 'string', short: 'o' },
      },
    });
    const unit = unitFromPositionals(positionals);
    if (values.for === undefined) throw new UsageError('--for is required (e.g. --for 10m)');
    const durationMs = parseDuration(values.for, '--for');
    const pollMs = values.poll !== undefined ? parseDuration(values.poll, '--poll') : undefined;
    if (pollMs !== undefined && pollMs < 1000) throw new UsageError('--poll must be at least 1s');
    if (values.since !== undefined && values['since-cursor'] !== undefined)
      throw new UsageError('give --since or --since-cursor, not both');
    const since: WatchStart =
      values['since-cursor'] !== undefined
        ? { cursor: values['since-cursor'] }
        : values.since !== undefined
          ? { sinceUs: parseSince(values.since) }
          : 'now';
    const profile = profileFromFlag(values.profile);
    const log = progress(io, 'watch');
    const conn = await connectFromFlags(values, io, 'watch');
    let ctx;
    try {
      ctx = await relaxContextFor(conn, unit, profile);
    } finally {
      await conn.close();
    }
    if (ctx.dropIn.length === 0)
      log(`${unit} has no hush drop-in: denials are reported without a cause in it`);
    log(`watching ${unit} for ${values.for}`);
    const result = await watchUnit({
      connect: () => connectFromFlags(values, io, 'watch'),
      unit,
      durationMs,
      since,
      relax: ctx,
      programs: ctx.programs,
      ...(pollMs !== undefined ? { pollMs } : {}),
      onDenial: (d) => log(denialLine(d)),
      log,
    });
    const json = JSON.stringify(watchJson(result), null, 2) + '\n';
    if (values.output !== undefined) writeFileSync(values.output, json);
    io.stdout.write(values.json ? json : watchSummary(result));
    return result.denials.length > 0 ? 6 : 0;
  },
};
