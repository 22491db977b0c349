/**
 * A session's state on the host, in two files of the session directory (layout.ts):
 *
 * - `state`: key=value lines the host's shell reads (restore.sh: was the unit active; the
 *   leftover check: the watchdog timeout). Kept tiny and line-based for `sed`.
 * - `plan.json`: the whole plan (SessionPlan), so that the steps after `start` need nothing from
 *   the process that started the session: `finish` reads it back (and a finish in another
 *   process, after the controller that started the session has left, reads the same file).
 *
 * Both are written once by the start step, root-only (traceFiles.ts), and parsed with zod here:
 * a session directory is host state like any other input.
 */
import { z } from 'zod';
import { HostFacts } from '../../core/profile/hostFacts';
import { UnitInfo } from '../../core/profiling/unitInfo';
import { Slot } from '../../core/profiling/wrapper';
import { ProfilingError } from '../../core/profiling/errors';
import { keyValueLines } from '../keyValueLines';

// ------------------------------------------------------------------------ key=value state

export interface SessionState {
  session: string;
  wasActive: boolean;
  watchdogTimeoutSec: number;
  startedAt: string;
}

export function renderState(s: SessionState): string {
  return [
    `session=${s.session}`,
    `was_active=${s.wasActive ? 'yes' : 'no'}`,
    `watchdog_timeout=${s.watchdogTimeoutSec}`,
    `started_at=${s.startedAt}`,
  ].join('\n');
}

export function parseState(text: string): Partial<SessionState> {
  const kv = keyValueLines(text);
  const out: Partial<SessionState> = {};
  const session = kv.get('session');
  if (session) out.session = session;
  const was = kv.get('was_active');
  if (was) out.wasActive = was === 'yes';
  const t = Number(kv.get('watchdog_timeout'));
  if (Number.isFinite(t) && t > 0) out.watchdogTimeoutSec = t;
  const started = kv.get('started_at');
  if (started) out.startedAt = started;
  return out;
}

// ------------------------------------------------------------------------ the plan

/**
 * What records the unit (recorder.ts): strace wrapping every Exec command through a runtime
 * drop-in, or the in-kernel recorder watching the unit's cgroup from outside.
 */
export const RecorderState = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('strace-wrapper'),
    /** How strace traces; finish re-derives the decision trace set from it (chooseTracing). */
    tracing: z.enum(['decisions', 'full']),
    /** strace's path on the host (stragglers are found by it). */
    stracePath: z.string(),
    /** The wrapper drop-in as installed. */
    dropIn: z.string(),
    slots: z.array(Slot),
  }),
  z.strictObject({
    /** hush's in-kernel recorder (remote/profile/ebpfRecorder.ts): no unit change. */
    kind: z.literal('ebpf'),
    /** The uploaded binary on the host. */
    binary: z.string().regex(/^\/var\/lib\/hush\/recorder\/hush-recorder-[0-9a-f]{16}$/),
    /** The unit's cgroup below the v2 hierarchy's root. */
    cgroup: z.string().regex(/^\/[A-Za-z0-9:_.\\@/-]+$/),
    cgroupRoot: z.enum(['/sys/fs/cgroup', '/sys/fs/cgroup/unified']),
  }),
]);
export type RecorderState = z.infer<typeof RecorderState>;

/**
 * How the trace leaves the host (sink.ts): `live`, FIFO → reader → SSH channel → parsed on the
 * controller as it arrives; `spool`, a detached recording (remote/recording): written compressed
 * on the host until its deadline or the cap, fetched and parsed by a later finish.
 */
export const SinkState = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('live'),
    /** gzip on the host before the SSH channel. */
    compress: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('spool'),
    /** When the host ends the recording (ISO time, UTC). */
    deadline: z.iso.datetime(),
    /** The cap of the compressed spool, in bytes. */
    capBytes: z.number().int().positive(),
  }),
]);
export type SinkState = z.infer<typeof SinkState>;

export const SESSION_PLAN_FORMAT = 1;

export const SessionPlan = z.strictObject({
  format: z.literal(SESSION_PLAN_FORMAT),
  unit: z.string(),
  /** Random id of this session (also in the wrapper drop-in's comment). */
  session: z.string(),
  startedAt: z.string(),
  /** The unit ran before the session: restore starts it again. */
  wasActive: z.boolean(),
  watchdogTimeoutSec: z.number().int().positive(),
  /** How long one restart (stop + start) may take (core/profiling/timeouts.ts). */
  restartTimeoutMs: z.number().int().positive(),
  settleTimeoutMs: z.number().int().nonnegative(),
  /** RunInfo source prefix of every trace, `unit:nginx.service@host`. */
  source: z.string(),
  /** The first traced process's working directory, when known. */
  cwd: z.string().optional(),
  /** The unit as it was before the session (restore compares `systemctl cat` with it). */
  info: UnitInfo,
  /**
   * hush's own hardening drop-in was set aside for the session (setAside.ts): `info` and `facts`
   * were read without it. `catBefore`: `systemctl cat` before that, what restore compares with.
   */
  setAside: z.strictObject({ catBefore: z.string() }).optional(),
  /** Probed host facts, when the probe ran and succeeded. */
  facts: HostFacts.optional(),
  recorder: RecorderState,
  sink: SinkState,
});
export type SessionPlan = z.infer<typeof SessionPlan>;

export function renderPlan(plan: SessionPlan): string {
  return JSON.stringify(plan) + '\n';
}

/** Parses plan.json read back from the host; a damaged file is an error naming the field. */
export function parsePlan(text: string): SessionPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ProfilingError(`the session's plan on the host is not JSON: ${(err as Error).message}`);
  }
  const r = SessionPlan.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ProfilingError(
      `the session's plan on the host is invalid: ${first ? `${first.path.join('.')}: ${first.message}` : r.error.message}`,
    );
  }
  return r.data;
}
