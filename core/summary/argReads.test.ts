/**
 * The argument specs (ARG_SPECS, declared beside the handlers): the parser may leave an argument
 * outside a spec unparsed, so a handler must never read one, the arity must be what strace prints,
 * and parsing with the spec must give the same arguments as parsing without it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseStraceText, toPlainArg } from '../strace';
import type { Arg, Syscall } from '../strace/types';
import type { HandlerContext } from './handler';
import { ARG_SPECS, HANDLED_SYSCALLS, HANDLERS, argReadsOf } from './handlers';
import { newProc } from './process';

const X = (s: string): string =>
  [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
const STAT = `{st_dev=makedev(0xfe, 0), st_ino=2, st_mode=S_IFDIR|0755, st_nlink=1, st_uid=0, st_gid=0, st_blksize=4096, st_blocks=8, st_size=4096, st_atime=1795910050 /* 2026-11-28T23:54:10.502957877+0000 */, st_atime_nsec=502957877}`;
const DIRENTS = `[{d_ino=737281, d_off=1, d_reclen=24, d_type=DT_DIR, d_name="${X('etc')}"}, {d_ino=2, d_off=2, d_reclen=24, d_type=DT_REG, d_name="${X('a, b}')}"}]`;

/** Real-shaped lines of every declared call: success, failure, empty path, truncated and odd forms. */
const SAMPLES = [
  `1 newfstatat(AT_FDCWD<${X('/srv')}>, "${X('a/b')}", ${STAT}, AT_SYMLINK_NOFOLLOW) = 0`,
  `1 newfstatat(3<${X('/usr/lib')}>, "", ${STAT}, AT_EMPTY_PATH) = 0`,
  `1 newfstatat(AT_FDCWD<${X('/')}>, "${X('/nope')}", 0x7ffd1c2e4a80, 0) = -1 ENOENT (No such file or directory)`,
  `1 newfstatat(AT_FDCWD, "${X('/x')}", {st_mode=S_IFREG|0644, st_size=2, ...}, 0) = 0`,
  `1 newfstatat(AT_FDCWD, "${X('/y')}", {st_mode=S_IFREG|0644, st_size=2, ...}, AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW) = 0`,
  `1 fstatat64(AT_FDCWD, "${X('/z')}", ${STAT}, 0) = 0`,
  `1 fstat(3<${X('/etc/passwd')}>, ${STAT}) = 0`,
  `1 fstat(3, {st_mode=S_IFREG|0644, st_size=2, ...}) = 0`,
  `1 stat("${X('/etc')}", ${STAT}) = 0`,
  `1 lstat("${X('/etc')}", 0x7ffd1c2e4a80) = -1 EFAULT (Bad address)`,
  `1 statx(AT_FDCWD<${X('/')}>, "${X('/etc/hostname')}", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_MODE|STATX_SIZE, {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_atime={tv_sec=1, tv_nsec=2} /* 1970-01-01T00:00:01+0000 */}) = 0`,
  `1 statx(3<${X('/srv')}>, "", AT_EMPTY_PATH, STATX_ALL, {stx_mask=STATX_ALL, stx_size=3}) = 0`,
  `1 statfs("${X('/')}", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096}) = 0`,
  `1 fstatfs(4<${X('/proc')}>, {f_type=PROC_SUPER_MAGIC, f_bsize=4096}) = 0`,
  `1 getdents64(4<${X('/usr')}>, ${DIRENTS}, 32768) = 72`,
  `1 getdents64(4<${X('/usr')}>, [], 32768) = 0`,
  `1 getdents64(4<${X('/usr')}>, [{d_ino=1, d_off=2, d_reclen=24, d_type=DT_DIR, d_name="${X('x')}"}, ...], 32768) = 4000`,
  `1 getdents(5, 0x55e9cf979000 /* 3 entries */, 32768) = 72`,
];

const fixtureLogs = (): string[] => {
  const dirs = [
    join(__dirname, 'fixtures'),
    join(__dirname, '../strace/fixtures/6.1'),
    join(__dirname, '../strace/fixtures/6.x'),
  ];
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.strace'))
      .map((f) => join(d, f)),
  );
};

const full = (n: string): boolean => HANDLED_SYSCALLS.has(n);

function calls(text: string, withSpec: boolean): Syscall[] {
  const { events } = parseStraceText(text, {
    fullParse: full,
    ...(withSpec ? { argReads: argReadsOf } : {}),
  });
  return events.filter((e): e is Syscall => e.type === 'syscall');
}

/** A context that records which argument indexes a handler reads (everything else answers plausibly). */
function recordingContext(sc: Syscall, read: Set<number>): HandlerContext {
  const args = new Proxy(sc.args ?? [], {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) read.add(Number(key));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return {
    sc,
    args,
    proc: newProc(1, '/'),
    bindv6only: false,
    emit: () => undefined,
    emitPath: () => undefined,
    resolvePath: () => '/x',
    fdPath: () => '/x',
    fdEntry: () => undefined,
    fdNumber: () => 3,
    returnedFd: () => 3,
    returnedDecoration: () => undefined,
    spawn: () => undefined,
    isTraced: () => true,
    interpretersOf: () => [],
  };
}

describe('argument specs (ARG_SPECS)', () => {
  it('declares only handled syscalls, with read indexes inside the arity', () => {
    expect(ARG_SPECS.size).toBeGreaterThan(0);
    for (const [name, spec] of ARG_SPECS) {
      expect(HANDLED_SYSCALLS.has(name)).toBe(true);
      for (const k of spec.reads) expect(k >= 0 && k < spec.arity).toBe(true);
    }
  });

  it('covers every declared syscall in the samples', () => {
    const sampled = new Set(calls(SAMPLES.join('\n') + '\n', false).map((c) => c.name));
    for (const name of ARG_SPECS.keys()) expect([name, sampled.has(name)]).toEqual([name, true]);
  });

  it('a handler reads no argument outside its spec', () => {
    const text =
      SAMPLES.join('\n') +
      '\n' +
      fixtureLogs()
        .map((f) => readFileSync(f, 'latin1'))
        .join('\n');
    for (const sc of calls(text, false)) {
      const spec = ARG_SPECS.get(sc.name);
      if (!spec || !sc.args) continue;
      const read = new Set<number>();
      HANDLERS.get(sc.name)!(recordingContext(sc, read));
      for (const k of read) expect([sc.name, k, spec.reads.includes(k)]).toEqual([sc.name, k, true]);
    }
  });

  it('has the arity strace prints in the real fixture logs and the samples', () => {
    let seen = 0;
    for (const file of [...fixtureLogs(), null]) {
      const text = file === null ? SAMPLES.join('\n') + '\n' : readFileSync(file, 'latin1');
      for (const sc of calls(text, false)) {
        const spec = ARG_SPECS.get(sc.name);
        if (!spec || !sc.args || sc.unfinished) continue;
        expect([sc.name, sc.args.length]).toEqual([sc.name, spec.arity]);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(SAMPLES.length);
  });

  it('parsing with the specs gives the same arguments as without, on the samples and the real logs', () => {
    const plain = (cs: Syscall[]): unknown =>
      cs.map((c) => ({ ...c, args: c.args?.map((a: Arg) => toPlainArg(a)) ?? null }));
    for (const text of [SAMPLES.join('\n') + '\n', ...fixtureLogs().map((f) => readFileSync(f, 'latin1'))]) {
      expect(plain(calls(text, true))).toEqual(plain(calls(text, false)));
    }
  });

  it('leaves the unread stat buffer and dirent array lazy (not bracket-matched)', () => {
    const [st, dents] = calls(`${SAMPLES[0]}\n${SAMPLES[14]}\n`, true);
    expect(st!.args![2]!.constructor.name).toBe('LazyStruct');
    expect(dents!.args![1]!.constructor.name).toBe('LazyArray');
    expect(toPlainArg(st!.args![3]!)).toEqual({ t: 'sym', name: 'AT_SYMLINK_NOFOLLOW' });
  });
});
