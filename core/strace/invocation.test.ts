/**
 * hush's strace invocation: per-version argv, and a real run of this machine's strace with that
 * argv whose log must parse without a single unparsed line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseStraceText } from './index';
import { parseStraceVersion, straceArgs, straceFeatures } from './invocation';

const V61 = { major: 6, minor: 1, patch: 0 };
const V613 = { major: 6, minor: 13, patch: 0 };

describe('parseStraceVersion', () => {
  it('reads Debian 12 and Debian 13 strace -V output', () => {
    expect(
      parseStraceVersion('strace -- version 6.1\nCopyright (c) 1991-2022 The strace developers\n'),
    ).toEqual(V61);
    expect(parseStraceVersion('strace -- version 6.13\nCopyright …')).toEqual(V613);
    expect(parseStraceVersion('strace -- version 5.10.1\n')).toEqual({ major: 5, minor: 10, patch: 1 });
    expect(parseStraceVersion('bash: strace: command not found')).toBeNull();
    expect(parseStraceVersion('')).toBeNull();
  });
});

describe('straceArgs', () => {
  const base = { output: '/run/hush/trace.log', command: ['/usr/sbin/nginx', '-g', 'daemon off;'] };

  it('uses the common flags on 6.1 and adds --kill-on-exit only from 6.6', () => {
    expect(straceArgs({ ...base, version: V61 })).toEqual([
      '-f',
      '-xx',
      '-y',
      '-v',
      '--quiet=attach',
      '-o',
      '/run/hush/trace.log',
      '--',
      '/usr/sbin/nginx',
      '-g',
      'daemon off;',
    ]);
    expect(straceArgs({ ...base, version: V613, daemonize: true, append: true })).toEqual([
      '-f',
      '-xx',
      '-y',
      '-v',
      '--quiet=attach',
      '-D',
      '--kill-on-exit',
      '-A',
      '-o',
      '/run/hush/trace.log',
      '--',
      '/usr/sbin/nginx',
      '-g',
      'daemon off;',
    ]);
    expect(straceFeatures({ major: 6, minor: 5, patch: 0 }).killOnExit).toBe(false);
    expect(straceFeatures({ major: 6, minor: 6, patch: 0 }).killOnExit).toBe(true);
  });

  it('adds timestamps, durations and the seccomp-bpf variant on request', () => {
    expect(
      straceArgs({
        ...base,
        version: V61,
        timestamps: 'unix',
        syscallTimes: true,
        seccompTrace: ['openat', 'execve'],
      }),
    ).toEqual([
      '-f',
      '-xx',
      '-y',
      '-v',
      '--quiet=attach',
      '-ttt',
      '-T',
      '--seccomp-bpf',
      '-e',
      'trace=openat,execve',
      '-o',
      '/run/hush/trace.log',
      '--',
      '/usr/sbin/nginx',
      '-g',
      'daemon off;',
    ]);
    expect(straceArgs({ ...base, version: V61, timestamps: 'relative' })).toContain('-r');
  });

  it('refuses what would be a bad invocation', () => {
    expect(() => straceArgs({ ...base, version: { major: 5, minor: 10, patch: 0 } })).toThrow(/too old/);
    expect(() => straceArgs({ ...base, version: V61, command: [] })).toThrow(/command/);
    expect(() => straceArgs({ ...base, version: V61, output: '' })).toThrow(/output/);
    expect(() => straceArgs({ ...base, version: V61, seccompTrace: ['openat;rm -rf /'] })).toThrow(
      /not a syscall/,
    );
    expect(() => straceArgs({ ...base, version: V61, seccompTrace: [] })).toThrow(/at least one/);
    expect(() => straceArgs({ ...base, version: V61, seccompExcept: ['read', '!write'] })).toThrow(
      /not a syscall/,
    );
    expect(() =>
      straceArgs({ ...base, version: V61, seccompTrace: ['openat'], seccompExcept: ['read'] }),
    ).toThrow(/exclude/);
  });

  it('traces every syscall but a few with seccompExcept (unknown names tolerated with ?)', () => {
    for (const version of [V61, V613]) {
      const argv = straceArgs({ ...base, version, seccompExcept: ['read', 'write', 'futex_waitv'] });
      const i = argv.indexOf('--seccomp-bpf');
      expect(argv.slice(i, i + 3)).toEqual(['--seccomp-bpf', '-e', 'trace=!?read,?write,?futex_waitv']);
      expect(i).toBeLessThan(argv.indexOf('-o'));
    }
  });
});

describe('the invocation against the real strace on this machine', () => {
  // strace is part of the machine's tool set (bench/make-strace-log.sh installs it when missing)
  const strace = ['/usr/bin/strace', '/bin/strace'].find((p) => fs.existsSync(p));

  it('is accepted by the installed strace and its log parses completely', () => {
    expect(strace).toBeDefined();
    const version = parseStraceVersion(execFileSync(strace!, ['-V'], { encoding: 'utf8' }));
    expect(version).not.toBeNull();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hush-strace-'));
    try {
      for (const variant of [
        {},
        { timestamps: 'unix' as const, syscallTimes: true },
        { seccompTrace: ['openat', 'execve', 'exit_group'] },
        { seccompExcept: ['read', 'write', 'close', 'no_such_syscall_here'] },
      ]) {
        const log = path.join(dir, 'trace.log');
        const argv = straceArgs({
          version: version!,
          output: log,
          command: ['/bin/sh', '-c', 'cat /etc/hostname >/dev/null; exit 4'],
          ...variant,
        });
        const r = spawnSync(strace!, argv, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 4, stderr: '' });
        const { events, unparsed } = parseStraceText(fs.readFileSync(log), { lazy: false });
        expect(unparsed).toEqual([]);
        const names = new Set(events.flatMap((e) => (e.type === 'syscall' ? [e.name] : [])));
        expect(names.has('execve')).toBe(true);
        expect(names.has('openat')).toBe(true);
        if ('seccompTrace' in variant)
          expect([...names].every((n) => ['openat', 'execve', 'exit_group'].includes(n))).toBe(true);
        if ('seccompExcept' in variant) {
          expect(names.has('read') || names.has('write') || names.has('close')).toBe(false);
          expect(names.has('mmap')).toBe(true);
        }
        expect(events.filter((e) => e.type === 'exit').map((e) => e.type === 'exit' && e.code)).toContain(4);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
