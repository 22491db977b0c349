/**
 * The live trace sink: each stream's FIFO is copied by a reader loop inside an SSH channel and
 * parsed on the controller as it arrives (collect.ts). Nothing accumulates on the host; a holder
 * process keeps every FIFO open for reading so that strace never blocks or gets EPIPE while no
 * reader is attached (between two traces, during a reconnect).
 */
import { HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import type { RemoteProcess } from '../connection';
import type { Host, HostExec } from '../host';
import { argv, sh, type ShellCommand } from '../shell';
import { collectStream, END_OF_TRACE, type TraceSegment } from './collect';
import { fifoPath, readerPidPath, type SessionPaths } from './layout';
import type { Link } from './link';
import type { Recorder } from './recorder';
import type { TraceSink } from './sink';
import { sleep } from './sleep';

/**
 * The most trace bytes an uncompressed reader holds before passing them on (see readerCopier). Small
 * on purpose: what it holds when the connection is cut is lost, so this bounds the loss of trace
 * written *before* a cut (about 25 lines). 8 KiB already turns ~25 one-line sshd writes into one.
 */
export const READER_BLOCK_BYTES = 8192;

/**
 * The copier of a stream's FIFO, as its argv (also what the takeover compares /proc/PID/cmdline
 * with). Uncompressed: `dd` in full blocks of READER_BLOCK_BYTES. strace writes one line per call
 * and a plain `cat` passed each on at once, so every traced call also woke sshd for an encrypted
 * one-line write; on the TCG test host that halved nginx's rate under profiling (the same strace,
 * readers swapped live, 5 rounds: cat 13-30 req/s, dd with 64 KiB blocks 14-49, gzip 13-39, the
 * FIFO read into /dev/null on the host 30-49). Compressed: gzip already writes in blocks, so `cat`.
 */
export function readerCopier(fifo: string, compress: boolean): string[] {
  return compress
    ? ['cat', '--', fifo]
    : ['dd', `if=${fifo}`, `bs=${READER_BLOCK_BYTES}`, 'iflag=fullblock', 'status=none'];
}

/**
 * The reader for one stream: copies the FIFO once per recording (each traced start of the command
 * opens and closes it once) and marks the end of each, until the stop flag exists. Output
 * optionally compressed. Runs inside the SSH channel: its stdout is the stream.
 *
 * Uncompressed, the copier holds up to READER_BLOCK_BYTES until the block is full or strace closes
 * the FIFO (end of its session, or the wake-up at the end of the window); the controller needs the
 * trace only at the end of each session.
 *
 * A reader first ends the copier of the reader it replaces. After a cut connection sshd does not
 * signal the old session's processes: the old copier stays on the FIFO, and what it reads next
 * (up to a pipe's worth of trace) would go to a dead channel, a gap in the middle of the trace.
 * Killed, it loses what it held: a `cat` blocked in read() nothing, `dd` its partial block (under
 * READER_BLOCK_BYTES of trace written before the cut, besides what was in flight). Either way that
 * stream's trace is marked incomplete (no end marker) and the profile says so. The pid is checked
 * against the command line (either copier) so a recycled pid is never killed.
 */
export function readerCommand(p: SessionPaths, stream: string, compress: boolean): ShellCommand {
  const fifo = fifoPath(p, stream);
  const pidFile = readerPidPath(p, stream);
  const copier = readerCopier(fifo, compress);
  const asCmdline = (argv: string[]) => `${argv.join(' ')} `;
  const takeOver = sh`if [ -r ${pidFile} ]; then old=$(cat -- ${pidFile}); if [ -n "$old" ]; then c=$(tr '\\0' ' ' < "/proc/$old/cmdline" 2>/dev/null); if [ "$c" = ${asCmdline(readerCopier(fifo, false))} ] || [ "$c" = ${asCmdline(readerCopier(fifo, true))} ]; then kill -TERM "$old" 2>/dev/null; fi; fi; fi`;
  // the copier runs in the background only so that its pid can be recorded; the loop waits for it
  const loop = sh`while [ ! -e ${p.stopFlag} ]; do ${argv(copier)} & echo "$!" > ${pidFile}; wait "$!" || break; printf '%s\\n' ${END_OF_TRACE}; done`;
  return compress ? sh`${takeOver}; { ${loop}; } | gzip -1` : sh`${takeOver}; ${loop}`;
}

/**
 * Ends the reader loops: sets the stop flag, then opens each FIFO read-write for an instant. That
 * counts as a writer, so a `cat` blocked in open() returns, reads end-of-file and its loop sees
 * the flag. Opening O_RDWR never blocks.
 */
export function wakeReadersCommand(p: SessionPaths): ShellCommand {
  return sh`touch -- ${p.stopFlag} 2>/dev/null; for f in ${p.fifoDir}/*; do [ -p "$f" ] && : 1<>"$f"; done; true`;
}

/**
 * The holder: one process per FIFO that opens it for reading and never reads. With it, a
 * command's strace never blocks in open() and never gets EPIPE, even while no controller reader
 * is attached (between two traces of a restarting unit, or during a reconnect): its writes wait
 * in the pipe and the next reader gets them. Runs as a transient unit outside the SSH session.
 */
export function holdCommand(p: SessionPaths, streams: readonly string[]): ShellCommand {
  if (streams.length === 0) return sh`true`;
  return argv([
    'systemd-run',
    '--quiet',
    `--unit=${p.holdUnit}`,
    '--description=hush profiling: keeps the trace FIFOs open',
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    p.holdScript,
    ...streams.map((s) => fifoPath(p, s)),
  ]);
}

/** The holder's script (a file: a transient service would expand `$VARS` in its arguments). */
export const HOLD_SCRIPT =
  '#!/bin/sh\n# hush: hold each FIFO open for reading without reading it.\nfor f in "$@"; do sleep infinity < "$f" & done\nwait\n';

/** One SSH reader stream per trace stream, re-attached after a reconnect. */
export class LiveSink implements TraceSink {
  readonly #active = new Map<string, { proc: RemoteProcess; done: Promise<TraceSegment[]> }>();
  readonly #segments: TraceSegment[] = [];
  readonly #count = new Map<string, number>();
  readonly #streams: readonly string[];
  #bytes = 0;
  #finishing = false;
  #started = false;
  #starting: Promise<void> | undefined;

  constructor(
    private readonly paths: SessionPaths,
    private readonly recorder: Recorder,
    private readonly compress: boolean,
    private readonly source: string,
    private readonly log: (l: string) => void,
  ) {
    this.#streams = recorder.streams.map((s) => s.id);
  }

  get startCommand(): ShellCommand {
    return sh`printf '%s' ${HOLD_SCRIPT} > ${this.paths.holdScript} && ${holdCommand(this.paths, this.#streams)}`;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Starts a reader for every stream that has none running. Serialized: the heartbeat re-attaches
   * readers concurrently with setup, and two readers on one FIFO would split a trace between them.
   */
  attach(conn: HostExec & Pick<Host, 'execStream'>): Promise<void> {
    this.#starting ??= this.#startMissing(conn).finally(() => {
      this.#starting = undefined;
      this.#started = true;
    });
    return this.#starting;
  }

  async #startMissing(conn: HostExec & Pick<Host, 'execStream'>): Promise<void> {
    for (const id of this.#streams) {
      if (this.#active.has(id)) continue;
      const proc = await conn.execStream(readerCommand(this.paths, id, this.compress));
      proc.stderr.resume();
      let last = 0;
      const done = collectStream(proc.stdout, {
        slot: id,
        source: this.source,
        compressed: this.compress,
        newSegment: () => this.recorder.newSegment(id),
        firstInvocation: (this.#count.get(id) ?? 0) + 1,
        onBytes: (n) => {
          this.#bytes += n - last;
          last = n;
        },
        onSegment: (seg) => {
          this.#count.set(id, seg.invocation);
          this.log(
            `trace ${seg.slot} #${seg.invocation}: ${seg.lines} lines${seg.complete ? '' : ' (incomplete)'}`,
          );
        },
      }).then((segs) => {
        this.#segments.push(...segs);
        this.#active.delete(id);
        return segs;
      });
      this.#active.set(id, { proc, done });
    }
  }

  get missing(): number {
    if (this.#finishing || !this.#started || this.#starting) return 0;
    return this.#streams.length - this.#active.size;
  }

  /** After the unit stopped: end the loops, wait for the last bytes; force stragglers out. */
  async drain(link: Link, timeoutMs: number): Promise<void> {
    this.#finishing = true;
    let conn = await link.get();
    if (this.#active.size < this.#streams.length) await this.attach(conn); // re-attach after a late cut
    await conn.exec(wakeReadersCommand(this.paths), { timeoutMs: HOST_CMD_TIMEOUT_MS });
    const all = () => Promise.all([...this.#active.values()].map((r) => r.done));
    const timedOut = await Promise.race([
      all().then(() => false),
      sleep(timeoutMs, undefined, { unref: true }).then(() => true),
    ]);
    if (timedOut) {
      this.log('some traces did not end after the stop (processes left behind?); detaching strace');
      conn = await link.get();
      await conn.exec(this.recorder.forceEndCommand(this.paths), { timeoutMs: HOST_CMD_TIMEOUT_MS });
      await conn.exec(wakeReadersCommand(this.paths), { timeoutMs: HOST_CMD_TIMEOUT_MS });
      const still = await Promise.race([
        all().then(() => false),
        sleep(10_000, undefined, { unref: true }).then(() => true),
      ]);
      if (still) this.abort();
    }
    await all();
  }

  abort(): void {
    this.#finishing = true;
    for (const r of this.#active.values()) r.proc.kill('KILL');
  }

  segments(): TraceSegment[] {
    return [...this.#segments];
  }
}
