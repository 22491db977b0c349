/** LocalShell: `exec` on this machine with the SSH connection's semantics (ExecOptions), real `sh`. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

describe('LocalShell as a Host (files, streams, facts)', () => {
  const local = new LocalShell();

  it('writes a file atomically (parents made, mode set, no temp file left) and reads it back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hush-host-'));
    try {
      const file = path.join(dir, 'a b', 'x.conf');
      await local.writeFileAtomic(file, 'one\n', { mode: 0o600 });
      await local.writeFileAtomic(file, Buffer.from('two\n'), { mode: 0o600 });
      expect(readFileSync(file, 'utf8')).toBe('two\n');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await local.readFile(file))!.toString()).toBe('two\n');
      expect(await local.readFile(path.join(dir, 'missing'))).toBeUndefined();
      expect((await local.exec(sh`ls -A ${path.join(dir, 'a b')}`)).stdout).toBe('x.conf\n');
      await expect(local.writeFileAtomic(file, 'x', { mode: 0o1777777 })).rejects.toThrow(
        /invalid file mode/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams a command and reports its exit; kill stops it', async () => {
    const p = await local.execStream(sh`cat; exit 5`, { stdin: 'streamed' });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => chunks.push(b));
    expect(await p.done).toEqual({ code: 5 });
    expect(Buffer.concat(chunks).toString()).toBe('streamed');
    const long = await local.execStream(sh`sleep 30`);
    long.kill('KILL');
    expect(await long.done).toEqual({ code: -1, signal: 'KILL' });
  });

  it('facts: this machine through the probe script, as a system service of the current user', async () => {
    const facts = await local.facts('hush-run.service');
    expect(facts.kernelRelease).toBe((await local.exec(sh`uname -r`)).stdout.trim());
    expect(facts.unit).toEqual({
      name: 'hush-run.service',
      properties: process.getuid!() === 0 ? {} : { User: expect.any(String) },
      dropIns: [],
    });
    expect(facts.binaries).toEqual([]);
    await expect(local.facts('bad name')).rejects.toThrow();
  });
});
