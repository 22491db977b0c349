/**
 * `hush reset UNIT`: remove everything hush put on the host for UNIT (hardening drop-in,
 * profiling leftovers), reload and restart it on its own configuration, confirmed by a fresh login
 * like an apply (remote/reset.ts).
 */
import { parseArgs } from 'node:util';
import { reset } from '../../remote/reset';
import { describeProof } from '../../remote/access';
import type { CliCommand } from '../command';
import { CONFIRM_USAGE, confirmTimeoutFromFlag } from '../sessionFlags';
import {
  connectFromFlags,
  connectionArgsFromFlags,
  progress,
  TARGET_FLAGS,
  TARGET_USAGE,
  unitFromPositionals,
} from '../remoteTarget';
import {
  refuseForUserUnit,
  resetUserUnitCommand,
  USER_MANAGER_FLAG,
  USER_MANAGER_USAGE,
  userManagerFromFlag,
} from '../userUnit';

const usage = `usage: hush reset UNIT --host H --host-key KEY [FLAGS]

Removes hush's files for UNIT (/etc/systemd/system/UNIT.d/zz-hush-hardening.conf, leftovers of a
profiling session under /run), reloads systemd and restarts UNIT if it was running. Afterwards
\`systemctl cat UNIT\` is what it was before hush. Does nothing (no restart) when nothing is there.
Like apply, the change is staged at runtime and made persistent only once a fresh SSH login
proved access; it runs in a transient unit of PID 1, so it works from a login session that
inherited a sandbox. A file that cannot be removed is an error naming it (exit 1).

${CONFIRM_USAGE}${USER_MANAGER_USAGE}  With --user-manager: removes ~USER/.config/systemd/user/UNIT.d/zz-hush-hardening.conf as USER,
  reloads USER's manager and restarts UNIT if it ran.

${TARGET_USAGE}
`;

export const command: CliCommand = {
  name: 'reset',
  summary: "remove hush's hardening (and any profiling leftovers) from a unit on a host",
  usage,
  async run(args, io) {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { ...TARGET_FLAGS, 'confirm-timeout': { type: 'string' }, ...USER_MANAGER_FLAG },
    });
    const { values, positionals } = parsed;
    const unit = unitFromPositionals(positionals);
    const userManager = userManagerFromFlag(values['user-manager']);
    if (userManager !== undefined) {
      refuseForUserUnit(values, ['confirm-timeout'], 'a user unit cannot reach logins: nothing to confirm');
      connectionArgsFromFlags(values);
      return resetUserUnitCommand({ user: userManager, unit, values, io });
    }
    const confirmTimeoutMs = confirmTimeoutFromFlag(values['confirm-timeout']);
    connectionArgsFromFlags(values);
    const conn = await connectFromFlags(values, io, 'reset');
    try {
      const r = await reset(conn, unit, {
        log: progress(io, 'reset'),
        ...(confirmTimeoutMs !== undefined ? { confirmTimeoutMs } : {}),
      });
      if (values.json) io.stdout.write(JSON.stringify({ host: conn.host, ...r }, null, 2) + '\n');
      else if (r.removed.length === 0 && r.clearedProfiling.length === 0)
        io.stdout.write(`${unit}: nothing of hush on ${conn.host}\n`);
      else
        io.stdout.write(
          `${unit}: reset on ${conn.host} (removed ${r.removed.join(', ') || 'profiling leftovers'}); ${r.restarted ? 'restarted, ' : ''}${r.activeAfter}` +
            `${r.confirmation ? `; access ${describeProof(r.confirmation)}` : ''}\n`,
        );
      return 0;
    } finally {
      await conn.close();
    }
  },
};
