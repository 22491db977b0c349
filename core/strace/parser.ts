/**
 * The synchronous core of the streaming parser: feed chunks, get events.
 *
 * Memory stays flat whatever the input size: a chunk is scanned in place (latin1, one char per
 * byte), only the unfinished tail line of a chunk is carried to the next one (capped at
 * MAX_LINE), and the only state kept across lines is one pending call per pid
 * (`<unfinished ...>` waiting for its `<... resumed>`), dropped when the pid resumes or exits.
 */
import type { Syscall, SyscallReturn, TraceEvent, UnparsedLine } from './types';
import { ArgParser } from './argGrammar';
import { latin1 } from './decode';
import { Interner, ownCopy } from './intern';
import { head, parsePrefix, parseReturn, stripDuration, tail } from './line';

export interface ParseOptions {
  /**
   * Which syscalls get their arguments parsed. Others take the name-only fast path: name, pid,
   * return value, `args: null`, and their argument text is never looked at. Default: all. Asked
   * once per distinct name (the answer is kept), so it must depend on the name only.
   */
  fullParse?: (name: string) => boolean;
  /** Called for every line that could not be understood (it is skipped; parsing goes on). */
  onUnparsed?: (u: UnparsedLine) => void;
  /** Filled in as parsing goes (counters for reports and the benchmark). */
  stats?: ParseStats;
  /**
   * Build top-level structs and arrays of structs on first read (default true): the text is only
   * bracket-matched while parsing, which is most of the work saved on -v logs. With false every
   * argument is parsed at once and every grammar error is reported against its line (hush parse).
   */
  lazy?: boolean;
}

export interface ParseStats {
  /** Lines read (including blank and ignored ones). */
  lines: number;
  /** Bytes read. */
  bytes: number;
  /** Syscall events emitted. */
  syscalls: number;
  /** Signal and exit events emitted. */
  notices: number;
  /** Lines reported as unparsable (includes argument errors). */
  unparsed: number;
  /** Syscalls emitted with `argsError` (name and return kept, arguments not understood). */
  argErrors: number;
  /** strace's own informational lines that carry no event (`[ Process PID=… ]`, hex dumps…). */
  ignored: number;
}

export function newStats(): ParseStats {
  return { lines: 0, bytes: 0, syscalls: 0, notices: 0, unparsed: 0, argErrors: 0, ignored: 0 };
}

/** A line longer than this (no newline in sight) is reported and skipped, so memory stays bounded. */
export const MAX_LINE = 4 * 1024 * 1024;

const UNFINISHED = ' <unfinished ...>';
/** Bound on the fullParse cache (a log names a few dozen syscalls; hostile input may name more). */
const MAX_CACHED_NAMES = 1024;
const REPORT_CHARS = 200;

interface Pending {
  name: string;
  line: number;
  ts: number;
  /** Call text `NAME(args…` before the cut, kept only for fully parsed calls. */
  text: string | null;
}

const ALL = (): boolean => true;

export class StraceParser {
  readonly stats: ParseStats;
  private readonly fullParseOf: (name: string) => boolean;
  /** Syscall names, one string each (their hashes cached by V8, so map lookups stay cheap). */
  private readonly names = new Interner(10);
  /** fullParse's answer per name (bounded like the interner). */
  private readonly fullCache = new Map<string, boolean>();
  /**
   * fullParse's answer per interner slot (0 not asked yet, 1 full, 2 name-only): every call line
   * asks, and an array read is cheaper than the map lookup (~2 % of the service log's parse).
   */
  private readonly fullBySlot: Uint8Array;
  private readonly onUnparsed: ((u: UnparsedLine) => void) | undefined;
  private readonly args: ArgParser;
  private carry = '';
  /** True while skipping the rest of an over-long line. */
  private skipping = false;
  private lineNo = 0;
  private readonly pending = new Map<number, Pending>();
  /** Pid whose call the previous line left unfinished (-1: none), for prefix-less continuations. */
  private prevUnfinished = -1;
  /** The log has a pid column (seen at least once). */
  private sawPid = false;
  private out: TraceEvent[] = [];
  /** Start of the line being parsed (for fragments). */
  private lineStart = 0;
  /**
   * Text of a call cut by strace's own message (`vfork(strace: Process 5 attached` on stderr
   * logs): prepended to the next line, which carries the rest (` <unfinished ...>`).
   */
  private fragment: string | null = null;

  constructor(opts: ParseOptions = {}) {
    this.fullParseOf = opts.fullParse ?? ALL;
    this.onUnparsed = opts.onUnparsed;
    this.stats = opts.stats ?? newStats();
    this.args = new ArgParser(opts.lazy ?? true);
    this.fullBySlot = new Uint8Array(this.names.capacity);
  }

  /** {@link fullParse} of a name `names.intern` just returned, through its slot when it has one. */
  private fullParseInterned(name: string): boolean {
    const slot = this.names.slot;
    if (slot < 0) return this.fullParse(name);
    const known = this.fullBySlot[slot];
    if (known !== 0) return known === 1;
    const full = this.fullParse(name);
    this.fullBySlot[slot] = full ? 1 : 2;
    return full;
  }

  /** Whether the call `name` gets its arguments parsed (options.fullParse, asked once per name). */
  private fullParse(name: string): boolean {
    const known = this.fullCache.get(name);
    if (known !== undefined) return known;
    const full = this.fullParseOf(name);
    if (this.fullCache.size < MAX_CACHED_NAMES) this.fullCache.set(name, full);
    return full;
  }

  /** Parses a chunk; returns the events completed by it (a new array each call). */
  push(chunk: Buffer | string): TraceEvent[] {
    const out: TraceEvent[] = (this.out = []);
    const buf = typeof chunk === 'string' ? toLatin1Buffer(chunk) : chunk;
    if (typeof buf === 'string') {
      this.scan(buf);
      return out;
    }
    // Text is scanned in slices of at most SLICE bytes: V8 puts strings above ~128 KiB in its
    // large-object space, freed only by full collections, so big chunks would inflate the RSS.
    for (let at = 0; at < buf.length; at += SLICE) {
      this.scan(latin1(buf, at, Math.min(buf.length, at + SLICE)));
    }
    return out;
  }

  /** Splits latin1 text into lines (the partial last line carried over) and parses them. */
  private scan(s: string): void {
    this.stats.bytes += s.length;
    let pos = 0;
    if (this.carry.length > 0 || this.skipping) {
      const nl = s.indexOf('\n');
      if (nl < 0) {
        this.extendCarry(s);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
      } else {
        const line = this.carry + s.slice(0, nl);
        this.carry = '';
        this.safeLine(line, 0, line.length);
      }
      pos = nl + 1;
    }
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) break;
      this.safeLine(s, pos, nl);
      pos = nl + 1;
    }
    if (pos < s.length) this.extendCarry(pos === 0 ? s : s.slice(pos));
  }

  /** Ends the input: parses a last line without newline and flushes calls that never resumed. */
  end(): TraceEvent[] {
    const out: TraceEvent[] = (this.out = []);
    if (this.carry.length > 0) {
      const line = this.carry;
      this.carry = '';
      this.safeLine(line, 0, line.length);
    }
    this.skipping = false;
    for (const [pid, p] of this.pending) this.emitUnfinished(pid, p);
    this.pending.clear();
    return out;
  }

  private extendCarry(text: string): void {
    if (this.skipping) return;
    if (this.carry.length + text.length > MAX_LINE) {
      this.lineNo++;
      this.stats.lines++;
      this.report(
        this.carry + text.slice(0, REPORT_CHARS),
        0,
        REPORT_CHARS,
        `line longer than ${MAX_LINE} bytes`,
      );
      this.carry = '';
      // the line's tail (up to the next newline) is skipped; the line was counted above
      this.skipping = true;
      return;
    }
    this.carry = this.carry.length === 0 ? text : this.carry + text;
  }

  /** Parses one line; never throws (a bug here must cost one line, not the run). */
  private safeLine(s: string, start: number, end: number): void {
    try {
      if (this.fragment !== null) {
        const joined = this.fragment + s.slice(start, end);
        this.fragment = null;
        this.line(joined, 0, joined.length);
        return;
      }
      this.line(s, start, end);
    } catch (err) {
      this.report(s, start, end, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private line(s: string, start: number, end: number): void {
    const lineNo = ++this.lineNo;
    this.stats.lines++;
    if (end > start && s.charCodeAt(end - 1) === 13) end--;
    if (start === end) return;
    this.lineStart = start;
    const body = parsePrefix(s, start, end);
    const pid = head.pid;
    const ts = head.ts;
    const prevUnfinished = this.prevUnfinished;
    this.prevUnfinished = -1;
    if (head.hasPid) this.sawPid = true;
    else if (prevUnfinished >= 0 && this.sawPid) {
      // strace 6.1 with --status prints the rest of an interrupted call on a line of its own,
      // with no pid and no timestamp, right after the `<unfinished ...>` line (SHH's trap).
      this.resume(prevUnfinished, null, s, start, end, lineNo);
      return;
    }
    if (body >= end) return this.report(s, start, end, 'no call after the line prefix');
    const c = s.charCodeAt(body);
    if (isIdentStart(c)) return this.call(s, body, end, pid, ts, lineNo);
    if (c === 60 /* < */) {
      if (s.startsWith('<... ', body)) {
        let r = body + 5;
        while (r < end && isIdentChar(s.charCodeAt(r))) r++;
        if (r > body + 5 && s.startsWith(' resumed>', r) && r + 9 <= end) {
          return this.resume(pid, this.names.intern(s, body + 5, r), s, r + 9, end, lineNo);
        }
      }
      return this.report(s, start, end, 'bad "<... resumed>" line');
    }
    if (c === 45 /* - */ && s.startsWith('--- ', body))
      return this.signal(s, start, body + 4, end, pid, ts, lineNo);
    if (c === 43 /* + */ && s.startsWith('+++ ', body))
      return this.exit(s, start, body + 4, end, pid, ts, lineNo);
    if (s.startsWith(PERSONALITY_NOTICE, body)) return this.personality(s, start, body, end, pid, ts, lineNo);
    if (isInformational(s, body)) {
      this.stats.ignored++;
      return;
    }
    this.report(s, start, end, 'not a strace line');
  }

  private call(s: string, body: number, end: number, pid: number, ts: number, lineNo: number): void {
    let k = body + 1;
    while (k < end && isIdentChar(s.charCodeAt(k))) k++;
    if (s.charCodeAt(k) !== 40 /* ( */ || k >= end)
      return this.report(s, body, end, 'expected "(" after the syscall name');
    const name = this.names.intern(s, body, k);
    const full = this.fullParseInterned(name);
    if (end - body >= UNFINISHED.length && s.endsWith(UNFINISHED, end)) {
      const old = this.pending.get(pid);
      if (old) this.emitUnfinished(pid, old);
      const text = full ? ownCopy(s.slice(body, end - UNFINISHED.length)) : null;
      this.pending.set(pid, { name, line: lineNo, ts, text });
      this.prevUnfinished = pid;
      return;
    }
    this.complete(s, body, k, end, name, pid, ts, lineNo, lineNo, false, full);
  }

  /**
   * Builds the event of a complete call whose text `NAME(args) = ret` is `s[body, end)`, with
   * the `(` at `paren`. `reportLine` is where errors are reported (the resumed line); `full`:
   * whether its arguments are parsed (fullParse of its name).
   */
  private complete(
    s: string,
    body: number,
    paren: number,
    end: number,
    name: string,
    pid: number,
    ts: number,
    lineNo: number,
    reportLine: number,
    resumed: boolean,
    full: boolean,
  ): void {
    const retEnd = stripDuration(s, paren, end);
    const duration = tail.duration;
    const eq = lastEquals(s, retEnd, paren);
    if (eq <= paren) {
      const msg = resumed ? -1 : processNotice(s, paren, end);
      if (msg >= 0) {
        // stderr logs: strace's notice landed inside the call; the call goes on next line
        this.fragment = s.slice(this.lineStart, msg);
        this.stats.ignored++;
        return;
      }
      return this.reportAt(reportLine, s, body, end, 'no "= return value"');
    }
    let close = eq;
    while (close > paren && s.charCodeAt(close - 1) === 32) close--;
    if (s.charCodeAt(close - 1) !== 41 /* ) */ || close - 1 <= paren) {
      return this.reportAt(reportLine, s, body, end, 'no ")" before the return value');
    }
    close--;
    const ret = parseReturn(s, eq + 3, retEnd);
    if (!ret) return this.reportAt(reportLine, s, body, end, 'bad return value');
    const ev: Syscall = { type: 'syscall', pid, name, args: null, ret, line: lineNo };
    if (ts === ts) ev.ts = ts;
    if (duration === duration) ev.duration = duration;
    if (resumed) ev.resumed = true;
    if (full) {
      const args = this.args.parseList(s, paren + 1, close);
      if (args) ev.args = args;
      else this.argError(ev, reportLine, s, body, end, this.args.error);
    }
    this.stats.syscalls++;
    this.out.push(ev);
  }

  /**
   * `<... NAME resumed>REST` (or, with name null, a prefix-less continuation line): joins REST to
   * the pid's pending call. Without a pending call the name and return are still emitted.
   */
  private resume(
    pid: number,
    name: string | null,
    s: string,
    restStart: number,
    end: number,
    lineNo: number,
  ): void {
    let p = this.pending.get(pid);
    let owner = pid;
    if (p && name !== null && p.name !== name) {
      // the pending call was cut off for good (its resumption never came): keep it as unfinished
      this.emitUnfinished(pid, p);
      this.pending.delete(pid);
      p = undefined;
    }
    if (!p && name !== null && pid !== 0) {
      // stderr logs: before a second process exists strace prints no pid, so the call started
      // under "pid 0" and resumes under its real pid
      const anon = this.pending.get(0);
      if (anon && anon.name === name) {
        p = anon;
        owner = 0;
      }
    }
    if (!p && (name === 'execve' || name === 'execveat')) {
      // a thread's execve resumes under the thread-group leader's pid
      for (const [other, q] of this.pending) {
        if (q.name === name) {
          p = q;
          owner = other;
          break;
        }
      }
    }
    if (!p) {
      if (name === null)
        return this.report(s, restStart, end, 'continuation line without an unfinished call');
      return this.orphanResumed(pid, name, s, restStart, end, lineNo);
    }
    this.pending.delete(owner);
    if (s.startsWith(UNFINISHED + ')', restStart)) {
      // `<... wait4 resumed> <unfinished ...>) = ?`: the process died inside the call
      this.emitUnfinished(pid, p);
      return;
    }
    if (p.text !== null) {
      const joined = p.text + s.slice(restStart, end);
      // a kept text means a fully parsed call (see call)
      this.complete(joined, 0, p.name.length, joined.length, p.name, pid, p.ts, p.line, lineNo, true, true);
      return;
    }
    // name-only: the return value is all we need from the resumed line
    const retEnd = stripDuration(s, restStart, end);
    const duration = tail.duration;
    const eq = lastEquals(s, retEnd, restStart);
    if (eq < restStart) return this.report(s, restStart, end, 'no "= return value" in resumed call');
    const ret = parseReturn(s, eq + 3, retEnd);
    if (!ret) return this.report(s, restStart, end, 'bad return value');
    const ev: Syscall = { type: 'syscall', pid, name: p.name, args: null, ret, line: p.line };
    if (p.ts === p.ts) ev.ts = p.ts;
    if (duration === duration) ev.duration = duration;
    ev.resumed = true;
    this.stats.syscalls++;
    this.out.push(ev);
  }

  /** A resumed call whose start is not in the log (attached mid-call, or a log cut at the start). */
  private orphanResumed(
    pid: number,
    name: string,
    s: string,
    restStart: number,
    end: number,
    lineNo: number,
  ): void {
    const retEnd = stripDuration(s, restStart, end);
    const duration = tail.duration;
    const eq = lastEquals(s, retEnd, restStart);
    const ret: SyscallReturn | null = eq >= restStart ? parseReturn(s, eq + 3, retEnd) : null;
    if (!ret) return this.report(s, restStart, end, 'bad resumed call');
    const ev: Syscall = { type: 'syscall', pid, name, args: null, ret, line: lineNo, resumed: true };
    if (head.ts === head.ts) ev.ts = head.ts;
    if (duration === duration) ev.duration = duration;
    if (this.fullParse(name)) this.argError(ev, lineNo, s, restStart, end, 'resumed call without its start');
    this.stats.syscalls++;
    this.out.push(ev);
  }

  /** Emits a call that started but never returned in the log (`ret` `?`, `unfinished: true`). */
  private emitUnfinished(pid: number, p: Pending): void {
    const ev: Syscall = {
      type: 'syscall',
      pid,
      name: p.name,
      args: null,
      ret: { value: null, raw: '?' },
      line: p.line,
      unfinished: true,
    };
    if (p.ts === p.ts) ev.ts = p.ts;
    if (p.text !== null) {
      const args = this.args.parseList(p.text, p.name.length + 1, p.text.length, true);
      if (args) ev.args = args;
      else this.argError(ev, p.line, p.text, 0, p.text.length, this.args.error);
    }
    this.stats.syscalls++;
    this.out.push(ev);
  }

  private argError(ev: Syscall, lineNo: number, s: string, start: number, end: number, why: string): void {
    ev.argsError = why || 'arguments not understood';
    this.stats.argErrors++;
    this.reportAt(lineNo, s, start, end, `arguments: ${ev.argsError}`);
  }

  /** `--- SIGCHLD {…} ---`; `--- stopped by SIGSTOP ---` (a group stop, not a delivery) is ignored. */
  private signal(
    s: string,
    start: number,
    from: number,
    end: number,
    pid: number,
    ts: number,
    lineNo: number,
  ): void {
    if (!s.endsWith(' ---', end)) return this.report(s, start, end, 'bad signal line');
    if (s.startsWith('stopped by ', from)) {
      this.stats.ignored++;
      return;
    }
    let k = from;
    while (k < end && isIdentChar(s.charCodeAt(k))) k++;
    if (k === from || !s.startsWith('SIG', from)) return this.report(s, start, end, 'bad signal line');
    const ev: TraceEvent = { type: 'signal', pid, signal: s.slice(from, k), line: lineNo };
    if (ts === ts) ev.ts = ts;
    this.stats.notices++;
    this.out.push(ev);
  }

  /** `+++ exited with N +++`, `+++ killed by SIGKILL (core dumped) +++`, `+++ superseded by execve… +++`. */
  private exit(
    s: string,
    start: number,
    from: number,
    end: number,
    pid: number,
    ts: number,
    lineNo: number,
  ): void {
    if (!s.endsWith(' +++', end)) return this.report(s, start, end, 'bad exit line');
    let code: number | null = null;
    let signal: string | undefined;
    if (s.startsWith('exited with ', from)) {
      let k = from + 12;
      let v = 0;
      const d = k;
      while (k < end && s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) v = v * 10 + (s.charCodeAt(k++) - 48);
      if (k === d) return this.report(s, start, end, 'bad exit status');
      code = v;
    } else if (s.startsWith('killed by ', from)) {
      let k = from + 10;
      while (k < end && isIdentChar(s.charCodeAt(k))) k++;
      if (k === from + 10) return this.report(s, start, end, 'bad kill signal');
      signal = s.slice(from + 10, k);
    } else if (s.startsWith('superseded by execve', from)) {
      // a thread replaced by execve in another thread: its pid lives on as the leader's
      this.stats.ignored++;
      return;
    } else return this.report(s, start, end, 'bad exit line');
    const p = this.pending.get(pid);
    if (p) {
      this.emitUnfinished(pid, p);
      this.pending.delete(pid);
    }
    const ev: TraceEvent = { type: 'exit', pid, code, line: lineNo };
    if (signal !== undefined) ev.signal = signal;
    if (ts === ts) ev.ts = ts;
    this.stats.notices++;
    this.out.push(ev);
  }

  /** `[ Process PID=N runs in 32 bit mode. ]` (see PersonalityEvent). */
  private personality(
    s: string,
    start: number,
    body: number,
    end: number,
    pid: number,
    ts: number,
    lineNo: number,
  ): void {
    const m = /^\[ Process PID=(\d+) runs in ([0-9A-Za-z -]{1,20}?) mode\. \]$/.exec(s.slice(body, end));
    if (!m) return this.report(s, start, end, 'bad personality notice');
    // the line prefix names the process when there is one; the notice's own PID= otherwise
    const ev: TraceEvent = {
      type: 'personality',
      pid: head.hasPid ? pid : Number(m[1]),
      mode: m[2]!,
      line: lineNo,
    };
    if (ts === ts) ev.ts = ts;
    this.stats.notices++;
    this.out.push(ev);
  }

  private report(s: string, start: number, end: number, reason: string): void {
    this.reportAt(this.lineNo, s, start, end, reason);
  }

  private reportAt(lineNo: number, s: string, start: number, end: number, reason: string): void {
    this.stats.unparsed++;
    if (this.onUnparsed) {
      this.onUnparsed({ line: lineNo, text: s.slice(start, Math.min(end, start + REPORT_CHARS)), reason });
    }
  }
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/**
 * Index of the last ` = ` that starts at or after `lo` and ends before `end`, or -1. The return
 * value is the last ` = ` of a call line (arguments never print one: strings are escaped, the
 * wait-status `==` has no space inside). A bounded backward scan: on a line without one it must
 * not run on into the lines before it in the chunk.
 */
function lastEquals(s: string, end: number, lo: number): number {
  for (let k = end - 2; k > lo; k--) {
    if (s.charCodeAt(k) === 61 && s.charCodeAt(k - 1) === 32 && s.charCodeAt(k + 1) === 32) return k - 1;
  }
  return -1;
}

/** Start of a trailing `strace: Process N attached` (stderr logs) in s[from, end), or -1. */
function processNotice(s: string, from: number, end: number): number {
  const tailWord = ' attached';
  if (!s.endsWith(tailWord, end)) return -1;
  let k = end - tailWord.length;
  while (k > from && s.charCodeAt(k - 1) >= 48 && s.charCodeAt(k - 1) <= 57) k--;
  const head = 'strace: Process ';
  return k - head.length >= from && s.startsWith(head, k - head.length) ? k - head.length : -1;
}
function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

const PERSONALITY_NOTICE = '[ Process PID=';

/** strace's own messages that may land in the output file; they carry no event. */
function isInformational(s: string, i: number): boolean {
  return (
    s.startsWith('strace: ', i) ||
    s.startsWith('| ', i) || // -e read=/write= hex dump lines (after the prefix's spaces)
    s.startsWith('+++ superseded', i)
  );
}

/**
 * Text handed in as a JS string: kept as is when it is ASCII (latin1 already), else re-encoded to
 * the bytes the parser reads one per char.
 */
function toLatin1Buffer(s: string): string | Buffer {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8');
  }
  return s;
}

/** Largest piece of input turned into one string (see push). */
const SLICE = 64 * 1024;
