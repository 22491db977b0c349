/**
 * `hush parse` through the CLI entry (main): a real program traced by the local strace with
 * hush's invocation, committed real logs, stdin, bad lines, a missing file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { parseStraceVersion, STRACE_ENV, straceArgs } from '../../core/strace';
import type { CliIo } from '../command';
import { main } from '../main';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function hush(
  argv: string[],
  stdin: string | Buffer = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = collect();
  const err = collect();
  const io: CliIo = { stdin: Readable.from([stdin]), stdout: out.stream, stderr: err.stream };
  const code = await main(argv, io);
  return { code, stdout: out.text(), stderr: err.text() };
}

const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const FIXTURES = join(__dirname, '..', '..', 'core', 'strace', 'fixtures');

describe('hush parse', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hush-parse-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object per syscall of a real traced program', async () => {
    const version = parseStraceVersion(execFileSync('strace', ['-V'], { encoding: 'utf8' }));
    const log = join(dir, 'cat.strace');
    const argv = straceArgs({ version: version!, output: log, command: ['/bin/cat', '/etc/hostname'] });
    const r = spawnSync('strace', argv, { env: { PATH: '/usr/bin:/bin', ...STRACE_ENV }, cwd: '/' });
    expect(r.status).toBe(0);
    const { code, stdout, stderr } = await hush(['parse', log]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const calls = jsonLines(stdout);
    const callLines = readFileSync(log, 'latin1')
      .split('\n')
      .filter((l) => /^\d+ +\w+\(/.test(l)).length;
    expect(calls).toHaveLength(callLines);
    expect(calls[0]).toMatchObject({
      line: 1,
      name: 'execve',
      ret: 0,
      args: ['/bin/cat', ['/bin/cat', '/etc/hostname'], ['PATH=/usr/bin:/bin', 'LC_ALL=C']],
    });
    const open = calls.find((c) => c.name === 'openat' && (c.args as unknown[])[1] === '/etc/hostname');
    expect(open).toEqual({
      line: expect.any(Number),
      pid: calls[0]?.pid,
      name: 'openat',
      args: ['AT_FDCWD</>', '/etc/hostname', 'O_RDONLY'],
      ret: 3,
      retPath: '/etc/hostname',
    });
    const failed = calls.find((c) => c.errno !== undefined);
    expect(failed).toMatchObject({ ret: -1, errno: expect.stringMatching(/^E[A-Z]+$/) });
    const read = calls.find(
      (c) => c.name === 'read' && Array.isArray(c.args) && c.args[0] === '3</etc/hostname>',
    );
    expect(read?.ret).toBe(readFileSync('/etc/hostname').length);
  });

  it('reads a committed strace 6.13 log from stdin, with structs, in/out values and exits (--all)', async () => {
    const { code, stdout } = await hush(
      ['parse', '--all', '-'],
      readFileSync(join(FIXTURES, '6.x', 'net.strace')),
    );
    expect(code).toBe(0);
    const out = jsonLines(stdout);
    const connect = out.find((c) => c.name === 'connect' && JSON.stringify(c.args).includes('inet_addr'));
    expect((connect?.args as unknown[])[1]).toEqual({
      sa_family: 'AF_INET',
      sin_port: 'htons(1)',
      sin_addr: 'inet_addr("127.0.0.1")',
    });
    expect(connect).toMatchObject({ ret: -1, errno: 'ECONNREFUSED', comment: '(Connection refused)' });
    const gsn = out.find((c) => JSON.stringify(c.args).includes('"in":128'));
    expect((gsn?.args as unknown[])[2]).toEqual({ in: 128, out: 28 });
    const sig = jsonLines((await hush(['parse', '--all', join(FIXTURES, '6.x', 'signals.strace')])).stdout);
    expect(sig).toEqual(
      expect.arrayContaining([expect.objectContaining({ exit: null, killedBy: 'SIGKILL' })]),
    );
    expect(sig).toEqual(expect.arrayContaining([expect.objectContaining({ signal: 'SIGCHLD' })]));
  });

  it('reports unparsable lines on stderr with their line numbers; --strict makes them fail', async () => {
    const input = '7 getpid() = 7\n\x01\x02 garbage\n7 exit_group(0) = ?\n';
    const r = await hush(['parse', '-'], input);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((c) => [c.name, c.ret])).toEqual([
      ['getpid', 7],
      ['exit_group', '?'],
    ]);
    expect(r.stderr).toBe('hush parse: stdin:2: not a strace line: \x01\x02 garbage\n');
    expect((await hush(['parse', '--strict'], input)).code).toBe(1);
  });

  it('skips arguments with --names-only', async () => {
    const r = await hush(['parse', '--names-only', join(FIXTURES, '6.1', 'interleaved.strace')]);
    const out = jsonLines(r.stdout);
    expect(out.length).toBeGreaterThan(10);
    expect(out.every((c) => c.args === null)).toBe(true);
  });

  it('fails with a message on a missing file and on bad usage', async () => {
    const missing = await hush(['parse', join(dir, 'nope.strace')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^hush parse: .*ENOENT/);
    const bad = await hush(['parse', 'a', 'b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/one input at most/);
    // Flag errors from node's parseArgs are usage errors too (handled once, in cli/main.ts).
    const flag = await hush(['parse', '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^hush parse: .*--no-such-flag[\s\S]*usage/i);
  });
});
