/**
 * Garbage in is an error, never hardening out: every offline command refuses empty, binary,
 * non-JSON, wrong-version and wrong-kind input with a message naming the input and the field or
 * line, a non-zero exit and nothing on stdout; `hush run` of a program that cannot start exits
 * with the shell's status for it and prints no drop-in.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../main';

jest.setTimeout(60_000);

async function hush(
  args: string[],
  stdinText?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(stdinText ?? '');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(args, { stdin, stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

let dir: string;
const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hush-garbage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('garbage in is an error', () => {
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
  const inputs: [string, string | Buffer, Record<string, RegExp>][] = [
    ['empty', '', { resolve: /empty input/, summarize: /empty input/, score: /empty input/ }],
    ['blank', ' \n\n\t\n', { resolve: /empty input/, summarize: /empty input/, score: /empty input/ }],
    ['binary', binary, { resolve: /binary data/, summarize: /binary data/, score: /binary data/ }],
    [
      'latin1 text',
      Buffer.from('Gr\xfc\xdfe, kein strace\n', 'latin1'),
      { resolve: /not UTF-8/, summarize: /not UTF-8/, score: /not UTF-8/ },
    ],
    [
      'broken JSON',
      '{not json',
      { resolve: /not valid JSON/, summarize: /JSON, not a strace log/, score: /:1: missing "="/ },
    ],
    [
      'another schema version',
      JSON.stringify({ schema: 'hush.profile/v2', actions: [] }),
      {
        resolve: /schema: "hush\.profile\/v2" is not supported/,
        summarize: /JSON, not a strace log/,
        score: /missing "="/,
      },
    ],
    ['no schema', '{"actions": []}', { resolve: /schema: missing/, summarize: /JSON/, score: /missing "="/ }],
    [
      'a broken profile',
      JSON.stringify({ schema: 'hush.profile/v1', actions: [{ seq: 0 }], syscalls: {}, runs: [] }),
      { resolve: /invalid profile: actions\[0\]\.count/, summarize: /JSON/, score: /missing "="/ },
    ],
    [
      'prose',
      'hello world\nthis is no strace\n',
      {
        resolve: /no system calls found in 2 lines/,
        summarize: /no system calls found/,
        score: /:1: missing "="/,
      },
    ],
    [
      'mostly garbage with one strace line',
      '1 getpid() = 5\nx\ny\nz\n',
      {
        resolve: /3 of 4 lines are not strace output/,
        summarize: /3 of 4 lines/,
        score: /:1: assignment outside of a section/,
      },
    ],
  ];

  it.each(inputs)(
    '%s: resolve, summarize and score refuse it (file and stdin)',
    async (_name, content, expected) => {
      const path = file(`in-${_name.replace(/\W/g, '_')}`, content);
      for (const cmd of ['resolve', 'summarize', 'score'] as const) {
        for (const viaStdin of [false, true]) {
          const r = viaStdin ? await hush([cmd, '-'], content.toString()) : await hush([cmd, path]);
          if (viaStdin && typeof content !== 'string') continue; // stdin text only here
          expect({ cmd, code: r.code, stdout: r.stdout }).toEqual({ cmd, code: 1, stdout: '' });
          expect(r.stderr).toMatch(expected[cmd]!);
          expect(r.stderr).toContain(viaStdin ? 'stdin' : path);
        }
      }
    },
  );

  it('a profile whose unit name hides a CR is refused, naming the field (resolve --unit too)', async () => {
    const profile = {
      schema: 'hush.profile/v1',
      actions: [],
      syscalls: { getpid: 1 },
      runs: [{ source: 'x', lines: 1, syscalls: 1, unparsable: 0, pids: 1 }],
      host: {
        systemdVersion: 252,
        kernelRelease: '6.1.0',
        arch: 'x86_64',
        unit: { name: 'x.service\rExecStartPre=/bin/sh -c id', properties: {} },
      },
    };
    const r = await hush(['resolve', file('cr.json', JSON.stringify(profile))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/host\.unit\.name: invalid unit name .*character "\\r" is not allowed/);
    const flag = await hush(['resolve', '--unit', 'x\r.service', file('ok.strace', '1 getpid() = 5\n')]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--unit: invalid unit name/);
  });

  it('score refuses a systemctl show file that is not one', async () => {
    const r = await hush([
      'score',
      '--properties',
      file('props.txt', 'Id=x.service\nnot a property\n'),
      file('d.conf', '[Service]\n'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/props\.txt:2: not a Property=value line/);
  });
});

describe('hush run of a program that cannot start', () => {
  it('exits 127 for a missing program and 126 for one that cannot be executed, with no drop-in', async () => {
    const missing = await hush(['run', '--', join(dir, 'nope')]);
    expect(missing).toMatchObject({ code: 127, stdout: '' });
    expect(missing.stderr).toMatch(/could not be started \(not found\); no profile, no drop-in/);
    const onPath = await hush(['run', '--', 'hush-no-such-program-xyz']);
    expect(onPath).toMatchObject({ code: 127, stdout: '' });
    const plain = file('not-executable.sh', '#!/bin/sh\necho hi\n');
    chmodSync(plain, 0o644);
    const notExec = await hush(['run', '--profile', join(dir, 'p.json'), '--', plain]);
    expect(notExec).toMatchObject({ code: 126, stdout: '' });
    expect(notExec.stderr).toMatch(/not executable/);
  });
});
