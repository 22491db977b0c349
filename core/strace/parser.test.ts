/**
 * The streaming parser on real logs of strace 6.1 (Debian 12) and 6.13 (Debian 13): merging of
 * unfinished/resumed calls per pid, strace 6.1's prefix-less continuation lines, signals, exits
 * and kills, the timestamp and pid columns, the name-only fast path, chunking and streams.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  MAX_LINE,
  parseStrace,
  parseStraceBatches,
  parseStraceText,
  StraceParser,
  toPlainArg,
} from './index';
import type { ExitEvent, PersonalityEvent, SignalEvent, Syscall, TraceEvent, UnparsedLine } from './types';

type Version = '6.1' | '6.x';
const VERSIONS: Version[] = ['6.1', '6.x'];
const FIXTURES = path.join(__dirname, 'fixtures');

function raw(v: Version, name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, v, name));
}
function lines(v: Version, name: string): string[] {
  return raw(v, name).toString('latin1').split('\n');
}
function parse(v: Version, name: string, lazy = false): { events: TraceEvent[]; unparsed: UnparsedLine[] } {
  return parseStraceText(raw(v, name), { lazy });
}
const syscalls = (evs: TraceEvent[]): Syscall[] => evs.filter((e): e is Syscall => e.type === 'syscall');
const fixtureNames = (v: Version): string[] =>
  fs.readdirSync(path.join(FIXTURES, v)).filter((f) => f.endsWith('.strace'));

describe.each(VERSIONS)('strace %s logs', (v) => {
  it('parse without a single unparsed line, lazily and eagerly alike', () => {
    for (const name of fixtureNames(v)) {
      const eager = parse(v, name, false);
      expect({ name, unparsed: eager.unparsed }).toEqual({ name, unparsed: [] });
      expect(eager.events.length).toBeGreaterThan(0);
      const lazy = parse(v, name, true);
      expect(JSON.stringify(lazy.events)).toBe(JSON.stringify(eager.events));
    }
  });

  it('gives every call line, signal and exit exactly one event (unfinished + resumed = one call)', () => {
    for (const name of fixtureNames(v)) {
      const text = lines(v, name).filter(Boolean);
      const resumedOnly = text.filter((l) => /<\.\.\. \w+ resumed>/.test(l)).length;
      const { events } = parse(v, name);
      // each `<... X resumed>` line completes a call begun on an earlier line
      const callsStarted = text.filter((l) =>
        /^(\[pid +\d+\] |\d+ +)?[\d:. (+)]*[a-z_0-9]+\(/.test(l),
      ).length;
      const notices = text.filter(
        (l) =>
          (/(^| )(---|\+\+\+) /.test(l) && !/stopped by|superseded/.test(l)) ||
          /^\d+ +\[ Process PID=/.test(l),
      ).length;
      expect({ name, events: events.length }).toEqual({ name, events: callsStarted + notices });
      expect(resumedOnly).toBeLessThanOrEqual(callsStarted);
    }
  });

  it('merges <unfinished ...> with <... resumed> per pid, keeping the start line and the final return', () => {
    const text = lines(v, 'interleaved.strace');
    const { events } = parse(v, 'interleaved.strace');
    const merged = syscalls(events).filter((e) => e.resumed);
    expect(merged.length).toBe(text.filter((l) => l.includes('<unfinished ...>')).length);
    for (const e of merged) {
      const start = text[e.line - 1] ?? '';
      expect(start).toMatch(new RegExp(`^${e.pid} +${e.name}\\(.* <unfinished \\.\\.\\.>$`));
      const end = text.find((l, i) => i >= e.line && l.startsWith(`${e.pid} <... ${e.name} resumed>`));
      expect(end).toBeDefined();
      expect(
        end?.endsWith(`= ${e.ret.raw}${e.ret.fdPath ? '<' : ''}`) || end?.includes(`= ${e.ret.raw}`),
      ).toBe(true);
    }
    const clone = syscalls(events).find((e) => e.name === 'clone');
    expect(clone?.args).toEqual([
      {
        t: 'struct',
        fields: {
          child_stack: { t: 'null' },
          flags: {
            t: 'flags',
            items: [
              { t: 'sym', name: 'CLONE_CHILD_CLEARTID' },
              { t: 'sym', name: 'CLONE_CHILD_SETTID' },
              { t: 'sym', name: 'SIGCHLD' },
            ],
          },
          child_tidptr: expect.objectContaining({ t: 'int' }),
        },
        truncated: false,
      },
    ]);
    const children = new Set(
      syscalls(events)
        .filter((e) => e.pid !== clone?.pid)
        .map((e) => e.pid),
    );
    expect(children.has(clone?.ret.value ?? -1)).toBe(true);
  });

  it('reports exits with their status, in log order', () => {
    const text = lines(v, 'interleaved.strace');
    const { events } = parse(v, 'interleaved.strace');
    const expected = text.flatMap((l, i) => {
      const m = /^(\d+) \+\+\+ exited with (\d+) \+\+\+$/.exec(l);
      return m ? [{ type: 'exit', pid: Number(m[1]), code: Number(m[2]), line: i + 1 }] : [];
    });
    expect(events.filter((e) => e.type === 'exit')).toEqual(expected);
    expect(expected.map((e) => e.code).sort()).toEqual([0, 0, 2, 3]);
  });

  it('reports kills, signals, a restart and a call cut by SIGKILL', () => {
    const text = lines(v, 'signals.strace');
    const { events } = parse(v, 'signals.strace');
    const killedLine = text.findIndex((l) => l.includes('+++ killed by SIGKILL +++'));
    const victim = Number(text[killedLine]?.split(' ')[0]);
    expect(events.find((e) => e.type === 'exit' && e.pid === victim)).toEqual({
      type: 'exit',
      pid: victim,
      code: null,
      signal: 'SIGKILL',
      line: killedLine + 1,
    });
    // the victim's sleep never returned: one call, unfinished, arguments up to the cut
    const sleep = syscalls(events).filter((e) => e.pid === victim && e.name === 'clock_nanosleep');
    expect(sleep).toHaveLength(1);
    expect(sleep[0]).toMatchObject({ unfinished: true, ret: { value: null, raw: '?' } });
    expect(sleep[0]?.args?.slice(0, 2)).toEqual([
      { t: 'sym', name: 'CLOCK_REALTIME' },
      { t: 'int', value: 0, raw: '0' },
    ]);
    const term = events.filter((e): e is ExitEvent => e.type === 'exit' && e.signal === 'SIGTERM');
    expect(term).toHaveLength(1);
    const sigs = events.filter((e): e is SignalEvent => e.type === 'signal').map((e) => e.signal);
    expect(sigs).toEqual(expect.arrayContaining(['SIGCHLD', 'SIGUSR1', 'SIGTERM']));
    expect(sigs.length).toBe(text.filter((l) => / --- SIG/.test(l)).length);
    const restarted = syscalls(events).find((e) => e.ret.errno === 'ERESTARTSYS');
    expect(restarted).toMatchObject({ name: 'wait4', resumed: true, ret: { value: null, raw: '?' } });
  });

  it("joins a thread's execve to its resumption under the thread-group leader", () => {
    const text = lines(v, 'thread-exec.strace');
    const { events, unparsed } = parse(v, 'thread-exec.strace');
    expect(unparsed).toEqual([]);
    const leader = Number(text[0]?.split(' ')[0]);
    const thread = Number(/superseded by execve in pid (\d+)/.exec(text.join('\n'))?.[1]);
    expect(thread).not.toBe(leader);
    const clone3 = syscalls(events).find((e) => e.name === 'clone3');
    const io = clone3?.args?.[0] && toPlainArg(clone3.args[0]);
    expect(io).toMatchObject({
      t: 'inout',
      out: { t: 'struct', fields: { parent_tid: { t: 'array', items: [{ t: 'int', value: thread }] } } },
    });
    expect(clone3?.ret.value).toBe(thread);
    const execs = syscalls(events).filter((e) => e.name === 'execve');
    expect(execs.map((e) => [e.pid, e.line, e.resumed === true, e.ret.raw])).toEqual([
      [leader, 1, false, '0'],
      [leader, 3, true, '0'],
    ]);
    expect(execs[1]?.args?.[0]).toEqual({ t: 'str', value: '/bin/true', truncated: false });
    expect(events.filter((e) => e.type === 'exit')).toEqual([
      { type: 'exit', pid: leader, code: 0, line: text.length - 1 },
    ]);
  });

  it('reads every timestamp column variant', () => {
    const first = (name: string): Syscall => syscalls(parse(v, name).events)[0] as Syscall;
    const hms = (l: string): number => {
      const [h, m, s] = (/ (\d\d:\d\d:\d\d(?:\.\d+)?) /.exec(l)?.[1] ?? '').split(':').map(Number);
      return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
    };
    const l = (name: string): string => lines(v, name)[0] ?? '';
    expect(first('columns-t.strace').ts).toBe(hms(l('columns-t.strace')));
    expect(first('columns-tt.strace').ts).toBeCloseTo(hms(l('columns-tt.strace')), 6);
    expect(first('columns-ttt.strace').ts).toBeCloseTo(Number(l('columns-ttt.strace').split(/ +/)[1]), 6);
    expect(first('columns-ns.strace').ts).toBeCloseTo(Number(l('columns-ns.strace').split(/ +/)[1]), 6);
    expect(first('columns-r.strace').ts).toBe(0);
    expect(first('columns-tr.strace').ts).toBe(hms(l('columns-tr.strace')));
    const timed = syscalls(parse(v, 'columns-T.strace').events);
    for (const e of timed) {
      const text = lines(v, 'columns-T.strace')[e.line - 1] ?? '';
      if (e.resumed) continue;
      const d = /<([\d.]+)>$/.exec(text)?.[1];
      expect(e.duration).toBe(d === undefined ? undefined : Number(d));
      expect(e.ts).toBeCloseTo(hms(text), 6);
    }
    expect(timed.some((e) => e.duration !== undefined)).toBe(true);
    // exits carry the column too
    const exit = parse(v, 'columns-r.strace').events.find((e) => e.type === 'exit');
    expect(exit?.ts).toEqual(expect.any(Number));
  });

  it('reads logs without a pid column (no -f) as pid 0', () => {
    const { events, unparsed } = parse(v, 'nopid.strace');
    expect(unparsed).toEqual([]);
    expect(new Set(events.map((e) => e.pid))).toEqual(new Set([0]));
    expect(events[0]).toMatchObject({ type: 'syscall', name: 'execve', ret: { value: 0 } });
    expect(events[events.length - 1]).toMatchObject({ type: 'exit', code: 0 });
  });

  it('reads stderr logs: [pid N] columns and a call cut by strace\'s "Process N attached"', () => {
    const text = lines(v, 'stderr.strace');
    const { events, unparsed } = parse(v, 'stderr.strace');
    expect(unparsed).toEqual([]);
    expect(text[0]).toMatch(/^vfork\(strace: Process \d+ attached$/);
    const child = Number(/Process (\d+)/.exec(text[0] ?? '')?.[1]);
    const vfork = syscalls(events).find((e) => e.name === 'vfork');
    const parent = Number(/^\[pid +(\d+)\] <\.\.\. vfork resumed>/m.exec(text.join('\n'))?.[1]);
    expect(vfork).toMatchObject({ pid: parent, args: [], ret: { value: child }, resumed: true, line: 2 });
    expect(syscalls(events).some((e) => e.pid === child && e.name === 'execve')).toBe(true);
  });

  it('takes the name-only fast path for syscalls outside the full-parse set', () => {
    const full = parseStraceText(raw(v, 'interleaved.strace')).events;
    const fast = parseStraceText(raw(v, 'interleaved.strace'), { fullParse: (n) => n === 'execve' }).events;
    expect(fast.length).toBe(full.length);
    fast.forEach((e, i) => {
      const f = full[i] as TraceEvent;
      if (e.type !== 'syscall' || f.type !== 'syscall') return expect(e).toEqual(f);
      expect({ ...e, args: null }).toEqual({ ...f, args: null });
      expect(e.args === null).toBe(e.name !== 'execve');
    });
  });

  it('gives the same events whatever the chunking (every split point of a log)', () => {
    const buf = raw(v, 'signals.strace');
    const whole = JSON.stringify(parseStraceText(buf).events);
    for (let cut = 1; cut < buf.length; cut += 97) {
      const p = new StraceParser({ lazy: false });
      const out = [...p.push(buf.subarray(0, cut)), ...p.push(buf.subarray(cut)), ...p.end()];
      expect(JSON.stringify(out)).toBe(whole);
    }
    // one byte at a time
    const p = new StraceParser({ lazy: false });
    const out: TraceEvent[] = [];
    for (let i = 0; i < buf.length; i++) out.push(...p.push(buf.subarray(i, i + 1)));
    out.push(...p.end());
    expect(JSON.stringify(out)).toBe(whole);
  });

  it('streams from a Node Readable and from an async iterable of strings', async () => {
    const buf = raw(v, 'net.strace');
    const expected = JSON.stringify(parseStraceText(buf).events);
    const fromStream: TraceEvent[] = [];
    for await (const ev of parseStrace(Readable.from([buf.subarray(0, 1000), buf.subarray(1000)])))
      fromStream.push(ev);
    expect(JSON.stringify(fromStream)).toBe(expected);
    async function* strings(): AsyncIterable<string> {
      const s = buf.toString('latin1');
      yield s.slice(0, 333);
      yield s.slice(333);
    }
    const batches: TraceEvent[][] = [];
    for await (const b of parseStraceBatches(strings())) batches.push(b);
    expect(JSON.stringify(batches.flat())).toBe(expected);
  });
});

describe('strace 6.1 --status prefix-less continuation lines (SHH trap)', () => {
  it('joins each prefix-less line to the call left unfinished on the line before', () => {
    const text = lines('6.1', 'status.strace');
    const orphans = text.map((l, i) => [l, i] as const).filter(([l]) => l && !/^\d/.test(l));
    expect(orphans.length).toBeGreaterThanOrEqual(2);
    const { events, unparsed } = parse('6.1', 'status.strace');
    expect(unparsed).toEqual([]);
    for (const [cont, i] of orphans) {
      const start = text[i - 1] ?? '';
      const pid = Number(start.split(' ')[0]);
      const name = /^\d+ +([a-z0-9_]+)\(/.exec(start)?.[1];
      const ev = syscalls(events).find((e) => e.line === i);
      expect(ev).toMatchObject({ pid, name, resumed: true });
      expect(ev?.ret.raw).toBe(/ = (\S+?)(<.*)?$/.exec(cont)?.[1]);
    }
    const prlimit = syscalls(events).find((e) => e.name === 'prlimit64' && e.resumed);
    expect(prlimit?.args?.[3] && toPlainArg(prlimit.args[3])).toEqual({
      t: 'struct',
      fields: {
        rlim_cur: {
          t: 'op',
          op: '*',
          left: { t: 'int', value: 8192, raw: '8192' },
          right: { t: 'int', value: 1024, raw: '1024' },
        },
        rlim_max: { t: 'sym', name: 'RLIM64_INFINITY' },
      },
      truncated: false,
    });
  });

  it('does not happen with strace 6.13: every line has its pid', () => {
    expect(lines('6.x', 'status.strace').filter((l) => l && !/^\d/.test(l))).toEqual([]);
    expect(parse('6.x', 'status.strace').unparsed).toEqual([]);
  });
});

describe('bad input', () => {
  it('reports an unparsable line with its number and first bytes, and goes on', () => {
    const { events, unparsed } = parseStraceText('1 getpid() = 1\nthis is not strace\n1 getppid() = 0\n');
    expect(events.map((e) => e.type === 'syscall' && e.name)).toEqual(['getpid', 'getppid']);
    expect(unparsed).toEqual([
      { line: 2, text: 'this is not strace', reason: 'expected "(" after the syscall name' },
    ]);
  });

  it('keeps name and return of a call whose arguments do not parse, and reports it', () => {
    const { events, unparsed } = parseStraceText('1 openat(AT_FDCWD, {{{bogus) = 3\n');
    expect(events).toEqual([
      expect.objectContaining({
        name: 'openat',
        args: null,
        ret: { value: 3, raw: '3' },
        argsError: expect.any(String),
      }),
    ]);
    expect(unparsed).toHaveLength(1);
    expect(unparsed[0]?.line).toBe(1);
  });

  it('skips an over-long line without newline and keeps memory bounded', () => {
    const p = new StraceParser();
    const reported: UnparsedLine[] = [];
    const q = new StraceParser({ onUnparsed: (u) => reported.push(u) });
    const big = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i <= MAX_LINE / big.length; i++) q.push(big);
    const after = [...q.push('\n1 getpid() = 7\n'), ...q.end()];
    expect(reported).toHaveLength(1);
    expect(reported[0]?.reason).toMatch(/longer than/);
    expect(reported[0]?.text.length).toBeLessThanOrEqual(200);
    expect(after).toEqual([
      { type: 'syscall', pid: 1, name: 'getpid', args: [], ret: { value: 7, raw: '7' }, line: 2 },
    ]);
    expect(p.end()).toEqual([]);
  });

  it('flushes calls that never resumed at the end of the log', () => {
    const { events } = parseStraceText(
      '5 read(3, <unfinished ...>\n6 accept4(4, <unfinished ...>\n6 +++ killed by SIGKILL +++\n',
    );
    expect(events).toEqual([
      {
        type: 'syscall',
        pid: 6,
        name: 'accept4',
        args: [{ t: 'int', value: 4, raw: '4' }],
        ret: { value: null, raw: '?' },
        line: 2,
        unfinished: true,
      },
      { type: 'exit', pid: 6, code: null, signal: 'SIGKILL', line: 3 },
      {
        type: 'syscall',
        pid: 5,
        name: 'read',
        args: [{ t: 'int', value: 3, raw: '3' }],
        ret: { value: null, raw: '?' },
        line: 1,
        unfinished: true,
      },
    ]);
  });
});

describe("personality notices (strace 6.1, hush's --quiet=attach)", () => {
  const personalities = (evs: TraceEvent[]): PersonalityEvent[] =>
    evs.filter((e): e is PersonalityEvent => e.type === 'personality');

  it('a 32-bit binary and an int 0x80 call from 64-bit code each give their switches, per pid', () => {
    const { events, unparsed } = parse('6.1', 'abi-switch.strace');
    expect(unparsed).toEqual([]);
    const text = lines('6.1', 'abi-switch.strace');
    const pidOf = (needle: string): number =>
      Number(text.find((l) => l.includes(`execve("${needle}`))!.split(' ')[0]);
    // ./abi-32bit and ./abi-int80, hex-encoded as -xx prints them
    const bit32 = pidOf('\\x2e\\x2f\\x61\\x62\\x69\\x2d\\x33\\x32');
    const int80 = pidOf('\\x2e\\x2f\\x61\\x62\\x69\\x2d\\x69\\x6e\\x74');
    expect(personalities(events).map((e) => [e.pid, e.mode])).toEqual([
      [bit32, '32 bit'],
      [int80, '32 bit'],
      [int80, '64 bit'],
    ]);
    // the 32-bit process's exit(2) is still a call of its own
    expect(syscalls(events).some((e) => e.pid === bit32 && e.name === 'exit')).toBe(true);
  });

  it('without a pid column the notice names the process; a malformed one is reported, not guessed', () => {
    const { events, unparsed } = parseStraceText(
      '[ Process PID=42 runs in x32 mode. ]\n[ Process PID=42 runs in <a\x1b]> mode. ]\n',
    );
    expect(personalities(events)).toEqual([{ type: 'personality', pid: 42, mode: 'x32', line: 1 }]);
    expect(unparsed.map((u) => u.reason)).toEqual(['bad personality notice']);
  });
});
