/**
 * The spool sink (remote/profile/sink.ts seam) of a detached recording: the trace stays on the host,
 * compressed and capped (spool.ts, hostScripts.ts), until a later `finish` fetches it.
 *
 * - startCommand: the recording directory, its scripts, the persistent deadline timer, the writer
 *   and the monitor (hostScripts.ts startRecordingCommand), before the unit restarts;
 * - attach / missing: nothing to attach, the writer on the host is the consumer;
 * - drain: ends the recording on the host (end.sh: the first end wins, so a recording its deadline
 *   already ended stays ended by the deadline), then reads each slot's spool file over SSH and
 *   parses it as it arrives (collectStream; a gzip stream of strace sessions separated by
 *   END_OF_TRACE). Memory on the controller stays flat whatever the spool's size.
 */
import { HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import type { Host, HostExec } from '../host';
import { sh, type ShellCommand } from '../shell';
import { collectStream, type TraceSegment } from '../profile/collect';
import type { SessionPaths } from '../profile/layout';
import type { Link } from '../profile/link';
import type { Recorder } from '../profile/recorder';
import type { TraceSink } from '../profile/sink';
import type { SessionPlan, SinkState } from '../profile/state';
import { endCommand, startRecordingCommand } from './hostScripts';
import { recordingPaths, spoolFile, type RecordingPaths } from './spool';

/** The recording of a unit: same slug as its profiling session. */
export function recordingPathsOf(sp: SessionPaths): RecordingPaths {
  return recordingPaths(sp.unit, sp.slug);
}

export class SpoolSink implements TraceSink {
  readonly #rec: RecordingPaths;
  readonly #segments: TraceSegment[] = [];
  #bytes = 0;
  #aborted = false;

  constructor(
    private readonly paths: SessionPaths,
    private readonly recorder: Recorder,
    private readonly plan: Pick<SessionPlan, 'session' | 'startedAt' | 'wasActive' | 'source'>,
    private readonly state: Extract<SinkState, { kind: 'spool' }>,
    private readonly log: (line: string) => void,
  ) {
    this.#rec = recordingPathsOf(paths);
  }

  get startCommand(): ShellCommand {
    return startRecordingCommand(this.#rec, this.paths, {
      session: this.plan.session,
      startedAt: this.plan.startedAt,
      deadline: new Date(this.state.deadline),
      capBytes: this.state.capBytes,
      wasActive: this.plan.wasActive,
      slots: this.recorder.streams.map((s) => s.id),
    });
  }

  attach(_conn: HostExec & Pick<Host, 'execStream'>): Promise<void> {
    return Promise.resolve();
  }

  get missing(): number {
    return 0;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Ends the recording on the host (restores the unit if it still runs wrapped), then fetches. */
  async drain(link: Link, timeoutMs: number): Promise<void> {
    const conn = await link.get();
    await conn.exec(endCommand(this.#rec, 'finish'), {
      check: true,
      timeoutMs: Math.max(timeoutMs, HOST_CMD_TIMEOUT_MS),
    });
    for (const s of this.recorder.streams) {
      if (this.#aborted) return;
      await this.#fetch(conn, s.id);
    }
  }

  async #fetch(conn: HostExec & Pick<Host, 'execStream'>, slot: string): Promise<void> {
    const file = spoolFile(this.#rec, slot);
    // A slot that never traced anything has no file (its command never ran): nothing to read.
    const proc = await conn.execStream(sh`if [ -e ${file} ]; then cat -- ${file}; fi`);
    proc.stderr.resume();
    let last = 0;
    const segs = await collectStream(proc.stdout, {
      slot,
      source: this.plan.source,
      compressed: true,
      newSegment: () => this.recorder.newSegment(slot),
      onBytes: (n) => {
        this.#bytes += n - last;
        last = n;
      },
      onSegment: (seg) =>
        this.log(
          `spool ${seg.slot} #${seg.invocation}: ${seg.lines} lines${seg.complete ? '' : ' (incomplete)'}`,
        ),
    });
    this.#segments.push(...segs);
  }

  abort(): void {
    this.#aborted = true;
  }

  segments(): TraceSegment[] {
    return [...this.#segments];
  }
}
