/**
 * `hush summarize` end to end: a real program traced by the real local strace with hush's own
 * invocation, summarized by the command, checked for the actions it must contain.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { parseProfile } from '../../core/profile';
import type { Profile } from '../../core/profile/schema';
import { parseStraceVersion, STRACE_ENV, straceArgs } from '../../core/strace';
import { actionList } from '../../core/summary/testHelpers';
import type { CliIo } from '../command';
import { main } from '../main';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function hush(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = collect();
  const err = collect();
  const io: CliIo = { stdin: Readable.from([stdin]), stdout: out.stream, stderr: err.stream };
  const code = await main(argv, io);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('hush summarize', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hush-summarize-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('profiles a real shell session traced by the local strace: create, write, read in order, exec', async () => {
    const version = parseStraceVersion(execFileSync('strace', ['-V'], { encoding: 'utf8' }));
    if (!version) throw new Error('could not read the local strace version');
    const log = join(dir, 'trace.log');
    const work = join(dir, 'work');
    execFileSync('mkdir', [work]);
    const script = `cd ${work} && mkdir x && echo hi > x/f && cat x/f`;
    execFileSync('strace', straceArgs({ version, output: log, command: ['sh', '-c', script] }), {
      env: { ...process.env, ...STRACE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const res = await hush(['summarize', log]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const profile: Profile = parseProfile(res.stdout);
    const actions = actionList(profile);

    const at = (a: string) => {
      const i = actions.indexOf(a);
      if (i < 0) throw new Error(`missing action "${a}" in:\n${actions.join('\n')}`);
      return i;
    };
    // The shell's own work, resolved against the cwd it changed to.
    expect(at(`create ${work}/x`)).toBeLessThan(at(`create ${work}/x/f`));
    expect(at(`create ${work}/x/f`)).toBeLessThan(at(`read ${work}/x/f`));
    at(`write ${work}/x/f`);
    // Programs executed (the path depends on $PATH; both live in /usr/bin or /bin).
    expect(actions.some((a) => /^exec (\/usr)?\/bin\/mkdir$/.test(a))).toBe(true);
    expect(actions.some((a) => /^exec (\/usr)?\/bin\/cat$/.test(a))).toBe(true);
    // Shared libraries mapped executable count as exec.
    expect(actions.some((a) => /^exec .*\/libc\.so\.6$/.test(a))).toBe(true);
    // Counted names and run facts.
    expect(profile.syscalls['execve']).toBeGreaterThanOrEqual(3);
    expect(profile.runs[0]).toMatchObject({ source: log, unparsable: 0 });
    expect(profile.runs[0]!.pids).toBeGreaterThanOrEqual(2);
    // Evidence points at the real line.
    const create = profile.actions.find((a) => a.action.kind === 'path' && a.action.path === `${work}/x/f`)!;
    expect(create.action.ev.syscall).toMatch(/^open/);
    expect(create.action.ev.text).toContain('x/f');
  });

  it('reads stdin, reports unparsable lines on stderr and still prints the profile', async () => {
    const res = await hush(
      ['summarize', '--cwd', '/srv', '-'],
      ['1 mkdir("data", 0755) = 0', 'this is not strace', '1 exit_group(0) = ?', ''].join('\n'),
    );
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/stdin:2: .*this is not strace/);
    const p = parseProfile(res.stdout);
    expect(actionList(p)).toEqual(['create /srv/data']);
    expect(p.runs[0]).toMatchObject({ source: 'stdin', unparsable: 1, lines: 3 });
  });

  it('fails with a message on a missing file and on input with no system calls', async () => {
    const missing = await hush(['summarize', join(dir, 'nope.log')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/ENOENT|no such file/i);
    expect(missing.stdout).toBe('');

    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello\nworld\n');
    const res = await hush(['summarize', junk]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no system calls found/);
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await hush(['summarize', '--cwd', 'relative', '-'])).code).toBe(2);
    expect((await hush(['summarize', 'a', 'b'])).code).toBe(2);
  });
});
