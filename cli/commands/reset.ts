/**
 * `hush reset UNIT`: remove everything hush put on the host for UNIT (hardening drop-in,
 * profiling leftovers), reload and restart it on its own configuration.
 */
import { parseArgs } from 'node:util';
import { reset } from '../../remote/reset';
import { InvalidUnitNameError, parseRunnableUnitName } from '../../remote/unitName';
import { UsageError, type CliCommand } from '../command';
import {
  connectFromFlags,
  connectionArgsFromFlags,
  progress,
  TARGET_FLAGS,
  TARGET_USAGE,
} from '../remoteTarget';

const usage = `usage: hush reset UNIT --host H --host-key KEY [FLAGS]

Removes hush's files for UNIT (/etc/systemd/system/UNIT.d/zz-hush-hardening.conf, leftovers of a
profiling session under /run), reloads systemd and restarts UNIT if it was running. Afterwards
\`systemctl cat UNIT\` is what it was before hush. Does nothing (no restart) when nothing is there.

${TARGET_USAGE}
`;

export const command: CliCommand = {
  name: 'reset',
  summary: "remove hush's hardening (and any profiling leftovers) from a unit on a host",
  usage,
  async run(args, io) {
    const parsed = parseArgs({ args, allowPositionals: true, options: { ...TARGET_FLAGS } });
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expects exactly one UNIT');
    let unit: string;
    try {
      unit = parseRunnableUnitName(positionals[0] as string).unit;
    } catch (err) {
      if (err instanceof InvalidUnitNameError) throw new UsageError(err.message);
      throw err;
    }
    connectionArgsFromFlags(values);
    const conn = await connectFromFlags(values, io, 'reset');
    try {
      const r = await reset(conn, unit, { log: progress(io, 'reset') });
      if (values.json) io.stdout.write(JSON.stringify({ host: conn.host, ...r }, null, 2) + '\n');
      else if (r.removed.length === 0 && r.clearedProfiling.length === 0)
        io.stdout.write(`${unit}: nothing of hush on ${conn.host}\n`);
      else
        io.stdout.write(
          `${unit}: reset on ${conn.host} (removed ${r.removed.join(', ') || 'profiling leftovers'}); ${r.restarted ? 'restarted, ' : ''}${r.activeAfter}\n`,
        );
      return 0;
    } finally {
      await conn.close();
    }
  },
};
