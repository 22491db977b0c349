/** LocalShell: `exec` on this machine with the SSH connection's semantics (ExecOptions), real `sh`. */
import { CommandTimeoutError, RemoteCommandError } from './connection';
import { LocalShell } from './host';
import { sh } from './shell';

describe('LocalShell', () => {
  const local = new LocalShell();

  it('returns exit code, stdout and stderr, and feeds stdin', async () => {
    expect(await local.exec(sh`printf out; printf err >&2; exit 3`)).toEqual({
      code: 3,
      stdout: 'out',
      stderr: 'err',
    });
    expect((await local.exec(sh`tr a-z A-Z`, { stdin: 'quiet\n' })).stdout).toBe('QUIET\n');
  });

  it('throws RemoteCommandError under check, naming the exit code and stderr', async () => {
    await expect(local.exec(sh`echo nope >&2; exit 2`, { check: true })).rejects.toThrow(RemoteCommandError);
    await expect(local.exec(sh`echo nope >&2; exit 2`, { check: true })).rejects.toThrow(
      /\(exit code 2\): nope$/,
    );
  });

  it('stops a command at its time limit with CommandTimeoutError, keeping what it printed', async () => {
    const err = await local.exec(sh`echo started; sleep 30`, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as CommandTimeoutError).partial.stdout).toBe('started\n');
  });

  it('caps collected output at maxBuffer', async () => {
    expect((await local.exec(sh`yes x | tr -d '\n' | head -c 100000`, { maxBuffer: 10 })).stdout).toBe(
      'x'.repeat(10),
    );
  });
});
