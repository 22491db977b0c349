/** `hush status`: what hush manages on a host (hardened units, profiling sessions, applies in flight). */
import { parseArgs } from 'node:util';
import { status, type HushStatus } from '../../remote/status';
import { UsageError, type CliCommand } from '../command';
import {
  USER_MANAGER_FLAG,
  USER_MANAGER_USAGE,
  userManagerFromFlag,
  userUnitStatusCommand,
} from '../userUnit';
import {
  connectFromFlags,
  connectionArgsFromFlags,
  TARGET_FLAGS,
  TARGET_USAGE,
  unitFromPositionals,
} from '../remoteTarget';

const usage = `usage: hush status --host H --host-key KEY [FLAGS]
       hush status --user-manager USER UNIT --host H --host-key KEY [FLAGS]

Lists the units hush hardened on the host (with their state and the drop-in's header), profiling
sessions in progress or left behind, and apply transactions in flight. With --user-manager:
whether UNIT of USER's manager carries hush's drop-in, and its state.

${USER_MANAGER_USAGE}
${TARGET_USAGE}
`;

export function formatStatus(s: HushStatus): string {
  const lines: string[] = [];
  if (s.hardened.length === 0) lines.push(`no unit hardened by hush on ${s.host}`);
  else {
    lines.push(`hardened by hush on ${s.host}:`);
    for (const h of s.hardened) {
      lines.push(
        `  ${h.unit.padEnd(32)} ${`${h.activeState}/${h.subState}`.padEnd(18)} ${h.modified}  ${h.path}`,
      );
      const about = h.header.find((l) => l.startsWith('profile ')) ?? h.header[0];
      if (about) lines.push(`  ${''.padEnd(32)} ${about}`);
    }
  }
  for (const p of s.profiling) lines.push(`profiling drop-in: ${p.unit} (${p.path})`);
  for (const d of s.sessions)
    lines.push(
      `profiling session: ${d.dir}${d.heartbeatAgeSec !== undefined ? ` (heartbeat ${d.heartbeatAgeSec} s ago)` : ''}`,
    );
  const described = new Set(s.transactions.map((t) => t.stage));
  for (const t of s.transactions) {
    const what =
      t.phase === 'pending'
        ? `change verified, awaiting a fresh-login confirmation; the host reverts it at ${t.deadline ?? 'its deadline'}`
        : t.phase === 'changing'
          ? 'change being verified'
          : t.phase === 'reverted'
            ? `change reverted${t.revertReason ? ` (${t.revertReason})` : ''}`
            : `transaction ${t.phase}`;
    lines.push(`${t.unit}: ${what} (${t.stage})`);
  }
  for (const a of s.applyStages) if (!described.has(a)) lines.push(`apply in progress or interrupted: ${a}`);
  for (const p of s.pending) lines.push(`unconfirmed runtime drop-in: ${p.unit} (${p.path})`);
  for (const a of s.setAside)
    lines.push(`hush's drop-in set aside for a profiling session: ${a.unit} (${a.path})`);
  for (const t of s.transientUnits) lines.push(`hush unit: ${t.unit} (${t.activeState})`);
  return lines.join('\n') + '\n';
}

export const command: CliCommand = {
  name: 'status',
  summary: 'list what hush manages on a host',
  usage,
  async run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { ...TARGET_FLAGS, ...USER_MANAGER_FLAG },
    });
    const { values, positionals } = parsed;
    const userManager = userManagerFromFlag(values['user-manager']);
    if (userManager !== undefined) {
      const unit = unitFromPositionals(positionals);
      connectionArgsFromFlags(values);
      return userUnitStatusCommand({ user: userManager, unit, values, io });
    }
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument '${positionals[0]}' (a UNIT only with --user-manager)`);
    connectionArgsFromFlags(values);
    const conn = await connectFromFlags(values, io, 'status');
    try {
      const s = await status(conn);
      io.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
      return 0;
    } finally {
      await conn.close();
    }
  },
};
