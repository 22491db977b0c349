/**
 * The summarizer: TraceEvents in, a Profile out. Synchronous `push` so a parser can drive it at
 * full speed; the per-event cost for a syscall without a handler is two map updates.
 *
 * Ordering: an action's position is the line where its first occurrence *started* (an unfinished
 * call keeps its start line), so create-before-read holds across processes even when events are
 * delivered out of order: strace -f often prints a child's first calls before the parent's clone
 * returns the child's pid. Those calls wait (bounded) until the clone tells us what the child
 * inherited (cwd, fd table); see `Proc.awaitingParent`.
 */
import type { Arg, Syscall, TraceEvent } from '../strace/types';
import type { Action, Evidence, PathAccessKind } from './actions';
import { actionKey } from '../profile/actionKey';
import { PROFILE_SCHEMA } from '../profile/schema';
import type { Profile, ProfileAction, RunInfo } from '../profile/schema';
import type { HostFacts } from '../profile/hostFacts';
import { EvidenceFormatter, joinSyscallPieces } from './evidence';
import type { EvidencePieces } from './evidence';
import type { ActionBody, Handler, HandlerContext } from './handler';
import { HANDLERS } from './handlers';
import {
  climbArgument,
  hasDotDot,
  joinPath,
  normalizeAbsolute,
  parseDecoration,
  stableProcPath,
  underRoot,
} from './paths';
import type { Decoration } from './paths';
import { PathActionTable, PieceTable } from './pathActions';
import type { EntryEvidence } from './pathActions';
import { inherit, newProc } from './process';
import type { FdEntry, Proc, ShareFlags } from './process';
import { callCounts, callPaths, type CallPaths } from './success';

export interface SummarizerOptions {
  /**
   * The cwd of the first traced process: the unit's WorkingDirectory= (systemd's default is `/`),
   * or the caller's cwd for `hush run`. When omitted it is unknown until the trace reveals it
   * (`AT_FDCWD</dir>` decorations, getcwd, chdir to an absolute path); relative paths before that
   * cannot be resolved and are counted in `RunInfo.unresolvedPaths`.
   */
  cwd?: string;
  /** net.ipv6.bindv6only of the traced host (Linux default false: AF_INET6 sockets are dual-stack). */
  bindv6only?: boolean;
  /** RunInfo.source default. */
  source?: string;
  /** Host facts to embed in the profile. */
  host?: HostFacts;
  /** Bound on events held for processes waiting for their parent's clone to return (default 20000). */
  maxPendingEvents?: number;
  /**
   * How many log lines a process may wait for its parent's clone to return (default 5000). strace
   * prints the parent's `<... clone resumed>` within a few lines of the child's first calls; a
   * process still unclaimed after that has no parent in the trace (a unit restarted into the same
   * log with -A, or a process attached with -p) and is taken as a new root.
   */
  maxHoldLines?: number;
  /**
   * What else the kernel runs when a file is executed: its ELF interpreter (PT_INTERP, e.g.
   * /lib64/ld-linux-x86-64.so.2) and `#!` interpreter chain. Not visible in a trace; probed on the
   * target by whoever has access to it. Each path returned is recorded as an exec.
   */
  interpreters?: (execPath: string) => readonly string[];
  /**
   * Programs hush itself runs in the traced process before the service's own (the profiling
   * wrapper's `setpriv`, which switches to the unit's user under a root strace): the first process's
   * events up to its (N+1)th successful execve are theirs, not the service's, and are left out.
   */
  launcherExecs?: number;
}

export interface SummarizerStats {
  syscalls: number;
  /** Handler exceptions (a bug or an argument shape no handler expected): the call's actions are lost. */
  handlerErrors: number;
  /** Path arguments left out because their base was unknown (relative to an unknown cwd or fd). */
  unresolvedPaths: number;
  /**
   * Successful calls whose path climbs `..` over a name the kernel never resolved for the trace
   * (paths.ts): their access is left out, so the profile may under-report what the service needs.
   */
  droppedPaths: number;
  /** Pointer arguments of successful calls strace could not read (see RunInfo.unreadableArgs). */
  unreadableArgs: number;
  /** Processes whose parent's clone was never seen (their state started empty). */
  orphanProcesses: number;
}

export interface Summarizer {
  push(ev: TraceEvent): void;
  /** Flush and build the profile. `run` overrides RunInfo fields (source, lines, unparsable, times). */
  finish(run?: Partial<RunInfo>): Profile;
  stats(): SummarizerStats;
}

interface NameInfo {
  name: string;
  /** Its index in `SummarizerImpl.names` (path entries keep the index, not a reference). */
  id: number;
  /** Calls that counted (success rule), and calls that did not. */
  ok: number;
  failed: number;
  handler: Handler | undefined;
}

interface Entry {
  order: number;
  count: number;
  action: Action;
}

/** A path action of a failed call that counts only if its directory is proven to exist (success.ts). */
interface PendingPath {
  access: PathAccessKind;
  path: string;
  order: number;
  ev: EntryEvidence;
}

const EMPTY_ARGS: readonly Arg[] = [];
const EMPTY_PATHS: readonly string[] = [];
/** Actions a single call can emit before their order keys would collide with the next line. */
const PER_LINE = 64;

class SummarizerImpl implements Summarizer, HandlerContext {
  readonly bindv6only: boolean;
  private readonly opts: SummarizerOptions;
  private readonly maxPending: number;
  private readonly maxHoldLines: number;

  private readonly procs = new Map<number, Proc>();
  private readonly traced = new Set<number>();
  /** Held events per process awaiting its parent; Map order = oldest first. */
  private readonly pending = new Map<number, { firstLine: number; events: TraceEvent[] }>();
  private pendingTotal = 0;
  private rootPid: number | undefined;
  private readonly replayQueue: number[] = [];

  /** Per syscall name: counts and handler, one map lookup per event (names are interned by the parser). */
  private readonly byName = new Map<string, NameInfo>();
  /** Syscall names by NameInfo.id. */
  private readonly names: string[] = [];
  private lastPid = -1;
  private readonly actions = new Map<string, Entry>();
  /** Path actions, the bulk of them (pathActions.ts). */
  private readonly pathActions = new PathActionTable();
  /** Their evidence heads and tails, one copy each. */
  private readonly heads = new PieceTable();
  private readonly tails = new PieceTable();
  /** Removals and renames that failed with ENOENT, settled by `finish` (success.ts, callPaths). */
  private readonly pendingPaths: PendingPath[] = [];
  private maxLine = 0;
  /** ABIs processes switched to (strace's personality notices; RunInfo.abiSwitches). */
  private readonly abiSwitches = new Set<string>();
  private readonly counters: SummarizerStats = {
    syscalls: 0,
    handlerErrors: 0,
    unresolvedPaths: 0,
    droppedPaths: 0,
    unreadableArgs: 0,
    orphanProcesses: 0,
  };

  // The call being handled (HandlerContext).
  sc!: Syscall;
  args: readonly Arg[] = EMPTY_ARGS;
  proc!: Proc;
  /** What the current call may add (success.ts): everything unless it failed with ENOENT/EEXIST. */
  private callPaths: CallPaths = 'all';
  /** The current call named a path that climbs `..` where the trace cannot follow (paths.ts). */
  private climbRefused = false;
  private emitIndex = 0;
  /**
   * The last decoration read and what it said. Consecutive calls name the same directory fd
   * (`newfstatat(7</usr/share/pam>, "…")` line after line) and the parser hands out the same
   * decoded string for them, so one slot saves a parse and an object per call. Decorations are
   * never mutated by handlers.
   */
  private lastDecorationText: string | undefined = undefined;
  private lastDecoration: Decoration = { path: undefined, charDevice: false };
  /** The current call's evidence, built on its first new action and shared by the others. */
  private callEvidence: Evidence | undefined = undefined;
  /** The current call's evidence text in pieces, likewise (built on its first new path action). */
  private callPieces: EvidencePieces | undefined = undefined;
  /** Builds the pieces, reusing the last call's head and tail where they format the same. */
  private readonly formatter = new EvidenceFormatter();
  /** The same as a path entry keeps it (built on the call's first new path action). */
  private callEntryEvidence: EntryEvidence | undefined = undefined;

  /**
   * Successful execs of the first process until the service's own program runs: launcherExecs + 1
   * with a launcher, else 0 (SummarizerOptions.launcherExecs).
   */
  private execsToGo: number;
  private launcherPid: number | undefined;

  constructor(opts: SummarizerOptions) {
    this.opts = opts;
    this.execsToGo = opts.launcherExecs ? opts.launcherExecs + 1 : 0;
    this.bindv6only = opts.bindv6only ?? false;
    this.maxPending = opts.maxPendingEvents ?? 20_000;
    this.maxHoldLines = opts.maxHoldLines ?? 5_000;
  }

  push(ev: TraceEvent): void {
    if (ev.line > this.maxLine) this.maxLine = ev.line;
    if (this.pending.size !== 0) this.expireHolds(ev.line);
    if (ev.type === 'syscall') {
      if (this.execsToGo > 0 && this.launcherEvent(ev)) return;
      this.counters.syscalls++;
      const pid = ev.pid;
      if (pid !== this.lastPid) {
        this.traced.add(pid);
        this.lastPid = pid;
        if (this.rootPid === undefined) this.rootPid = pid;
      }
      let info = this.byName.get(ev.name);
      if (info === undefined) {
        // our own copy of the name: the event's may be a slice that keeps its whole line alive
        const name = flatCopy(ev.name);
        info = { name, id: this.names.length, ok: 0, failed: 0, handler: HANDLERS.get(name) };
        this.byName.set(name, info);
        this.names.push(name);
      }
      if (!callCounts(ev.ret, ev.name, ev.args)) {
        info.failed++;
        return;
      }
      info.ok++;
      const handler = info.handler;
      if (handler === undefined) return;
      const proc = this.procFor(pid);
      if (proc.awaitingParent) {
        this.hold(pid, ev);
        return;
      }
      this.run(handler, ev, proc);
    } else if (ev.type === 'exit') {
      const proc = this.procs.get(ev.pid);
      if (proc?.awaitingParent) this.hold(ev.pid, ev);
      else this.procs.delete(ev.pid);
    } else if (ev.type === 'personality') {
      // a fact of the run, not of one process's state: no hold, whoever switched (RunInfo.abiSwitches)
      this.abiSwitches.add(flatCopy(ev.mode));
    }
  }

  /**
   * Whether an event belongs to hush's launcher (see SummarizerOptions.launcherExecs): everything
   * of the first process until its (N+1)th successful execve, which is the service's own program.
   */
  private launcherEvent(ev: Syscall): boolean {
    this.launcherPid ??= ev.pid;
    if (ev.pid !== this.launcherPid) return false;
    const exec =
      (ev.name === 'execve' || ev.name === 'execveat') && ev.ret.errno === undefined && ev.ret.value === 0;
    if (!exec) return true;
    // a launcher's own exec is left out; the one after the last launcher is the service's program
    return --this.execsToGo > 0;
  }

  finish(run: Partial<RunInfo> = {}): Profile {
    // Oldest first, one at a time: replaying an orphan runs its clones, which hand its children
    // (waiting too) what they inherit; adopting those children first would start them empty.
    for (let pid = this.oldestPending(); pid !== undefined; pid = this.oldestPending()) {
      this.adoptOrphan(pid);
      this.drainReplays();
    }
    this.settlePendingPaths();

    // Built directly as ProfileActions with the order as a provisional seq (no second copy of
    // 10^5 entries at the memory peak), sorted (stable: ties keep this insertion order), renumbered.
    const actions: ProfileAction[] = [];
    for (const e of this.actions.values()) actions.push({ seq: e.order, count: e.count, action: e.action });
    const table = this.pathActions;
    for (const access of table.kinds()) {
      for (const i of table.entriesOf(access)) {
        const e = table.view(i);
        const text = joinSyscallPieces(this.heads.text(e.head), e.mid, this.tails.text(e.tail));
        const ev: Evidence = { pid: e.pid, line: e.line, syscall: this.names[e.syscall]!, text };
        actions.push({ seq: e.order, count: e.count, action: { kind: 'path', access, path: e.path, ev } });
      }
    }
    actions.sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < actions.length; i++) actions[i]!.seq = i;
    const names = [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const syscalls: Record<string, number> = {};
    const failedSyscalls: Record<string, number> = {};
    for (const n of names) {
      if (n.ok > 0) syscalls[n.name] = n.ok;
      else if (n.failed > 0) failedSyscalls[n.name] = n.failed;
    }
    const info: RunInfo = {
      source: run.source ?? this.opts.source ?? 'unknown',
      ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
      ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
      lines: run.lines ?? this.maxLine,
      syscalls: run.syscalls ?? this.counters.syscalls,
      unparsable: run.unparsable ?? 0,
      pids: run.pids ?? this.traced.size,
      unresolvedPaths: run.unresolvedPaths ?? this.counters.unresolvedPaths,
      ...(this.counters.droppedPaths > 0 ? { droppedPaths: this.counters.droppedPaths } : {}),
      ...(this.counters.unreadableArgs > 0 ? { unreadableArgs: this.counters.unreadableArgs } : {}),
      ...(run.abiWatched ? { abiWatched: true } : {}),
      ...(this.abiSwitches.size > 0 ? { abiSwitches: [...this.abiSwitches].sort() } : {}),
    };
    return {
      schema: PROFILE_SCHEMA,
      actions,
      syscalls,
      failedSyscalls,
      runs: [info],
      ...(this.opts.host ? { host: this.opts.host } : {}),
    };
  }

  stats(): SummarizerStats {
    return { ...this.counters };
  }

  // ---- processes -------------------------------------------------------------------------------

  private procFor(pid: number): Proc {
    let p = this.procs.get(pid);
    if (p) return p;
    if (pid === this.rootPid && !this.pending.has(pid)) {
      p = newProc(pid, this.opts.cwd !== undefined ? normalizeAbsolute(this.opts.cwd) : undefined);
    } else {
      p = newProc(pid, undefined);
      p.awaitingParent = true;
    }
    this.procs.set(pid, p);
    return p;
  }

  private hold(pid: number, ev: TraceEvent): void {
    let held = this.pending.get(pid);
    if (!held) this.pending.set(pid, (held = { firstLine: ev.line, events: [] }));
    held.events.push(ev);
    if (++this.pendingTotal > this.maxPending) {
      // Bounded memory: give up waiting for the oldest orphan's parent.
      this.adoptOrphan(this.pending.keys().next().value as number);
      this.drainReplays();
    }
  }

  /** Stop waiting for parents that would have shown up by now (see maxHoldLines). */
  private expireHolds(line: number): void {
    // one at a time, as in finish: an expired orphan's replay may adopt its expired children
    for (let pid = this.oldestPending(); pid !== undefined; pid = this.oldestPending()) {
      if (line - this.pending.get(pid)!.firstLine <= this.maxHoldLines) break;
      this.adoptOrphan(pid);
      this.drainReplays();
    }
  }

  private oldestPending(): number | undefined {
    return this.pending.keys().next().value;
  }

  /**
   * A process whose clone we never saw. If it starts by executing a program it is a new root (a
   * restarted unit appended to the log): it gets the configured cwd. Otherwise its cwd is unknown
   * until the trace reveals it. Its fd table starts empty either way.
   */
  private adoptOrphan(pid: number): void {
    const p = this.procs.get(pid);
    if (p?.awaitingParent) {
      p.awaitingParent = false;
      this.counters.orphanProcesses++;
      const first = this.pending.get(pid)?.events[0];
      if (
        first?.type === 'syscall' &&
        (first.name === 'execve' || first.name === 'execveat') &&
        this.opts.cwd
      ) {
        p.fs.cwd = normalizeAbsolute(this.opts.cwd);
      }
    }
    this.replayQueue.push(pid);
  }

  spawn(childPid: number, share: ShareFlags): void {
    this.traced.add(childPid);
    let child = this.procs.get(childPid);
    if (child && !child.awaitingParent) return; // already running with known state
    if (!child) {
      child = newProc(childPid, undefined);
      this.procs.set(childPid, child);
    }
    inherit(child, this.proc, share);
    if (this.pending.has(childPid)) this.replayQueue.push(childPid);
  }

  /** Replay held events of processes that just learned their inheritance. */
  private drainReplays(): void {
    while (this.replayQueue.length > 0) {
      const pid = this.replayQueue.shift()!;
      const held = this.pending.get(pid);
      if (!held) continue;
      this.pending.delete(pid);
      const events = held.events;
      this.pendingTotal -= events.length;
      for (const ev of events) {
        if (ev.type === 'exit') {
          this.procs.delete(ev.pid);
          continue;
        }
        if (ev.type !== 'syscall') continue;
        const proc = this.procs.get(ev.pid) ?? this.procFor(ev.pid);
        const handler = HANDLERS.get(ev.name);
        if (handler) this.run(handler, ev, proc);
      }
    }
  }

  private run(handler: Handler, sc: Syscall, proc: Proc): void {
    this.sc = sc;
    this.args = sc.args ?? EMPTY_ARGS;
    this.proc = proc;
    this.callPaths = sc.ret.errno === undefined ? 'all' : callPaths(sc.ret, sc.name, sc.args);
    this.emitIndex = 0;
    this.callEvidence = undefined;
    this.callPieces = undefined;
    this.callEntryEvidence = undefined;
    this.climbRefused = false;
    try {
      handler(this);
    } catch {
      // Never let one odd line end the summary; the count is reported (hush summarize warns).
      this.counters.handlerErrors++;
    }
    // An open whose returned fd strace decorated lost nothing: the kernel said what it opened. A
    // failed call needed nothing (success.ts), so only successful ones count as dropped.
    if (
      this.climbRefused &&
      sc.ret.fdPath === undefined &&
      this.callPaths === 'all' &&
      sc.ret.errno === undefined
    )
      this.counters.droppedPaths++;
    if (this.replayQueue.length > 0) this.drainReplays();
  }

  isTraced(pid: number): boolean {
    return this.traced.has(pid);
  }

  interpretersOf(execPath: string): readonly string[] {
    return this.opts.interpreters?.(execPath) ?? EMPTY_PATHS;
  }

  // ---- actions ---------------------------------------------------------------------------------

  private nextOrder(): number {
    const k = this.emitIndex < PER_LINE - 1 ? this.emitIndex++ : PER_LINE - 1;
    return this.sc.line * PER_LINE + k;
  }

  private evidence(): Evidence {
    if (this.callEvidence === undefined) {
      const { head, mid, tail } = this.pieces();
      this.callEvidence = {
        pid: this.sc.pid,
        line: this.sc.line,
        syscall: this.ownName(this.sc.name),
        // a flat string of its own (no slice of the log line)
        text: joinSyscallPieces(head, mid, tail),
      };
    }
    return this.callEvidence;
  }

  /** The current call's evidence text in pieces. */
  private pieces(): EvidencePieces {
    if (this.callPieces === undefined) this.callPieces = this.formatter.pieces(this.sc);
    return this.callPieces;
  }

  /** The current call's evidence as a path entry keeps it (pathActions.ts). */
  private entryEvidence(): EntryEvidence {
    if (this.callEntryEvidence === undefined) {
      const p = this.pieces();
      const sc = this.sc;
      const shown = p.midArg >= 0 ? sc.args?.[p.midArg] : undefined;
      // the value `mid` shows when it is its plain formatting (no cut, no `...`, no `@`), so a
      // path ending in it can give the mid back at finish (PathActionTable)
      const midValue =
        shown?.t === 'str' && !shown.truncated && shown.abstract !== true && shown.value.length <= 80
          ? shown.value
          : undefined;
      this.callEntryEvidence = {
        pid: sc.pid,
        line: sc.line,
        syscall: this.nameId(sc.name),
        head: this.heads.id(p.head),
        tail: this.tails.id(p.tail),
        mid: p.mid,
        midValue,
      };
    }
    return this.callEntryEvidence;
  }

  private nameId(name: string): number {
    return this.byName.get(name)!.id;
  }

  /** Our own copy of a syscall name (the event's may be a slice that keeps its whole line alive). */
  private ownName(name: string): string {
    return this.byName.get(name)?.name ?? flatCopy(name);
  }

  emit(body: ActionBody): void {
    // A failed call's other actions (mknod, setuid bits…) did not happen.
    if (this.callPaths !== 'all') return;
    const order = this.nextOrder();
    const key = actionKey(body as Action);
    const e = this.actions.get(key);
    if (e !== undefined) {
      e.count++;
      // An earlier occurrence delivered late (a child's held calls): it is the first evidence.
      if (order < e.order) {
        e.order = order;
        e.action = { ...e.action, ev: this.evidence() } as Action;
      }
      return;
    }
    // A copy through JSON: flat strings of its own (see flatCopy), and no reference into the event.
    const action = { ...(JSON.parse(JSON.stringify(body)) as ActionBody), ev: this.evidence() } as Action;
    this.actions.set(key, { order, count: 1, action });
  }

  emitPath(access: PathAccessKind, path: string | undefined): void {
    if (path === undefined) return;
    const stable = path.startsWith('/proc/') ? stableProcPath(path, (pid) => this.traced.has(pid)) : path;
    if (this.callPaths !== 'all') {
      if (this.callPaths === 'none') return;
      if (this.callPaths === 'ifDirExists') {
        this.pendingPaths.push({ access, path: stable, order: this.nextOrder(), ev: this.entryEvidence() });
        return;
      }
      access = 'read';
    }
    const order = this.nextOrder();
    const table = this.pathActions;
    const i = table.find(access, stable);
    if (i >= 0) {
      table.bump(i);
      // An earlier occurrence delivered late (a child's held calls): it is the first evidence.
      if (order < table.orderOf(i)) table.setFirst(i, order, this.entryEvidence());
      return;
    }
    // The key is kept to the end: paths come from the decoder (strings of their own) or from
    // joinPath (concatenations of those), never slices of a log chunk, so no copy is needed.
    table.add(access, stable, order, this.entryEvidence());
  }

  /**
   * Keeps a failed removal's path action only where the rest of the trace proves its directory
   * existed at that call: some counted path action at or below the directory, and the directory
   * not created by the service later on (then it was missing, and the call failed on it).
   */
  private settlePendingPaths(): void {
    if (this.pendingPaths.length === 0) return;
    const firstUnder = new Map<string, number>();
    const createdAt = new Map<string, number>();
    const table = this.pathActions;
    for (const access of table.kinds()) {
      for (const i of table.entriesOf(access)) {
        const path = table.pathOf(i);
        const order = table.orderOf(i);
        if (access === 'create') createdAt.set(path, order);
        for (let d = path; ; d = dirOf(d)) {
          const seen = firstUnder.get(d);
          if (seen !== undefined && seen <= order) break;
          firstUnder.set(d, order);
          if (d === '/') break;
        }
      }
    }
    for (const p of this.pendingPaths) {
      const dir = dirOf(p.path);
      const proof = dir === '/' ? -1 : firstUnder.get(dir);
      if (proof === undefined) continue;
      const created = createdAt.get(dir);
      if (proof > p.order && created !== undefined && created > p.order) continue;
      const i = table.find(p.access, p.path);
      if (i < 0) table.add(p.access, p.path, p.order, p.ev);
      else {
        table.bump(i);
        if (p.order < table.orderOf(i)) table.setFirst(i, p.order, p.ev);
      }
    }
    this.pendingPaths.length = 0;
  }

  // ---- paths and fds ---------------------------------------------------------------------------

  private decoration(text: string): Decoration {
    if (text !== this.lastDecorationText) {
      this.lastDecoration = parseDecoration(text);
      this.lastDecorationText = text;
    }
    return this.lastDecoration;
  }

  resolvePath(path: Arg | undefined, dirfd?: Arg, emptyPath = false): string | undefined {
    if (!path || path.t === 'null') return emptyPath ? this.fdPath(dirfd) : undefined;
    if (path.t !== 'str') {
      // An address instead of a string: strace could not read the tracee's memory. On a failed
      // call that is the kernel's EFAULT; on a successful one, a path the profile does not show.
      if (path.t === 'int') this.noteUnreadable();
      return undefined;
    }
    if (path.truncated) {
      this.counters.unresolvedPaths++;
      return undefined;
    }
    const v = path.value;
    if (v === '') return emptyPath ? this.fdPath(dirfd) : undefined;
    if (v.charCodeAt(0) === 47) {
      if (!hasDotDot(v)) return underRoot(this.proc.fs.root, normalizeAbsolute(v));
      const climbed = climbArgument('/', v, true);
      if (climbed !== undefined) return underRoot(this.proc.fs.root, climbed);
      this.climbRefused = true;
      return undefined;
    }
    const base = dirfd === undefined ? this.proc.fs.cwd : this.dirBase(dirfd);
    if (base === undefined) {
      this.counters.unresolvedPaths++;
      return undefined;
    }
    if (!hasDotDot(v)) return joinPath(base, v);
    const climbed = climbArgument(base, v, this.baseClimbable(dirfd));
    if (climbed === undefined) this.climbRefused = true;
    return climbed;
  }

  /** A pointer argument of the current call that strace printed as an address (RunInfo.unreadableArgs). */
  noteUnreadable(): void {
    const ret = this.sc.ret;
    if (ret.errno === undefined && ret.value !== null && ret.value >= 0) this.counters.unreadableArgs++;
  }

  private dirBase(dirfd: Arg): string | undefined {
    if (isAtFdcwd(dirfd)) return this.cwdFrom(dirfd);
    return this.fdPath(dirfd);
  }

  /**
   * Whether `..` may climb over the base of a relative path (paths.ts): only a base the kernel
   * printed, i.e. a decoration on this call, or a cwd / fd path learned from the kernel.
   */
  private baseClimbable(dirfd: Arg | undefined): boolean {
    if (dirfd === undefined || isAtFdcwd(dirfd)) {
      if (dirfd?.t === 'sym' && dirfd.path !== undefined) return true;
      return this.proc.fs.cwdNamed !== true;
    }
    if (dirfd.t === 'fd') return true;
    return this.fdEntry(dirfd)?.named !== true;
  }

  /** The cwd, learning it from an `AT_FDCWD</dir>` decoration (the kernel's view at that call). */
  private cwdFrom(dirfd: Arg): string | undefined {
    if (dirfd.t === 'sym' && dirfd.path !== undefined) {
      const dec = this.decoration(dirfd.path);
      if (dec.path !== undefined) {
        this.proc.fs.cwd = dec.path;
        this.proc.fs.cwdNamed = false;
      }
      return dec.path;
    }
    return this.proc.fs.cwd;
  }

  fdNumber(fd: Arg | undefined): number | undefined {
    if (!fd) return undefined;
    if (fd.t === 'fd') return fd.fd;
    if (fd.t === 'int') return fd.value;
    return undefined;
  }

  fdPath(fd: Arg | undefined): string | undefined {
    if (!fd) return undefined;
    if (fd.t === 'fd') {
      // A decoration is authoritative: a pseudo one (pipe, socket…) means "not a file".
      return this.decoration(fd.path).path;
    }
    if (fd.t === 'int') return fd.value >= 0 ? this.proc.files.get(fd.value)?.path : undefined;
    if (fd.t === 'sym' && fd.name === 'AT_FDCWD') return this.cwdFrom(fd);
    return undefined;
  }

  fdEntry(fd: Arg | undefined): FdEntry | undefined {
    const n = this.fdNumber(fd);
    const entry = n !== undefined ? this.proc.files.get(n) : undefined;
    if (fd?.t !== 'fd') return entry;
    const dec = this.decoration(fd.path);
    if (dec.path !== undefined)
      return entry?.path === dec.path ? entry : { path: dec.path, charDevice: dec.charDevice };
    // Pseudo decoration: only a non-file entry (socket, pidfd) can still be current, and only if it
    // is the object the entry was made for (an entry outlives an unseen close); failing that, -yy's
    // protocol tells an inherited socket's family and type (socket activation).
    if (entry && entry.path === undefined && (entry.object === undefined || entry.object === fd.path))
      return entry;
    return dec.socket ? { socket: { ...dec.socket } } : undefined;
  }

  returnedFd(): number | undefined {
    const r = this.sc.ret;
    return r.errno === undefined && r.value !== null && r.value >= 0 ? r.value : undefined;
  }

  returnedDecoration(): Decoration | undefined {
    const p = this.sc.ret.fdPath;
    return p === undefined || this.sc.ret.errno !== undefined ? undefined : this.decoration(p);
  }
}

/** The directory of a normalised absolute path (`/` for `/` and top-level entries). */
function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function isAtFdcwd(dirfd: Arg): boolean {
  return (dirfd.t === 'sym' && dirfd.name === 'AT_FDCWD') || (dirfd.t === 'int' && dirfd.value === -100);
}

/**
 * A flat copy of a string. Strings built from the parser's output can be slices or concatenations
 * that keep whole log lines (or chunks) reachable; a profile entry lives until the end of the
 * trace, so what it keeps must be its own characters only.
 */
function flatCopy(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

export function createSummarizer(opts: SummarizerOptions = {}): Summarizer {
  return new SummarizerImpl(opts);
}

/** Summarize a stream of events (or of event batches, as `parseStraceBatches` yields them). */
export async function summarizeStream(
  events: AsyncIterable<TraceEvent | TraceEvent[]> | Iterable<TraceEvent | TraceEvent[]>,
  opts: SummarizerOptions = {},
  run?: Partial<RunInfo> | (() => Partial<RunInfo>),
): Promise<Profile> {
  const s = createSummarizer(opts);
  for await (const item of events) {
    if (Array.isArray(item)) for (const ev of item) s.push(ev);
    else s.push(item);
  }
  // A function lets the caller report what it only knows at the end (the parser's line counts).
  return s.finish(typeof run === 'function' ? run() : run);
}
