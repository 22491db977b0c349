/**
 * HardeningDropIn's operations, shared by the provider plugin and the dynamic provider: hush's
 * drop-in of one unit (`<unit>.d/zz-hush-hardening.conf`) as declarative state.
 *
 * - create/update write it, reload, restart and verify, rolling back on failure
 *   (remote/apply.ts); update leaves the host alone when the options are the same (an upgrade of
 *   hush changes the header's version line, which is not compared).
 * - read (refresh) reports drift: edited, deleted, or the unit itself changed.
 * - import adopts hush's file as it is (written by `hush apply` or another stack), or a unit that
 *   has no hush file yet (hardened by hand, or not at all): its own hardening is recorded and
 *   never touched; the next update writes hush's file on top.
 * - delete removes hush's file only (remote/reset.ts): `systemctl cat` as it was before hush.
 * - without `content` (a HardenedService whose profile is still recording) nothing is declared
 *   yet: create and update leave the host alone (hush's file, if any, stays as it is), and delete
 *   of a resource that never wrote a file touches nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { compareDropIns } from '../../core/dropin';
import { optionRegistry } from '../../core/systemd/options';
import { ConnectionArgs, type Connection, type ConnectionConfig } from '../../remote/connection';
import { parseRunnableUnitName } from '../../core/systemd/unitName';
import { applyDropIn, type ApplyResult } from '../../remote/apply';
import { reset } from '../../remote/reset';
import {
  hardeningOutsideHush,
  liveExposure,
  readDropInState,
  unitCatText,
  type DropInState,
} from '../../remote/hardeningState';
import { hardeningPaths } from '../../remote/paths';
import { HardeningDropInInputs, UNKNOWN } from '../inputs';
import { HardeningDropInState, type Drift } from '../state';
import { collectingWarnings, targetOf, withConnection, type OperationContext } from './context';
import { connectionChange, type Diff, type RawInputs } from './diff';
import { importCredentials, parseImportId } from './importId';
import { inInputWords } from './sessionPolicy';

export type HardeningDropInArgs = z.output<typeof HardeningDropInInputs>;

/**
 * Whether two drop-in texts set the same options (comments, hush's header with its version, and
 * spelling that systemd reads the same are ignored). null (no file) equals only null.
 */
export function sameOptions(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return compareDropIns(a, b).equal;
}

export function diffHardeningDropIn(olds: HardeningDropInState, news: RawInputs): Diff {
  const replaces: string[] = [];
  if (!isDeepStrictEqual(olds.unit, news.unit)) replaces.push('unit');
  const connection = connectionChange(olds.connection, news.connection);
  if (connection === 'target') replaces.push('connection');
  const changed: string[] = [];
  const content = news.content;
  // Absent content declares nothing (yet): not a change, the host keeps what it has.
  if (
    content !== undefined &&
    (typeof content !== 'string' || content === UNKNOWN || !sameOptions(olds.content, content))
  )
    changed.push('content');
  for (const k of ['healthCommand', 'settleSeconds', 'sessionUnit'] as const)
    if (!isDeepStrictEqual(olds[k] ?? null, news[k] ?? null)) changed.push(k);
  // Refresh found the host out of line with the state: an update puts the declared bytes back.
  if (olds.drift) changed.push('drift');
  return {
    changes: replaces.length > 0 || changed.length > 0 || connection !== 'none',
    replaces,
    // The old and new resource may name the same file: remove the old one first.
    deleteBeforeReplace: true,
  };
}

/** Applies (verify, roll back on failure) and measures the live exposure around it, on one connection. */
async function applyAndMeasure(
  conn: Connection,
  args: HardeningDropInArgs & { content: string },
  ctx: OperationContext,
) {
  const exposureBefore = await liveExposure(conn, args.unit);
  const applied: ApplyResult = await applyDropIn(conn, args.unit, args.content, {
    ...(args.healthCommand !== undefined ? { health: args.healthCommand } : {}),
    ...(args.settleSeconds !== undefined ? { settleMs: args.settleSeconds * 1000 } : {}),
    ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
    log: (line) => ctx.info(line),
  }).catch((err: unknown) => {
    throw inInputWords(err);
  });
  if (applied.verdict === 'unverified')
    ctx.warn(
      `${applied.unit} is not running, so the new drop-in could not be verified (it takes effect at its next start)`,
    );
  for (const line of applied.journal) ctx.warn(`${applied.unit} journal after the restart: ${line}`);
  const state = await readDropInState(conn, args.unit);
  const exposureAfter = await liveExposure(conn, args.unit);
  ctx.info(
    `${applied.unit}: exposure ${exposureBefore ?? '?'} → ${exposureAfter ?? '?'} (systemd-analyze security)`,
  );
  return { applied, state, exposureBefore, exposureAfter };
}

export async function createHardeningDropIn(
  args: HardeningDropInArgs,
  outer: OperationContext,
): Promise<{ id: string; state: HardeningDropInState }> {
  const { ctx, warnings } = collectingWarnings(outer);
  const connection = ConnectionArgs.parse(args.connection);
  const content = args.content;
  if (content === undefined) return pendingDropIn(args, connection, ctx);
  const r = await withConnection(connection, ctx, (conn) => applyAndMeasure(conn, { ...args, content }, ctx));
  return {
    id: `${targetOf(connection)}${r.applied.path}`,
    state: {
      connection: args.connection,
      unit: r.applied.unit,
      content,
      ...(args.healthCommand !== undefined ? { healthCommand: args.healthCommand } : {}),
      ...(args.settleSeconds !== undefined ? { settleSeconds: args.settleSeconds } : {}),
      ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
      path: r.applied.path,
      unitDigest: r.state.unitDigest,
      drift: null,
      exposureBefore: r.exposureBefore,
      exposureAfter: r.exposureAfter,
      existingHardening: [],
      warnings,
    },
  };
}

/**
 * A drop-in with nothing declared yet: the host is not touched (not even dialled); the state
 * says no file of this resource exists (content null), so delete leaves the host alone too.
 */
function pendingDropIn(
  args: HardeningDropInArgs,
  connection: ConnectionConfig,
  ctx: OperationContext,
): { id: string; state: HardeningDropInState } {
  const unit = parseRunnableUnitName(args.unit).unit;
  const path = hardeningPaths(unit).file;
  ctx.info(
    `${unit}: no drop-in declared yet (its profile is still being recorded); the host is left as it is`,
  );
  return {
    id: `${targetOf(connection)}${path}`,
    state: {
      connection: args.connection,
      unit,
      content: null,
      ...(args.healthCommand !== undefined ? { healthCommand: args.healthCommand } : {}),
      ...(args.settleSeconds !== undefined ? { settleSeconds: args.settleSeconds } : {}),
      ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
      path,
      drift: null,
      exposureBefore: null,
      exposureAfter: null,
      existingHardening: [],
      warnings: [],
    },
  };
}

function driftOf(olds: HardeningDropInState, now: DropInState): Drift | null {
  if (olds.content === null) return now.content === null ? null : 'edited';
  if (now.content === null) return 'deleted';
  if (now.content !== olds.content) return 'edited';
  if (olds.unitDigest && now.unitDigest !== olds.unitDigest) return 'unit-changed';
  return null;
}

const DRIFT_WHY: Record<Drift, string> = {
  edited: 'was edited on the host',
  deleted: 'was deleted on the host',
  'unit-changed': "unit's own configuration changed (unit file or another drop-in)",
};

/** Refresh: compares the host with the state; the next `up` restores a drifted file. */
export async function readHardeningDropIn(
  olds: HardeningDropInState,
  outer: OperationContext,
): Promise<HardeningDropInState> {
  const { ctx, warnings } = collectingWarnings(outer);
  const connection = ConnectionArgs.parse(olds.connection);
  const now = await withConnection(connection, ctx, (conn) => readDropInState(conn, olds.unit));
  const drift = driftOf(olds, now);
  if (drift)
    ctx.warn(
      `${drift === 'unit-changed' ? `${olds.unit}'s` : `hush's drop-in of ${olds.unit}`} ${DRIFT_WHY[drift]}; the next update re-applies the declared drop-in`,
    );
  return { ...olds, drift, warnings };
}

export async function updateHardeningDropIn(
  olds: HardeningDropInState,
  args: HardeningDropInArgs,
  outer: OperationContext,
): Promise<HardeningDropInState> {
  const { ctx, warnings } = collectingWarnings(outer);
  const connection = ConnectionArgs.parse(args.connection);
  const settings = {
    connection: args.connection,
    ...(args.healthCommand !== undefined ? { healthCommand: args.healthCommand } : {}),
    ...(args.settleSeconds !== undefined ? { settleSeconds: args.settleSeconds } : {}),
    ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
  };
  const content = args.content;
  if (content === undefined || (!olds.drift && sameOptions(olds.content, content))) {
    // Same options (credentials, health command or settle time changed, or only hush's header
    // would differ), or nothing declared: the host keeps its file and the unit is not restarted.
    const { healthCommand: _h, settleSeconds: _s, sessionUnit: _p, ...rest } = olds;
    return { ...rest, ...settings, warnings };
  }
  const r = await withConnection(connection, ctx, (conn) => applyAndMeasure(conn, { ...args, content }, ctx));
  const { healthCommand: _h, settleSeconds: _s, sessionUnit: _p, ...rest } = olds;
  return {
    ...rest,
    ...settings,
    unit: r.applied.unit,
    content,
    path: r.applied.path,
    unitDigest: r.state.unitDigest,
    drift: null,
    // The exposure before hush, not before this update.
    exposureBefore: olds.exposureBefore ?? r.exposureBefore,
    exposureAfter: r.exposureAfter,
    warnings,
  };
}

/** Removes hush's file (and any profiling leftovers), reloads, restarts: the unit as before hush. */
export async function deleteHardeningDropIn(
  olds: HardeningDropInState,
  ctx: OperationContext,
): Promise<void> {
  // Nothing was ever written or adopted (declared while its profile recorded): nothing to remove.
  if (olds.content === null && olds.unitDigest === undefined) return;
  const connection = ConnectionArgs.parse(olds.connection);
  await withConnection(connection, ctx, async (conn) => {
    const r = await reset(conn, olds.unit, { log: (line) => ctx.info(line) });
    ctx.info(
      r.removed.length
        ? `${r.unit}: removed ${r.removed.join(', ')}${r.restarted ? `; restarted (${r.activeAfter})` : ''}`
        : `${r.unit}: nothing of hush was there`,
    );
  });
}

/**
 * `pulumi import`: reads hush's file of the unit named by the ID. The inputs it returns are what
 * a program declares to keep the host as it is (the connection without credentials: the program
 * adds its own).
 */
export async function importHardeningDropIn(
  id: string,
  outer: OperationContext,
): Promise<{ state: HardeningDropInState; inputs: RawInputs }> {
  const { ctx, warnings } = collectingWarnings(outer);
  const target = parseImportId(id);
  const connection = { host: target.host, port: target.port, user: target.user, hostKey: target.hostKey };
  const config = ConnectionArgs.parse({ ...connection, ...importCredentials() });
  const optionNames = new Set(optionRegistry().map((o) => o.name));
  const { now, cat } = await withConnection(config, ctx, async (conn) => ({
    now: await readDropInState(conn, target.unit),
    cat: await unitCatText(conn, target.unit),
  }));
  if (cat.trim() === '')
    throw new Error(`${target.unit} is not a unit on ${targetOf(config)}: nothing to import`);
  const { file } = hardeningPaths(target.unit);
  const existingHardening = hardeningOutsideHush(cat, file, optionNames);
  ctx.info(
    now.content === null
      ? `${now.unit} has no hush drop-in yet${existingHardening.length ? ` (${existingHardening.length} hardening option(s) set elsewhere, kept as they are)` : ''}; the next update writes ${file}`
      : `adopting ${file} as it is (no restart)`,
  );
  const state: HardeningDropInState = {
    connection: ConnectionArgs.parse(connection),
    unit: now.unit,
    content: now.content,
    path: now.path,
    unitDigest: now.unitDigest,
    drift: null,
    exposureBefore: null,
    exposureAfter: null,
    existingHardening,
    warnings,
  };
  const inputs = { connection, unit: now.unit, ...(now.content !== null ? { content: now.content } : {}) };
  return { state, inputs };
}

export { HardeningDropInInputs, HardeningDropInState };
