/**
 * The TraceSink seam: how the recorder's streams leave the host and reach the parser.
 *
 * The start step creates one FIFO per stream (traceFiles.ts) and runs the sink's `startCommand`
 * (whatever must hold or consume the FIFOs before the unit restarts); `attach` connects the
 * controller to the streams, and is called again while `missing` > 0 (stream.ts, after a cut);
 * `drain` runs after the unit stopped and resolves once every stream has ended and been parsed.
 *
 * Two sinks: `live` (liveSink.ts), FIFO → `dd`/`cat` reader → SSH channel → parsed on the
 * controller as it arrives, nothing accumulates on the host; `spool` (remote/recording/spoolSink.ts),
 * the detached recording: the trace spooled on the host, compressed and size-capped; its
 * startCommand starts the host-side writer, attach does nothing, drain ends the recording on the
 * host and fetches and parses the spool.
 */
import type { Host, HostExec } from '../host';
import type { ShellCommand } from '../shell';
import type { TraceSegment } from './collect';
import type { SessionPaths } from './layout';
import type { Link } from './link';
import { SpoolSink } from '../recording/spoolSink';
import { LiveSink } from './liveSink';
import type { Recorder } from './recorder';
import type { SessionPlan } from './state';

export interface TraceSink {
  /** Run once on the host after the FIFOs exist, before the unit restarts. */
  readonly startCommand: ShellCommand;
  /** Connects to every stream that has no consumer; serialized. */
  attach(conn: HostExec & Pick<Host, 'execStream'>): Promise<void>;
  /** Streams whose consumer ended while the session goes on (a cut connection). */
  readonly missing: number;
  /** Trace bytes received so far. */
  readonly bytes: number;
  /** After the unit stopped: every stream to its end; forces writers out after `timeoutMs`. */
  drain(link: Link, timeoutMs: number): Promise<void>;
  /** Stops consuming at once (a failed step). */
  abort(): void;
  /** Every recording parsed so far. */
  segments(): TraceSegment[];
}

export function sinkFor(
  plan: SessionPlan,
  paths: SessionPaths,
  recorder: Recorder,
  log: (line: string) => void,
): TraceSink {
  switch (plan.sink.kind) {
    case 'live':
      return new LiveSink(paths, recorder, plan.sink.compress, plan.source, log);
    case 'spool':
      return new SpoolSink(paths, recorder, plan, plan.sink, log);
  }
}
