/**
 * The dynamic providers' implementations, loaded inside the dynamic-provider process by the
 * trampolines of provider/load.ts. Host work is delegated to remote/, hardening logic to core/:
 * this file only maps Pulumi's CRUD calls onto them and shapes the state.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { z } from 'zod';
import { isDeepStrictEqual } from 'node:util';
import { canonicalJson, fingerprint, fingerprintChanges, type Fingerprint } from '../core/profile';
import { connect, type Connection } from '../remote/connection';
import { probe } from '../remote/probe';
import { profileService, type ProfileServiceOptions } from '../remote/profile';
import { applyDropIn } from '../remote/apply';
import { reset } from '../remote/reset';
import { liveExposure, readDropInState } from '../remote/hardeningState';
import {
  checkFailures,
  HardeningDropInInputs,
  ServiceProfileInputs,
  type ServiceProfileInputs as ProfileIn,
} from './inputs';

type Outs = Record<string, unknown>;

/**
 * The user's inputs out of what the engine hands over: without the serialized provider
 * (`__provider`) and without unset values, so the strict schemas see only real fields.
 */
function userInputs(raw: Outs): Outs {
  const out: Outs = {};
  for (const [k, v] of Object.entries(raw)) if (k !== '__provider' && v !== undefined) out[k] = v;
  return out;
}

/** Runs `fn` with a fresh connection and always closes it. */
async function withConnection<T>(connection: unknown, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await connect(connection as ProfileIn['connection']);
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

/** The host a connection points at: moving it is a replacement, rotating credentials is not. */
function target(connection: unknown): string {
  const c = (connection ?? {}) as { host?: string; port?: number };
  return `${c.host ?? ''}:${c.port ?? 22}`;
}

/** Milliseconds as seconds with one decimal. */
const seconds = (ms: number) => Math.round(ms / 100) / 10;

function changedKeys(olds: Outs, news: Outs, keys: readonly string[]): string[] {
  return keys.filter((k) => !isDeepStrictEqual(olds[k] ?? null, news[k] ?? null));
}

// ------------------------------------------------------------------------------ ServiceProfile

/**
 * The profiling session a ServiceProfile asks for (remote/profile/), without the connection.
 * Whatever the inputs leave out (e.g. `tracing`) is left out here too, so the engine's default applies.
 */
export function profileSessionOptions(
  args: z.output<typeof ServiceProfileInputs>,
): Omit<ProfileServiceOptions, 'connect'> {
  const w = args.window;
  return {
    unit: args.unit,
    ...(w.durationSeconds !== undefined ? { durationMs: w.durationSeconds * 1000 } : {}),
    ...(w.workload !== undefined ? { remoteWorkload: w.workload } : {}),
    ...(w.localWorkload !== undefined ? { localWorkload: w.localWorkload } : {}),
    ...(args.tracing !== undefined ? { tracing: args.tracing } : {}),
  };
}

export const serviceProfile = {
  async check(_olds: Outs, news: Outs): Promise<pulumi.dynamic.CheckResult> {
    const failures = checkFailures(ServiceProfileInputs, userInputs(news));
    return failures.length ? { inputs: news, failures } : { inputs: news };
  },

  async diff(_id: string, olds: Outs, news: Outs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ['unit', 'window', 'tracing', 'triggers']);
    if (target(olds.connection) !== target(news.connection)) replaces.push('connection');
    // Set by read (refresh) when the host's binaries/systemd/kernel no longer match the profile.
    if (
      olds.currentFingerprint &&
      olds.currentFingerprint !== (olds.profiledFingerprint as Fingerprint)?.digest
    )
      replaces.push('hostFingerprint');
    const credentials = !isDeepStrictEqual(olds.connection, news.connection);
    return { changes: replaces.length > 0 || credentials, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: Outs): Promise<pulumi.dynamic.CreateResult> {
    const args = ServiceProfileInputs.parse(userInputs(inputs));
    const result = await profileService({
      ...profileSessionOptions(args),
      connect: () => connect(args.connection),
    });
    const facts = result.profile.host;
    if (!facts) throw new Error(`profiling ${args.unit} returned no host facts`);
    const fp = fingerprint(facts);
    const outs = {
      ...inputs,
      unit: result.unit,
      profile: canonicalJson(result.profile),
      profiledFingerprint: fp,
      currentFingerprint: fp.digest,
      reprofileReasons: [],
      stats: {
        lines: result.profile.runs.reduce((n, r) => n + r.lines, 0),
        syscalls: result.profile.runs.reduce((n, r) => n + r.syscalls, 0),
        actions: result.profile.actions.length,
        traceBytes: result.traceBytes,
        windowSeconds: seconds(result.timings.windowMs),
        // How strace traced (the input, or the engine's choice when it was left to it).
        tracing: result.tracing,
        // Where the session's time went: the cost of profiling beyond the window itself.
        setupSeconds: seconds(result.timings.setupMs),
        wrappedRestartSeconds: seconds(result.timings.wrappedRestartMs),
        finishSeconds: seconds(result.timings.finishMs),
        totalSeconds: seconds(result.timings.totalMs),
      },
    };
    return { id: `${target(args.connection)}/${result.unit}`, outs };
  },

  async read(id: string, props: Outs): Promise<pulumi.dynamic.ReadResult> {
    const facts = await withConnection(props.connection, (conn) => probe(conn, String(props.unit)));
    const now = fingerprint(facts);
    const reasons = fingerprintChanges(props.profiledFingerprint as Fingerprint, now);
    return { id, props: { ...props, currentFingerprint: now.digest, reprofileReasons: reasons } };
  },

  /** Only credentials reach here (everything else replaces): keep the profile, take the new inputs. */
  async update(_id: string, olds: Outs, news: Outs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: { ...olds, ...news } };
  },

  /** Profiling leaves nothing on the host (the session restores the unit); nothing to undo. */
  async delete(): Promise<void> {},
};

// ------------------------------------------------------------------------------ HardeningDropIn

type DropInArgs = ReturnType<typeof HardeningDropInInputs.parse>;

/**
 * Writes, verifies (rolling back on failure: remote/apply.ts throws ApplyError with the journal)
 * and measures the live exposure before and after, on one connection.
 */
async function applyAndMeasure(args: DropInArgs) {
  return withConnection(args.connection, async (conn) => {
    const exposureBefore = await liveExposure(conn, args.unit);
    const applied = await applyDropIn(conn, args.unit, args.content, {
      ...(args.healthCommand !== undefined ? { health: args.healthCommand } : {}),
      ...(args.settleSeconds !== undefined ? { settleMs: args.settleSeconds * 1000 } : {}),
    });
    const state = await readDropInState(conn, args.unit);
    const exposureAfter = await liveExposure(conn, args.unit);
    return { applied, state, exposureBefore, exposureAfter };
  });
}

export const hardeningDropIn = {
  async check(_olds: Outs, news: Outs): Promise<pulumi.dynamic.CheckResult> {
    const failures = checkFailures(HardeningDropInInputs, userInputs(news));
    return failures.length ? { inputs: news, failures } : { inputs: news };
  },

  async diff(_id: string, olds: Outs, news: Outs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = changedKeys(olds, news, ['unit']);
    if (target(olds.connection) !== target(news.connection)) replaces.push('connection');
    const changed = changedKeys(olds, news, ['content', 'healthCommand', 'settleSeconds']);
    // Refresh found the host out of line with the state: an update puts the declared bytes back.
    if (olds.drift) changed.push('drift');
    const credentials = !isDeepStrictEqual(olds.connection, news.connection);
    return {
      changes: replaces.length > 0 || changed.length > 0 || credentials,
      replaces,
      // The old and new resource may name the same file: remove the old one first.
      deleteBeforeReplace: true,
    };
  },

  async create(inputs: Outs): Promise<pulumi.dynamic.CreateResult> {
    const args = HardeningDropInInputs.parse(userInputs(inputs));
    const r = await applyAndMeasure(args);
    const outs = {
      ...inputs,
      unit: r.applied.unit,
      path: r.applied.path,
      unitDigest: r.state.unitDigest,
      drift: null,
      exposureBefore: r.exposureBefore,
      exposureAfter: r.exposureAfter,
    };
    return { id: `${target(args.connection)}${r.applied.path}`, outs };
  },

  async read(id: string, props: Outs): Promise<pulumi.dynamic.ReadResult> {
    const now = await withConnection(props.connection, (conn) => readDropInState(conn, String(props.unit)));
    let drift: string | null = null;
    if (now.content === null) drift = 'deleted';
    else if (now.content !== props.content) drift = 'edited';
    else if (props.unitDigest && now.unitDigest !== props.unitDigest) drift = 'unit-changed';
    return { id, props: { ...props, drift } };
  },

  async update(_id: string, olds: Outs, news: Outs): Promise<pulumi.dynamic.UpdateResult> {
    const args = HardeningDropInInputs.parse(userInputs(news));
    const r = await applyAndMeasure(args);
    return {
      outs: {
        ...news,
        unit: r.applied.unit,
        path: r.applied.path,
        unitDigest: r.state.unitDigest,
        drift: null,
        // The exposure before hush, not before this update.
        exposureBefore: olds.exposureBefore ?? r.exposureBefore,
        exposureAfter: r.exposureAfter,
      },
    };
  },

  /** Removes hush's file (and any profiling leftovers), reloads, restarts: the unit as before hush. */
  async delete(_id: string, props: Outs): Promise<void> {
    await withConnection(props.connection, (conn) => reset(conn, String(props.unit)));
  },
};
