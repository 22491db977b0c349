/**
 * The controller side of one trace stream: bytes from the host's reader loop (optionally gzip)
 * → split into strace sessions at END_OF_TRACE lines → core/strace's streaming parser →
 * core/summary's summarizer, one per strace session. Nothing is buffered beyond one partial
 * line, so memory stays flat however long the window; each finished session becomes a small
 * Profile, merged at the end.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { StraceParser, newStats, type ParseStats } from '../../core/strace';
import { createSummarizer, HANDLED_SYSCALLS } from '../../core/summary';
import type { Profile } from '../../core/profile/schema';
import { END_OF_TRACE } from './session';

/** One strace session: one traced start of one Exec command. */
export interface TraceSegment {
  slot: string;
  /** 1-based count of strace sessions seen for this slot (across reconnects). */
  invocation: number;
  startedAt: Date;
  endedAt: Date;
  /** false when the stream ended before strace closed the FIFO (connection cut, forced end). */
  complete: boolean;
  bytes: number;
  stats: ParseStats;
  profile: Profile;
}

export interface CollectOptions {
  slot: string;
  /** RunInfo source prefix, e.g. `unit:nginx.service@host`. */
  source: string;
  compressed: boolean;
  /** The unit's working directory (the first traced process's cwd), when known. */
  cwd?: string;
  /** Number the next segment from here (a reconnect continues the slot's count). */
  firstInvocation?: number;
  onSegment?: (s: TraceSegment) => void;
  /** Bytes of trace text received so far on this stream. */
  onBytes?: (n: number) => void;
}

const MARKER = Buffer.from(END_OF_TRACE + '\n', 'latin1');
/** A partial line longer than this is handed to the parser as is (it cannot be a marker). */
const MAX_CARRY = 1024 * 1024;

class Segment {
  readonly stats: ParseStats = newStats();
  readonly parser: StraceParser;
  readonly summarizer: ReturnType<typeof createSummarizer>;
  readonly startedAt = new Date();
  bytes = 0;

  constructor(
    readonly invocation: number,
    cwd: string | undefined,
  ) {
    this.parser = new StraceParser({ fullParse: (n) => HANDLED_SYSCALLS.has(n), stats: this.stats });
    this.summarizer = createSummarizer(cwd ? { cwd } : {});
  }

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.bytes += b.length;
    for (const ev of this.parser.push(b)) this.summarizer.push(ev);
  }

  end(slot: string, source: string, complete: boolean): TraceSegment {
    for (const ev of this.parser.end()) this.summarizer.push(ev);
    const endedAt = new Date();
    const profile = this.summarizer.finish({
      source: `${source}#${slot}/${this.invocation}${complete ? '' : ' (incomplete)'}`,
      startedAt: this.startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      lines: this.stats.lines,
      unparsable: this.stats.unparsed,
    });
    return {
      slot,
      invocation: this.invocation,
      startedAt: this.startedAt,
      endedAt,
      complete,
      bytes: this.bytes,
      stats: this.stats,
      profile,
    };
  }
}

/**
 * Consumes one reader stream to its end. Resolves with the segments seen (the last one marked
 * incomplete if the stream stopped mid-trace). Never rejects on a broken stream: a cut
 * connection or a truncated gzip member ends the stream, and what arrived is kept.
 */
export async function collectStream(stream: Readable, opts: CollectOptions): Promise<TraceSegment[]> {
  const segments: TraceSegment[] = [];
  let next = opts.firstInvocation ?? 1;
  let current: Segment | undefined;
  let carry: Buffer = Buffer.alloc(0);
  let total = 0;

  const feed = (b: Buffer) => {
    if (b.length === 0) return;
    current ??= new Segment(next++, opts.cwd);
    current.push(b);
  };
  const close = (complete: boolean) => {
    if (!current) return;
    const s = current.end(opts.slot, opts.source, complete);
    current = undefined;
    segments.push(s);
    opts.onSegment?.(s);
  };

  const onChunk = (chunk: Buffer) => {
    total += chunk.length;
    opts.onBytes?.(total);
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) {
      if (buf.length > MAX_CARRY) {
        feed(buf);
        carry = Buffer.alloc(0);
      } else carry = buf;
      return;
    }
    const complete = buf.subarray(0, lastNl + 1);
    carry = Buffer.from(buf.subarray(lastNl + 1));
    let pos = 0;
    for (;;) {
      const at = findMarkerLine(complete, pos);
      if (at < 0) break;
      feed(complete.subarray(pos, at));
      close(true);
      pos = at + MARKER.length;
    }
    feed(complete.subarray(pos));
  };

  const source: Readable = opts.compressed ? stream.pipe(createGunzip()) : stream;
  if (opts.compressed) {
    // A cut connection truncates the gzip stream: end it quietly instead of failing the session.
    stream.on('error', () => source.emit('end'));
  }
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) onChunk(chunk);
  } catch {
    /* truncated gzip or channel error: keep what arrived */
  }
  feed(carry);
  close(false);
  return segments;
}

/** Index of a marker that starts a line at or after `from`, or -1. */
function findMarkerLine(buf: Buffer, from: number): number {
  let i = buf.indexOf(MARKER, from);
  while (i >= 0) {
    if (i === 0 || buf[i - 1] === 10) return i;
    i = buf.indexOf(MARKER, i + 1);
  }
  return -1;
}
