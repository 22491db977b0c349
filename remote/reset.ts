/**
 * Undo hush on one unit: remove the hardening drop-in (and temp files of an interrupted write),
 * any profiling leftovers (through remote/profile/leftovers.ts clearLeftovers, which puts the unit back on
 * its own configuration), daemon-reload and restart the unit if it was running. Afterwards
 * `systemctl cat UNIT` is what it was before hush touched the unit. Idempotent: when nothing of
 * hush is there, nothing is reloaded or restarted.
 *
 *   const r = await reset(conn, 'nginx.service');   // {removed: [...], restarted, activeAfter, confirmation}
 *
 * A reset is the same commit-confirmed transaction as an apply (remote/transaction.ts), with an
 * empty runtime mask as the change: the unit runs on its own configuration, a fresh login proves
 * access, and only then is the file removed from /etc; unconfirmed, the host puts the hardening
 * back. It runs as a transient unit of PID 1, so a reset from a login session that inherited a
 * sandbox (read-only /etc) still works, and every file that cannot be removed is an error naming
 * it — never "nothing to do".
 */
import type { AccessProof } from './access';
import type { Connection } from './connection';
import { hardeningPaths } from './paths';
import { transact, TransactionNotStarted, TXN_PROFILING_LEFTOVER } from './transaction';
import { clearLeftovers } from './profile/leftovers';

export interface ResetOptions {
  /** Time the unit must stay active after the restart. Default 3000 ms. */
  settleMs?: number;
  /** How long the host waits for the fresh-login confirmation before it puts the hardening back. */
  confirmTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ResetResult {
  unit: string;
  /** Files and directories hush removed. Empty: nothing of hush was there. */
  removed: string[];
  /** Profiling leftovers that were cleared first (what was found), if any. */
  clearedProfiling: string[];
  restarted: boolean;
  /** ActiveState after the reset (after the settle time when restarted). */
  activeAfter: string;
  /** The fresh-login proof (absent when nothing changed). */
  confirmation?: AccessProof;
  totalMs: number;
}

export class ResetError extends Error {
  constructor(
    message: string,
    readonly result?: ResetResult,
  ) {
    super(message);
    this.name = 'ResetError';
  }
}

export async function reset(conn: Connection, unit: string, opts: ResetOptions = {}): Promise<ResetResult> {
  const { unit: name } = hardeningPaths(unit);
  const settleSec = Math.max(0, (opts.settleMs ?? 3000) / 1000);
  const confirmSec = Math.max(30, Math.ceil((opts.confirmTimeoutMs ?? 180_000) / 1000));
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  const clearedProfiling: string[] = [];
  for (let attempt = 0; ; attempt++) {
    log(`reset: removing hush's files for ${name} on ${conn.host}`);
    let t;
    try {
      t = await transact(
        conn,
        {
          mode: 'reset',
          unit: name,
          settleSec,
          healthTimeoutSec: 1,
          force: false,
          startInactive: false,
          confirmSec,
        },
        { log },
      );
    } catch (err) {
      if (err instanceof TransactionNotStarted && err.code === TXN_PROFILING_LEFTOVER && attempt === 0) {
        log(`reset: clearing leftovers of a profiling session of ${name}`);
        const cleared = await clearLeftovers(conn, name, { log });
        clearedProfiling.push(...cleared.found);
        continue;
      }
      if (err instanceof TransactionNotStarted) throw new ResetError(`reset of ${name}: ${err.message}`);
      throw err;
    }
    const run = t.run;
    const end = t.end;
    const removed = [...run.removed, ...(end?.removed ?? [])];
    const result: ResetResult = {
      unit: name,
      removed,
      clearedProfiling,
      restarted: run.kv.newRestartRc === '0',
      activeAfter: run.kv.newActive ?? run.kv.activeBefore ?? 'unknown',
      totalMs: Date.now() - t0,
    };
    if (t.confirmation) {
      const { conn: _c, ...proof } = t.confirmation;
      result.confirmation = proof;
    }
    const failures = [...run.failures, ...(end?.failures ?? [])];
    if (t.outcome === 'reverted' || t.outcome === 'revert-failed') {
      const after = t.accessAfterRevert;
      throw new ResetError(
        `reset of ${name} on ${conn.host} was NOT made persistent${t.outcome === 'revert-failed' ? ', and putting the hardening back FAILED or could not be seen' : "; hush's hardening is back in place"}: ` +
          [
            end?.kv.revertReason ? `reverted: ${end.kv.revertReason}` : '',
            ...failures,
            t.confirmation && !t.confirmation.ok ? `fresh login: ${t.confirmation.failure ?? ''}` : '',
            after
              ? `after the revert: ${after.ok ? 'a fresh login works' : `a fresh login still fails (${after.failure ?? ''})`}`
              : '',
          ]
            .filter(Boolean)
            .join('; '),
        result,
      );
    }
    if (run.verdict === 'failed' || failures.length > 0) {
      throw new ResetError(
        `reset of ${name} on ${conn.host}: ${failures.join('; ') || `the transaction reported no result (${run.run.slice(0, 400)})`}`,
        result,
      );
    }
    if (removed.length > 0) log(`reset: removed ${removed.join(', ')}; ${name} is ${result.activeAfter}`);
    else log(`reset: nothing of hush on ${name}`);
    return result;
  }
}
