/**
 * Apply a hardening drop-in: verify the service still works, PROVE the operator can still log in,
 * and only then make it persistent; roll back or revert otherwise.
 *
 *   const r = await applyDropIn(conn, 'nginx.service', dropInText, { health: 'curl -fsS http://localhost/' });
 *   // r.verdict: 'applied' | 'unchanged' | 'unverified'; otherwise ApplyError (r.result.verdict
 *   // 'rolled-back' | 'reverted' | 'failed' | …) or SessionUnitError (before anything changed)
 *
 * The transaction is remote/transaction.ts (commit confirmed): the new drop-in is staged at
 * runtime (/run/systemd/system.control, masking hush's file in /etc), the unit restarted and
 * verified:
 *   - the restart succeeded and the unit is active after the settle time (oneshot: Result=success);
 *   - no restart during the settle time (InvocationID and NRestarts unchanged);
 *   - no SIGSYS / exec-setup failure (status=2xx/…) / EPERM-style lines in the unit's journal
 *     since a cursor taken before the change;
 *   - the user's health command (run on the host with `sh`) exits 0.
 * A failure rolls back (the runtime copy goes, /etc was never touched). On success a host-side
 * timer reverts the change unless a NEW SSH login (same credentials, `sudo -n`, a write under /etc
 * from that session: remote/access.ts) confirms it first; then the file is written to
 * `/etc/systemd/system/<unit>.d/zz-hush-hardening.conf` atomically. A controller that dies, loses
 * its connection or cannot log in again gets the host back on its previous configuration.
 *
 * Before any of it, units whose children are other people's sessions (sshd, getty, cron… detected,
 * remote/sessionUnits.ts) are refused unless `sessionUnit` says otherwise.
 *
 * An inactive unit is started for the verification and stopped again afterwards (or left alone
 * with `startInactive: false`, in which case nothing is verified and the result says so).
 */
import { parseDropIn } from '../core/dropin/parse';
import type { Profile } from '../core/profile/schema';
import { describeProof, type AccessProof } from './access';
import type { Connection } from './connection';
import { applyPaths, hardeningPaths } from './paths';
import {
  detectSessionReach,
  enforceSessionPolicy,
  type SessionReach,
  type SessionUnitPolicy,
} from './sessionUnits';
import {
  transact,
  TransactionNotStarted,
  TXN_BUSY,
  TXN_PROFILING_LEFTOVER,
  type TransactionOutput,
  type TransactResult,
} from './transaction';
import { clearLeftovers } from './profile/leftovers';

/** Seconds a verified change waits for its fresh-login confirmation before the host reverts it. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 180_000;

export interface ApplyOptions {
  /** Shell command run on the host after the restart (as root, `sh`); must exit 0. */
  health?: string;
  /** Time the unit must stay up after the restart returns. Default 5000 ms. */
  settleMs?: number;
  /** Limit for the health command. Default 60 s. */
  healthTimeoutMs?: number;
  /** Rewrite and restart even when the file already has this content. */
  force?: boolean;
  /** Start an inactive unit to verify the new configuration, then stop it again. Default true. */
  startInactive?: boolean;
  /**
   * Leave the unit running after a verified apply although it was not active just before: it ran
   * before hush re-profiled it, and its restore onto the previous hardening failed (a configuration
   * change that needs more than that drop-in allowed: the reason for the re-profile).
   */
  keepActive?: boolean;
  /** How long the host waits for the fresh-login confirmation before it reverts. Default 180 s. */
  confirmTimeoutMs?: number;
  /** Units whose children are sessions: refuse (default), session-safe options only, or everything. */
  sessionUnit?: SessionUnitPolicy;
  /** The profile the drop-in came from: more evidence for the session check. */
  profile?: Profile;
  /** The session check, when the caller just ran it (detectSessionReach); else it runs here. */
  sessionReach?: SessionReach;
  /** Progress lines. */
  log?: (line: string) => void;
}

export type ApplyVerdict =
  | 'applied'
  | 'unchanged'
  | 'unverified'
  | 'rolled-back'
  | 'rollback-failed'
  | 'reverted'
  | 'revert-failed'
  | 'failed';

export interface ApplyResult {
  unit: string;
  path: string;
  verdict: ApplyVerdict;
  /** Why verification or confirmation failed (empty when applied). */
  failures: string[];
  /** Suspicious journal lines since the change (SIGSYS, EPERM…), and on failure the unit's last lines. */
  journal: string[];
  previousExisted: boolean;
  /** After a rollback or revert: hush's file in /etc is byte-identical to before (or absent, as before). */
  restoredIdentical?: boolean;
  /** The unit's state before the change. */
  activeBefore: string;
  /** The fresh-login proof after the change (absent when nothing was pending). */
  confirmation?: AccessProof;
  /** After a revert: a fresh login proven again. */
  accessAfterRevert?: AccessProof;
  /** Host-side transaction time and the whole call. */
  hostMs: number;
  totalMs: number;
}

export class ApplyError extends Error {
  constructor(readonly result: ApplyResult) {
    const lead =
      result.verdict === 'rolled-back'
        ? `hardening of ${result.unit} failed verification and was rolled back (the unit runs on its previous configuration)`
        : result.verdict === 'rollback-failed'
          ? `hardening of ${result.unit} failed verification, and the ROLLBACK ALSO FAILED: check the unit now`
          : result.verdict === 'reverted'
            ? `hardening of ${result.unit} was NOT confirmed and was reverted (the unit runs on its previous configuration)`
            : result.verdict === 'revert-failed'
              ? `hardening of ${result.unit} was NOT confirmed, and the REVERT FAILED or could not be seen: check the host now`
              : `could not apply hardening to ${result.unit}`;
    const details = [...result.failures.map((f) => `  - ${f}`)];
    if (result.confirmation && !result.confirmation.ok)
      details.push(`  - ${describeProof(result.confirmation)}`);
    if (result.accessAfterRevert)
      details.push(`  - after the revert: ${describeProof(result.accessAfterRevert)}`);
    if (result.journal.length > 0)
      details.push('  journal:', ...result.journal.slice(-20).map((l) => `    ${l}`));
    super([lead, ...details].join('\n'));
    this.name = 'ApplyError';
  }
}

/** Another hush apply of the same unit is running on the host (or awaits its confirmation). */
export class ApplyBusyError extends Error {}

/** The result of a transaction, as an apply reports it. Pure; exported for tests. */
export function applyResultOf(
  t: Pick<TransactResult, 'outcome' | 'run' | 'end' | 'confirmation' | 'accessAfterRevert'>,
  unit: string,
  path: string,
): Omit<ApplyResult, 'hostMs' | 'totalMs'> {
  const run = t.run;
  const last: TransactionOutput = t.end ?? run;
  const failures = [...run.failures, ...(t.end ? t.end.failures : [])];
  let verdict: ApplyVerdict;
  switch (t.outcome) {
    case 'committed':
      verdict = run.kv.unverified === 'yes' ? 'unverified' : 'applied';
      break;
    case 'reverted':
      verdict = 'reverted';
      break;
    case 'revert-failed':
      verdict = 'revert-failed';
      break;
    default: {
      const v = run.verdict;
      // `reverted`: the transaction unit was stopped mid-change and its ExecStopPost reverted.
      verdict =
        v === 'unchanged' ||
        v === 'rolled-back' ||
        v === 'rollback-failed' ||
        v === 'failed' ||
        v === 'reverted'
          ? v
          : v === 'rolled-back-failed'
            ? 'rollback-failed'
            : v === 'reverted-failed'
              ? 'revert-failed'
              : 'failed';
      if (verdict === 'failed' && run.verdict !== 'failed') {
        failures.push(
          `the apply transaction did not report a result (${(run.kv.runRc !== undefined && run.kv.runRc !== '0' ? `systemd-run exited ${run.kv.runRc}: ${run.run}` : run.run).slice(0, 600)})`,
        );
      }
    }
  }
  if (last.kv.revertReason && (verdict === 'reverted' || verdict === 'revert-failed'))
    failures.unshift(`reverted: ${last.kv.revertReason}`);
  const journal = [...run.hits];
  if (verdict !== 'applied' && verdict !== 'unchanged' && verdict !== 'unverified') {
    for (const l of [...last.hits, ...last.tail]) if (!journal.includes(l)) journal.push(l);
  }
  const r: Omit<ApplyResult, 'hostMs' | 'totalMs'> = {
    unit,
    path,
    verdict,
    failures,
    journal,
    previousExisted: run.kv.previousExisted === 'yes',
    activeBefore: run.kv.activeBefore ?? 'unknown',
  };
  const restored = last.kv.restoredIdentical ?? run.kv.restoredIdentical;
  if (restored !== undefined) r.restoredIdentical = restored === 'yes';
  if (t.confirmation) r.confirmation = withoutConn(t.confirmation);
  if (t.accessAfterRevert) r.accessAfterRevert = withoutConn(t.accessAfterRevert);
  return r;
}

function withoutConn(p: AccessProof): AccessProof {
  const { conn: _conn, ...rest } = p;
  return rest;
}

/** Rejects drop-in text systemd would partly ignore, before it goes anywhere near a host. */
export function checkDropInText(text: string): void {
  if (text.includes('\0')) throw new Error('drop-in text contains a NUL byte');
  if (text.trim() === '') throw new Error('drop-in text is empty');
  const parsed = parseDropIn(text);
  if (parsed.ignored.length > 0) {
    const first = parsed.ignored[0] as { line: number; why: string };
    throw new Error(`drop-in text line ${first.line}: ${first.why}`);
  }
  if (parsed.assignments.length === 0) throw new Error('drop-in text has no settings');
}

/**
 * Writes the hardening drop-in, verifies, confirms with a fresh login, persists; rolls back or
 * reverts otherwise (see the module comment). Resolves with verdict `applied`, `unchanged` or
 * `unverified`; throws ApplyError, ApplyBusyError or SessionUnitError otherwise.
 */
export async function applyDropIn(
  conn: Connection,
  unit: string,
  text: string,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const { unit: name, file } = hardeningPaths(unit);
  const { transientUnit } = applyPaths(name);
  checkDropInText(text);
  const log = opts.log ?? (() => undefined);
  const settleSec = Math.max(0, (opts.settleMs ?? 5000) / 1000);
  const healthTimeoutSec = Math.max(1, Math.ceil((opts.healthTimeoutMs ?? 60_000) / 1000));
  const confirmSec = Math.max(30, Math.ceil((opts.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS) / 1000));
  const t0 = Date.now();
  const reach =
    opts.sessionReach?.unit === name ? opts.sessionReach : await detectSessionReach(conn, name, opts.profile);
  enforceSessionPolicy(reach, opts.sessionUnit ?? 'refuse', text);
  if (reach.evidence.length > 0)
    log(`apply: ${name} starts sessions (${reach.evidence[0]}); applying under --${opts.sessionUnit}`);
  for (let attempt = 0; ; attempt++) {
    log(
      `apply: staging ${name}'s drop-in at runtime, restarting and verifying (settle ${settleSec} s) on ${conn.host}`,
    );
    let t: TransactResult;
    try {
      t = await transact(
        conn,
        {
          mode: 'apply',
          unit: name,
          text,
          settleSec,
          healthTimeoutSec,
          force: opts.force ?? false,
          startInactive: opts.startInactive ?? true,
          keepActive: opts.keepActive ?? false,
          confirmSec,
          ...(opts.health !== undefined ? { health: opts.health } : {}),
        },
        { log },
      );
    } catch (err) {
      if (err instanceof TransactionNotStarted && err.code === TXN_PROFILING_LEFTOVER && attempt === 0) {
        // An earlier profiling session left its runtime wrapper: clear it (restores the unit) first.
        log(`apply: found leftovers of a profiling session of ${name}; clearing them first`);
        await clearLeftovers(conn, name, { log });
        continue;
      }
      if (err instanceof TransactionNotStarted && err.code !== TXN_PROFILING_LEFTOVER) {
        if (err.code === TXN_BUSY || /awaits its confirmation/.test(err.message))
          throw new ApplyBusyError(`${err.message} (${transientUnit})`);
      }
      throw err;
    }
    const result: ApplyResult = {
      ...applyResultOf(t, name, file),
      hostMs: t.hostMs,
      totalMs: Date.now() - t0,
    };
    if (result.verdict === 'applied' || result.verdict === 'unchanged' || result.verdict === 'unverified') {
      log(`apply: ${result.verdict} (${(result.totalMs / 1000).toFixed(1)} s)`);
      return result;
    }
    throw new ApplyError(result);
  }
}
