/**
 * The controller side of one trace stream: bytes from the host's reader loop (optionally gzip)
 * → split into recordings at END_OF_TRACE lines → the recorder's parser (recorder.ts: for strace,
 * core/strace's streaming parser and core/summary's summarizer), one per recording. Nothing is
 * buffered beyond one partial line, so memory stays flat however long the window; each finished
 * recording becomes a small Profile, merged at the end.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Profile } from '../../core/profile/schema';

/**
 * A line no recorder writes (strace's lines start with a pid or a syscall name): the reader loop
 * on the host writes it after each recording (one traced start of one command) of a stream.
 */
export const END_OF_TRACE = '#hush:end-of-trace';

/** Turns the bytes of one recording into a profile (one run). Supplied by the recorder. */
export interface SegmentParser {
  push(bytes: Buffer): void;
  finish(run: { source: string; startedAt: string; endedAt: string }): { profile: Profile; lines: number };
}

/** One recording: one traced start of one Exec command. */
export interface TraceSegment {
  slot: string;
  /** 1-based count of recordings seen for this stream (across reconnects). */
  invocation: number;
  startedAt: Date;
  endedAt: Date;
  /** false when the stream ended before the recording was closed (connection cut, forced end). */
  complete: boolean;
  bytes: number;
  /** Trace lines (or events) parsed. */
  lines: number;
  profile: Profile;
}

export interface CollectOptions {
  slot: string;
  /** RunInfo source prefix, e.g. `unit:nginx.service@host`. */
  source: string;
  compressed: boolean;
  /** A parser for the next recording. */
  newSegment: () => SegmentParser;
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
  readonly startedAt = new Date();
  bytes = 0;

  constructor(
    readonly invocation: number,
    private readonly parser: SegmentParser,
  ) {}

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.bytes += b.length;
    this.parser.push(b);
  }

  end(slot: string, source: string, complete: boolean): TraceSegment {
    const endedAt = new Date();
    const { profile, lines } = this.parser.finish({
      source: `${source}#${slot}/${this.invocation}${complete ? '' : ' (incomplete)'}`,
      startedAt: this.startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
    });
    return {
      slot,
      invocation: this.invocation,
      startedAt: this.startedAt,
      endedAt,
      complete,
      bytes: this.bytes,
      lines,
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
    current ??= new Segment(next++, opts.newSegment());
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
