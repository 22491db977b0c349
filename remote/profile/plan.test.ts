import type { Connection } from '../connection';
import { SessionUnitError } from '../sessionUnits';
import { Link } from './link';
import { planSession } from './plan';

/**
 * The plan step looks before touching: a unit whose children are login sessions is refused by the
 * first round trip (the session check), so no leftover is cleared, nothing is set aside, the unit
 * is never restarted under the recorder. The host is a fake that answers the check's script.
 */
function fakeHost(reachRecords: string): { connect: () => Promise<Connection>; commands: string[] } {
  const commands: string[] = [];
  const conn = {
    closed: false,
    host: 'h',
    exec: async (cmd: { text: string }) => {
      commands.push(cmd.text);
      return { code: 0, stdout: commands.length === 1 ? reachRecords : '', stderr: '' };
    },
    close: async () => undefined,
  };
  return { connect: async () => conn as unknown as Connection, commands };
}

const SSHD =
  "U\t/system.slice/ssh.service\t359\nA\thush's own SSH session\t700\t/user.slice/user-0.slice/session-3.scope\t359\tsshd\nS\t/bin/sh\n";

test('a session unit is refused by default before anything on the host is touched', async () => {
  const host = fakeHost(SSHD);
  const link = new Link(host.connect, () => undefined);
  const e = await planSession(link, { unit: 'ssh', connect: host.connect }, () => undefined, []).catch(
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SessionUnitError);
  expect((e as Error).message).toMatch(
    /^ssh\.service starts other people's sessions or jobs: hush's own SSH session \(pid 700\) descends from ssh\.service \(pid 359 sshd\)\. .* Refusing\./,
  );
  expect(host.commands).toHaveLength(1);
});

test('an opt-in lets the plan go on (session-safe here: the sessions leave the cgroup)', async () => {
  const host = fakeHost(SSHD);
  const link = new Link(host.connect, () => undefined);
  await planSession(
    link,
    { unit: 'ssh', connect: host.connect, sessionUnit: 'session-safe' },
    () => undefined,
    [],
  ).catch(() => undefined);
  // past the check: the leftovers' inspection ran next
  expect(host.commands.length).toBeGreaterThan(1);
});
