/**
 * The in-kernel recorder's controller side, without a kernel: records encoded exactly as
 * native/recorder/loader.c writes them must summarize to the same actions as the line strace -f -y
 * -xx prints for the same call (the summary's handlers cannot tell the recorders apart), the wire
 * format refuses whatever does not add up, the closing counters give the profile's syscall names,
 * and every call the summary decides on is in the kernel's decoding plan.
 */
import { describe as summaryDescribe } from '../summary/testHelpers';
import { summarizeLines } from '../summary/testHelpers';
import { HANDLED_SYSCALLS } from '../summary/handlers';
import type { Profile } from '../profile/schema';
import { ebpfSegment, parseRecord, SIGNATURES, sigLines, SYSCALL_NUMBERS, syscallNameOf } from '.';
import { HEAD, RECORD_VERSION } from './record';

// ------------------------------------------------------------------ encoding records (loader.c)

type Dec =
  | { kind: 'path'; path: string }
  | { kind: 'socket'; family: number; type: number; protocol?: number; ino: number }
  | { kind: 'pseudo'; ino: number }
  | { kind: 'cut' }
  | { kind: 'badfd' };

interface Spec {
  name: string;
  pid?: number;
  ret: number;
  args?: (number | bigint)[];
  strs?: (string | Buffer | null)[];
  /** fd argument A, fd argument B, the returned fd. */
  decs?: (Dec | undefined)[];
  sa?: Buffer;
  extra?: Buffer;
  strFlags?: number[];
}

const DEC_CODE = { none: 0, path: 1, socket: 2, pseudo: 3, cut: 4, badfd: 5 } as const;

/** The path as the kernel side writes it: components leaf first, each `[len][bytes]`. */
function walked(path: string): Buffer {
  const parts = path.split('/').filter(Boolean).reverse();
  return Buffer.concat(
    parts.map((p) => Buffer.concat([Buffer.from([Buffer.byteLength(p)]), Buffer.from(p)])),
  );
}

function encode(s: Spec): Buffer {
  const head = Buffer.alloc(HEAD);
  const nr = SYSCALL_NUMBERS.get(s.name);
  if (nr === undefined) throw new Error(s.name);
  head.writeUInt32LE(RECORD_VERSION, 0);
  head.writeUInt32LE(nr, 4);
  head.writeUInt32LE(s.pid ?? 100, 8);
  head.writeUInt32LE(s.pid ?? 100, 12);
  head.writeBigInt64LE(BigInt(s.ret), 16);
  (s.args ?? []).forEach((a, i) => head.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 24 + 8 * i));
  const strs = (s.strs ?? []).map((x) => (x === null ? Buffer.alloc(0) : Buffer.from(x)));
  strs.forEach((b, j) => {
    head.writeUInt16LE(b.length, 72 + 2 * j);
    head.writeUInt8(s.strFlags?.[j] ?? (s.strs![j] === null ? 1 : 0), 76 + j);
  });
  const sa = s.sa ?? Buffer.alloc(0);
  const extra = s.extra ?? Buffer.alloc(0);
  head.writeUInt8(sa.length, 78);
  head.writeUInt8(extra.length, 79);
  const decBytes: Buffer[] = [];
  for (let j = 0; j < 3; j++) {
    const d = s.decs?.[j];
    const o = 80 + 24 * j;
    let bytes: Buffer = Buffer.alloc(0);
    if (d) {
      head.writeUInt8(DEC_CODE[d.kind], o);
      if (d.kind === 'path') bytes = walked(d.path);
      if (d.kind === 'socket') {
        head.writeUInt16LE(d.family, o + 4);
        head.writeUInt16LE(d.type, o + 6);
        head.writeUInt16LE(d.protocol ?? 0, o + 8);
      }
      if (d.kind === 'socket' || d.kind === 'pseudo') head.writeBigUInt64LE(BigInt(d.ino), o + 16);
    }
    head.writeUInt16LE(bytes.length, o + 2);
    decBytes.push(bytes);
  }
  return Buffer.concat([head, ...strs, sa, extra, ...decBytes]);
}

const line = (s: Spec) => `R ${encode(s).toString('base64')}\n`;

/** A stream of records with the closing counters of the calls in it (all successful). */
function stream(specs: Spec[], opts: { end?: boolean } = {}): string {
  const counts = new Map<number, number>();
  for (const s of specs) {
    const nr = SYSCALL_NUMBERS.get(s.name)!;
    counts.set(nr, (counts.get(nr) ?? 0) + 1);
  }
  const tail = [...counts].map(([nr, n]) => `C ${nr} ${n}\n`).join('') + 'L 0\nE\n';
  return specs.map(line).join('') + (opts.end === false ? '' : tail);
}

function profileOf(text: string | Buffer, cwd?: string): Profile {
  const seg = ebpfSegment(cwd ? { cwd } : {});
  const b = Buffer.from(text);
  // in two pieces cut mid-line: the parser carries the partial line
  seg.push(b.subarray(0, 37));
  seg.push(b.subarray(37));
  return seg.finish({ source: 'test' }).profile;
}

const actions = (p: Profile) => p.actions.map((a) => summaryDescribe(a.action)).sort();

function sockaddrIn(port: number, addr: number[]): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(addr).copy(b, 4);
  return b;
}

function sockaddrIn6(port: number, addr: Buffer): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  addr.copy(b, 8);
  return b;
}

function sockaddrUn(path: string | Buffer): Buffer {
  const fam = Buffer.alloc(2);
  fam.writeUInt16LE(1, 0);
  return Buffer.concat([fam, Buffer.from(path), Buffer.from([0])]);
}

const AT_FDCWD = -100;
const O_RDONLY_CLOEXEC = 0o2000000;
const O_WRONLY_CREAT_TRUNC = 0o1 | 0o100 | 0o1000;

// ------------------------------------------------------------------ the same actions as strace

/** Each case: what strace prints for the call, and the record the kernel side writes for it. */
const SAME: { what: string; strace: string[]; records: Spec[]; cwd?: string }[] = [
  {
    what: 'open for reading, relative to the cwd',
    strace: ['100 openat(AT_FDCWD</etc>, "passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>'],
    records: [
      {
        name: 'openat',
        ret: 3,
        args: [AT_FDCWD, 0x1000, O_RDONLY_CLOEXEC, 0],
        strs: ['passwd'],
        decs: [{ kind: 'path', path: '/etc' }, undefined, { kind: 'path', path: '/etc/passwd' }],
      },
    ],
  },
  {
    what: 'create and write, a failed open, a newline in a name',
    strace: [
      '100 openat(AT_FDCWD</srv>, "/var/lib/x/new\\nline", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4</var/lib/x/new\\nline>',
      '100 openat(AT_FDCWD</srv>, "/etc/shadow", O_RDONLY|O_CLOEXEC) = -1 EACCES (Permission denied)',
    ],
    records: [
      {
        name: 'openat',
        ret: 4,
        args: [AT_FDCWD, 0x1000, O_WRONLY_CREAT_TRUNC, 0o644],
        strs: ['/var/lib/x/new\nline'],
        decs: [{ kind: 'path', path: '/srv' }, undefined, { kind: 'path', path: '/var/lib/x/new\nline' }],
      },
      {
        name: 'openat',
        ret: -13,
        args: [AT_FDCWD, 0x1000, O_RDONLY_CLOEXEC, 0],
        strs: ['/etc/shadow'],
        decs: [{ kind: 'path', path: '/srv' }],
      },
    ],
  },
  {
    what: 'stat through a directory fd, mkdir, unlink, rename',
    strace: [
      '100 newfstatat(5</var/cache/app>, "entry", 0x7ffc, AT_SYMLINK_NOFOLLOW) = 0',
      '100 mkdirat(AT_FDCWD</>, "/var/lib/app/tmp", 0700) = 0',
      '100 unlink("/run/app.pid") = 0',
      '100 renameat2(AT_FDCWD</>, "/var/lib/app/a", AT_FDCWD</>, "/var/lib/app/b", RENAME_NOREPLACE) = 0',
    ],
    records: [
      {
        name: 'newfstatat',
        ret: 0,
        args: [5, 0x1000, 0x2000, 0x100],
        strs: ['entry'],
        decs: [{ kind: 'path', path: '/var/cache/app' }],
      },
      {
        name: 'mkdirat',
        ret: 0,
        args: [AT_FDCWD, 0x1000, 0o700],
        strs: ['/var/lib/app/tmp'],
        decs: [{ kind: 'path', path: '/' }],
      },
      { name: 'unlink', ret: 0, args: [0x1000], strs: ['/run/app.pid'] },
      {
        name: 'renameat2',
        ret: 0,
        args: [AT_FDCWD, 0x1000, AT_FDCWD, 0x2000, 1],
        strs: ['/var/lib/app/a', '/var/lib/app/b'],
        decs: [
          { kind: 'path', path: '/' },
          { kind: 'path', path: '/' },
        ],
      },
    ],
  },
  {
    what: 'exec, a fork, a namespace',
    strace: [
      '100 execve("/usr/sbin/nginx", ["nginx"], 0x7ffc /* 3 vars */) = 0',
      '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 101',
      '101 unshare(CLONE_NEWNS) = 0',
    ],
    records: [
      { name: 'execve', ret: 0, args: [0x1000, 0x2000, 0x3000], strs: ['/usr/sbin/nginx'] },
      { name: 'clone', ret: 101, args: [0x01200000 | 17, 0, 0, 0x7f, 0] },
      { name: 'unshare', pid: 101, ret: 0, args: [0x20000] },
    ],
  },
  {
    what: 'sockets: IPv4 and IPv6 binds, listen, a unix connect, a netlink socket',
    strace: [
      '100 socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_IP) = 6<socket:[9001]>',
      '100 bind(6<socket:[9001]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("0.0.0.0")}, 16) = 0',
      '100 listen(6<socket:[9001]>, 511) = 0',
      '100 socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 7<socket:[9002]>',
      '100 bind(7<socket:[9002]>, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '100 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 8<socket:[9003]>',
      '100 connect(8<socket:[9003]>, {sa_family=AF_UNIX, sun_path="/run/systemd/journal/stdout"}, 30) = 0',
      '100 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 9<socket:[9004]>',
    ],
    records: [
      {
        name: 'socket',
        ret: 6,
        args: [2, 1 | 0o4000, 0],
        decs: [undefined, undefined, { kind: 'socket', family: 2, type: 1, protocol: 6, ino: 9001 }],
      },
      {
        name: 'bind',
        ret: 0,
        args: [6, 0x1000, 16],
        sa: sockaddrIn(80, [0, 0, 0, 0]),
        decs: [{ kind: 'socket', family: 2, type: 1, protocol: 6, ino: 9001 }],
      },
      {
        name: 'listen',
        ret: 0,
        args: [6, 511],
        decs: [{ kind: 'socket', family: 2, type: 1, protocol: 6, ino: 9001 }],
      },
      {
        name: 'socket',
        ret: 7,
        args: [10, 1, 0],
        decs: [undefined, undefined, { kind: 'socket', family: 10, type: 1, protocol: 6, ino: 9002 }],
      },
      {
        name: 'bind',
        ret: 0,
        args: [7, 0x1000, 28],
        sa: sockaddrIn6(8080, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
        decs: [{ kind: 'socket', family: 10, type: 1, protocol: 6, ino: 9002 }],
      },
      {
        name: 'socket',
        ret: 8,
        args: [1, 1 | 0o2000000, 0],
        decs: [undefined, undefined, { kind: 'socket', family: 1, type: 1, ino: 9003 }],
      },
      {
        name: 'connect',
        ret: 0,
        args: [8, 0x1000, 30],
        sa: sockaddrUn('/run/systemd/journal/stdout'),
        decs: [{ kind: 'socket', family: 1, type: 1, ino: 9003 }],
      },
      {
        name: 'socket',
        ret: 9,
        args: [16, 3 | 0o2000000, 0],
        decs: [undefined, undefined, { kind: 'socket', family: 16, type: 3, ino: 9004 }],
      },
    ],
  },
  {
    what: 'identity, memory and time',
    strace: [
      '100 setgroups(0, NULL) = 0',
      '100 setgid(33) = 0',
      '100 setuid(33) = 0',
      '100 mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000',
      '100 mlockall(MCL_CURRENT) = 0',
      '100 clock_settime(CLOCK_REALTIME, {tv_sec=0, tv_nsec=0}) = -1 EPERM (Operation not permitted)',
    ],
    records: [
      { name: 'setgroups', ret: 0, args: [0, 0] },
      { name: 'setgid', ret: 0, args: [33] },
      { name: 'setuid', ret: 0, args: [33] },
      { name: 'mmap', ret: 0x7f0000000000, args: [0, 4096, 7, 0x22, -1, 0] },
      { name: 'mlockall', ret: 0, args: [1] },
      { name: 'clock_settime', ret: -1, args: [0, 0x1000] },
    ],
  },
];

describe('a kernel record summarizes as the strace line of the same call', () => {
  test.each(SAME)('$what', ({ strace, records, cwd }) => {
    const want = actions(summarizeLines(strace, cwd ? { cwd } : {}));
    const got = actions(profileOf(stream(records), cwd));
    expect(got).toEqual(want);
    expect(got.length).toBeGreaterThan(0);
  });

  test('a decoration deeper than the record holds is an unknown object, counted as unreadable', () => {
    const p = profileOf(stream([{ name: 'fstat', ret: 0, args: [3, 0x1000], decs: [{ kind: 'cut' }] }]));
    expect(actions(p)).toEqual([]);
    expect(p.runs[0]!.unreadableArgs).toBe(1);
  });

  test('a path string cut at the record limit gives no action', () => {
    const p = profileOf(
      stream([{ name: 'unlink', ret: 0, args: [0x1000], strs: ['/var/lib/a'], strFlags: [2] }]),
    );
    expect(actions(p)).toEqual([]);
  });

  test('non-UTF-8 bytes in a kernel path decode as the strace parser decodes them', () => {
    const name = Buffer.concat([Buffer.from('/srv/a'), Buffer.from([0xff]), Buffer.from('b')]);
    const got = actions(profileOf(stream([{ name: 'unlink', ret: 0, args: [0x1000], strs: [name] }])));
    const want = actions(summarizeLines(['100 unlink("/srv/a\\xffb") = 0']));
    expect(got).toEqual(want);
  });
});

// ------------------------------------------------------------------ the wire format

describe('records and the stream', () => {
  const ok: Spec = { name: 'unlink', ret: 0, args: [0x1000], strs: ['/tmp/x'] };

  test('a record round-trips its fields', () => {
    const r = parseRecord(encode({ ...ok, decs: [{ kind: 'path', path: '/a/b' }] }));
    expect(syscallNameOf(r.nr)).toBe('unlink');
    expect(r.strs[0]!.bytes.toString()).toBe('/tmp/x');
    expect(r.decs[0]!.components.map(String)).toEqual(['a', 'b']);
  });

  test('a record that does not add up is refused whole', () => {
    const b = encode(ok);
    expect(() => parseRecord(b.subarray(0, b.length - 1))).toThrow(/runs past/);
    expect(() => parseRecord(Buffer.concat([b, Buffer.from([0])]))).toThrow(/after the record/);
    const v = Buffer.from(b);
    v.writeUInt32LE(RECORD_VERSION + 1, 0);
    expect(() => parseRecord(v)).toThrow(/version/);
    expect(() => parseRecord(b.subarray(0, 10))).toThrow(/bytes/);
  });

  test('garbage lines are counted as unparsable, never summarized', () => {
    const text = 'R !!!notbase64\nR AAAA\nX 1 2\nC 1\nC -1 2\n' + stream([ok]);
    const seg = ebpfSegment();
    seg.push(Buffer.from(text));
    const { profile } = seg.finish({ source: 'test' });
    expect(profile.runs[0]!.unparsable).toBe(5);
    expect(actions(profile)).toEqual(['remove /tmp/x']);
  });

  test('the closing counters name every syscall; failures count as the summary counts them', () => {
    const nr = (n: string) => SYSCALL_NUMBERS.get(n)!;
    const text =
      `C ${nr('read')} 10\nC ${nr('openat')} 3\nC ${nr('mkdir')} 1\nC ${nr('kill')} 2\n` +
      // mkdir failing EEXIST counts (the directory exists); kill failing EPERM does not
      `F ${nr('mkdir')} 17 1\nF ${nr('kill')} 1 2\nF ${nr('openat')} 2 1\nL 0\nE\n`;
    const p = profileOf(text);
    expect(Object.keys(p.syscalls).sort()).toEqual(expect.arrayContaining(['openat', 'read']));
    expect(p.syscalls.read).toBe(10);
    expect(p.runs[0]!.recorder).toBe('ebpf');
    expect(p.runs[0]!.assumedSyscalls).toBeUndefined();
    // every call of kill failed EPERM: a failed-only name, never a used one
    expect(p.syscalls.kill).toBeUndefined();
    expect(p.failedSyscalls?.kill).toBe(2);
  });

  test('without the closing counters every syscall is assumed used, and losses are unreadable', () => {
    const p = profileOf(stream([ok], { end: false }) + 'L 3\n');
    expect(p.runs[0]!.assumedSyscalls!.length).toBeGreaterThan(300);
    expect(p.syscalls.reboot).toBe(0);
    expect(p.runs[0]!.unreadableArgs).toBe(3);
  });
});

// ------------------------------------------------------------------ the kernel's plan

describe('the decoding plan', () => {
  test('every call the summary decides on and x86_64 has is decoded in the kernel (close/close_range aside)', () => {
    const missing = [...HANDLED_SYSCALLS].filter(
      (n) => SYSCALL_NUMBERS.has(n) && !SIGNATURES[n] && n !== 'close' && n !== 'close_range',
    );
    expect(missing).toEqual([]);
  });

  test('one line per decoded syscall, ten numbers each, argument indexes in range', () => {
    const lines = sigLines().trim().split('\n');
    expect(lines).toHaveLength(Object.keys(SIGNATURES).length);
    for (const l of lines) {
      const f = l.split(' ').map(Number);
      expect(f).toHaveLength(10);
      expect(f[0]).toBeLessThan(512);
      for (const i of f.slice(3, 9)) expect(i === 0xff || (i >= 0 && i < 6)).toBe(true);
    }
  });

  test('syscall numbers past the generated table (checked on a 6.18 kernel)', () => {
    expect(SYSCALL_NUMBERS.get('mseal')).toBe(462);
    expect(SYSCALL_NUMBERS.get('setxattrat')).toBe(463);
    expect(SYSCALL_NUMBERS.get('removexattrat')).toBe(466);
    expect(syscallNameOf(500)).toBe('syscall_0x1f4');
  });
});
