import { SessionUnitError } from '../sessionUnits';
import { Link } from './link';
import { planSession, type PlanHost } from './plan';

/**
 * The plan step looks before touching: a unit whose children are login sessions is refused by the
 * first round trip (the session check), so no leftover is cleared, nothing is set aside, the unit
 * is never restarted under the recorder. The host is a fake that answers the check's script.
 */
function fakeHost(reachRecords: string): { connect: () => Promise<PlanHost>; commands: string[] } {
  const commands: string[] = [];
  const conn: PlanHost = {
    target: 'root@h:22',
    host: 'h',
    closed: false,
    exec: (cmd) => {
      commands.push(cmd.text);
      return Promise.resolve({ code: 0, stdout: commands.length === 1 ? reachRecords : '', stderr: '' });
    },
    // the strace recorder (the default) uploads nothing
    writeFileAtomic: () => Promise.reject(new Error('no upload in this test')),
    close: () => Promise.resolve(),
  };
  return { connect: () => Promise.resolve(conn), commands };
}

const SSHD =
  "U\t/system.slice/ssh.service\t359\nA\thush's own SSH session\t700\t/user.slice/user-0.slice/session-3.scope\t359\tsshd\nS\t/bin/sh\n";

test('a session unit is refused by default before anything on the host is touched', async () => {
  const host = fakeHost(SSHD);
  const link = new Link(host.connect, () => undefined);
  const e = await planSession(link, { unit: 'ssh' }, () => undefined, []).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(SessionUnitError);
  expect((e as Error).message).toMatch(
    /^ssh\.service starts other people's sessions or jobs: hush's own SSH session \(pid 700\) descends from ssh\.service \(pid 359 sshd\)\. .* Refusing\./,
  );
  expect(host.commands).toHaveLength(1);
});

test('an opt-in lets the plan go on (session-safe here: the sessions leave the cgroup)', async () => {
  const host = fakeHost(SSHD);
  const link = new Link(host.connect, () => undefined);
  await planSession(link, { unit: 'ssh', sessionUnit: 'session-safe' }, () => undefined, []).catch(
    () => undefined,
  );
  // past the check: the leftovers' inspection ran next
  expect(host.commands.length).toBeGreaterThan(1);
});
