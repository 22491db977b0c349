/**
 * zod schemas of the dynamic resources' inputs. `check` runs them during `pulumi preview`, so bad
 * input fails the preview with the field named (never echoing a secret value).
 */
import { z } from 'zod';
import { ConnectionArgs } from '../remote/connection';
import { HardeningMode } from '../core/resolve/plan';
import { OptionOverrides } from '../core/resolve/settings';
import type { Tracing } from '../core/tracing';
import { parseSize } from '../remote/recording/spool';
import type { SessionUnitPolicy } from '../remote/sessionUnits';

/** `until` of a recording: a duration from its start (30m, 6h, 2d) or an ISO 8601 time with a zone. */
const RECORD_UNTIL =
  /^(\d+(\.\d+)?(s|m|h|d)|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))$/;

/**
 * A detached recording (issue 14; `hush profile start`): the first `up` starts it and returns;
 * the host keeps the trace and restores the unit at the deadline on its own; the first `up` after
 * the deadline finishes it (fetch, summarize) and the profile is taken from it.
 */
export const RecordWindow = z.strictObject({
  /**
   * When the recording ends: a duration from its start (`30m`, `6h`, `2d`) or an ISO 8601 time
   * with a zone. At least a minute and at most 30 days after the start (checked when it starts).
   */
  until: z.string().regex(RECORD_UNTIL, 'must be a duration (30m, 6h, 2d) or an ISO 8601 time with a zone'),
  /** The compressed spool's cap (`500M`, `2G`; at least 1M, default 1G): the recording ends there. */
  maxTrace: z
    .string()
    .refine((t) => {
      try {
        parseSize(t, 'maxTrace');
        return true;
      } catch {
        return false;
      }
    }, 'must be a size like 500M or 2G, at least 1M')
    .optional(),
});
export type RecordWindow = z.infer<typeof RecordWindow>;

/**
 * How long, and with what load, a service is watched: an inline window (`durationSeconds` and/or
 * workloads: one `up` profiles) or a detached recording (`record`: one `up` starts it, a later
 * one finishes it). At least one field; `record` goes alone.
 */
export const ProfileWindow = z
  .strictObject({
    /** Seconds to watch the service (with a workload: at least this long). */
    durationSeconds: z.number().positive().max(86_400).optional(),
    /** A shell command run on the host, as root, during the window (e.g. a curl loop). */
    workload: z.string().min(1).optional(),
    /** A shell command run on the controller (where Pulumi runs) during the window. */
    localWorkload: z.string().min(1).optional(),
    /** A detached recording instead of an inline window (RecordWindow). */
    record: RecordWindow.optional(),
  })
  .refine(
    (w) =>
      w.durationSeconds !== undefined ||
      w.workload !== undefined ||
      w.localWorkload !== undefined ||
      w.record !== undefined,
    { message: 'needs durationSeconds, workload, localWorkload or record' },
  )
  .refine(
    (w) =>
      w.record === undefined ||
      (w.durationSeconds === undefined && w.workload === undefined && w.localWorkload === undefined),
    {
      message:
        'record goes alone: a recording watches real traffic until its deadline (no duration or workload)',
      path: ['record'],
    },
  );
export type ProfileWindow = z.infer<typeof ProfileWindow>;

/**
 * How strace traces during the window (core/tracing; `hush profile --tracing`): `decisions`
 * (strace --seccomp-bpf stops only on syscalls that can change a decision) or `full` (every
 * syscall). Absent: the engine's default (core/profiling chooseTracing: `decisions` where the
 * host's strace has --seccomp-bpf and the unit allows it, else `full`). Asking for `decisions`
 * where it is unavailable fails the profiling before the unit is touched.
 */
export const TracingInput = z.enum(['decisions', 'full'], {
  error: () => 'must be decisions or full',
});
// Fails to compile when core/tracing gains a mode this input does not offer (or loses one).
const tracingInSync: [Tracing, z.infer<typeof TracingInput>] extends [z.infer<typeof TracingInput>, Tracing]
  ? true
  : never = true;
void tracingInSync;

/**
 * Units whose children are sessions (remote/sessionUnits.ts SessionUnitPolicy), spelled out here
 * so that the public types do not reach the SSH layer's (ssh2's types are not a dependency).
 */
export const SessionUnitInput = z.enum(['refuse', 'session-safe', 'sandbox-sessions'], {
  error: () => 'must be refuse, session-safe or sandbox-sessions',
});
// Fails to compile when the engine's policy gains or loses a value this input does not.
const sessionUnitInSync: [SessionUnitPolicy, z.infer<typeof SessionUnitInput>] extends [
  z.infer<typeof SessionUnitInput>,
  SessionUnitPolicy,
]
  ? true
  : never = true;
void sessionUnitInSync;

export const ServiceProfileInputs = z.strictObject({
  connection: ConnectionArgs,
  unit: z.string().min(1),
  window: ProfileWindow,
  /** See TracingInput. A change re-profiles (the profile is what this tracing saw). */
  tracing: TracingInput.optional(),
  /** Any values: a change re-profiles the service (like @pulumi/command's triggers). */
  triggers: z.array(z.unknown()).optional(),
  /** Units whose children are sessions (remote/sessionUnits.ts): checked before profiling. */
  sessionUnit: SessionUnitInput.optional(),
});
export type ServiceProfileInputs = z.input<typeof ServiceProfileInputs>;

export const HardeningDropInInputs = z.strictObject({
  connection: ConnectionArgs,
  unit: z.string().min(1),
  /**
   * The drop-in text (core/dropin renderDropIn output). Absent: nothing declared yet (a
   * HardenedService whose profile is still recording): hush writes nothing and leaves the host's
   * file as it is.
   */
  content: z.string().min(1).optional(),
  /** A shell command run on the host after the restart; non-zero exit rolls the drop-in back. */
  healthCommand: z.string().min(1).optional(),
  /** Seconds the unit must stay active after the restart before it counts as healthy. */
  settleSeconds: z.number().min(0).max(600).optional(),
  /** Units whose children are sessions (remote/sessionUnits.ts): checked against the drop-in. */
  sessionUnit: SessionUnitInput.optional(),
});
export type HardeningDropInInputs = z.input<typeof HardeningDropInInputs>;

export const HardenedServiceSettings = z.strictObject({
  mode: HardeningMode.default('conservative'),
  overrides: OptionOverrides.optional(),
});

/**
 * What the engine passes for a value not known yet during preview (an output of a resource not
 * created yet). The dynamic-provider server uses this exact string.
 */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

function unknownPaths(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (value === UNKNOWN) out.push(path);
  else if (Array.isArray(value)) value.forEach((v, i) => unknownPaths(v, [...path, String(i)], out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) unknownPaths(v, [...path, k], out);
  return out;
}

/**
 * zod issues as Pulumi CheckFailures: the property path and a message without the value. Issues
 * at (or under) a value that is still unknown during preview are not failures yet.
 */
export function checkFailures(schema: z.ZodType, input: unknown): { property: string; reason: string }[] {
  const r = schema.safeParse(input);
  if (r.success) return [];
  const unknown = unknownPaths(input).map((p) => p.join('.'));
  const pending = (path: string) => unknown.some((u) => path === u || path.startsWith(u + '.'));
  return r.error.issues
    .filter((i) => !pending(i.path.map(String).join('.')))
    .map((i) => ({
      property: i.path.map(String).join('.') || '(input)',
      reason: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message,
    }));
}
