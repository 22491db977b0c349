/**
 * Proof that the operator can still get in and administer the host, from the outside: a NEW SSH
 * connection with the same login (host key pinned, same credentials, through the same proxy),
 * `sudo -n` when the login is not root (connect's privilege check), and an administrative write:
 * a file created, synced and removed under /etc BY THAT SESSION ITSELF (not through PID 1), so a
 * session that inherited a read-only /etc or no_new_privs fails it.
 *
 *   const before = await adminWrite(conn);                    // baseline, on the current session
 *   const proof = await proveAccess(conn, { requireAdminWrite: before.ok, timeoutMs: 120_000 });
 *   if (proof.ok) { await proof.conn.exec(...); await proof.conn.close(); }
 *
 * The baseline matters: if the current session cannot write /etc either (its sessions were
 * already sandboxed before this change), a fresh login that cannot is no loss, and the proof asks
 * for what existed before: the login and sudo.
 */
import { SudoRequiredError, type Connection } from './connection';
import type { HostExec } from './host';
import { sh } from './shell';

/** Created (mktemp), written, synced and removed by the session under test. */
export const ADMIN_WRITE_DIR = '/etc';

export interface AdminWrite {
  ok: boolean;
  /** The system's message when the write failed (e.g. `Read-only file system`). */
  error?: string;
}

export interface AccessProof {
  ok: boolean;
  /** `user@host:port`, and whether commands went through `sudo -n`. */
  target: string;
  viaSudo?: boolean;
  /** What was proven, in order: `fresh SSH login`, `sudo -n`, `write under /etc`. */
  proven: string[];
  /** Why the proof failed. */
  failure?: string;
  /** The /etc write was not required: the session before the change could not do it either. */
  adminWriteWaived?: boolean;
  ms: number;
  /** The fresh session, open, when ok (the caller commits through it, then closes it). */
  conn?: Connection;
}

/**
 * In the caller's own session: create a file under /etc with mktemp, write, sync, remove. Prints
 * `ok`, or the system's message and exits 1.
 */
export const ADMIN_WRITE_CHECK = sh`f=$(mktemp ${`${ADMIN_WRITE_DIR}/.hush-access.XXXXXX`} 2>&1) || { echo "$f" | tr '\n' ' '; exit 1; }
e=$( { printf 'hush access check\n' >"$f" && sync -- "$f"; } 2>&1 ); rc=$?
rm -f -- "$f" 2>/dev/null || rc=1
if [ "$rc" = 0 ]; then echo ok; else echo "$e" | tr '\n' ' '; exit 1; fi`;

/** Reads ADMIN_WRITE_CHECK's output. Pure. */
export function parseAdminWrite(out: string, code: number): AdminWrite {
  const text = out.trim().replace(/\s+/g, ' ');
  if (code === 0 && text === 'ok') return { ok: true };
  return { ok: false, error: text.slice(0, 300) || `exit ${code}` };
}

/** One round trip in `conn`'s own session: can it create a file under /etc? */
export async function adminWrite(conn: HostExec, timeoutMs = 60_000): Promise<AdminWrite> {
  const r = await conn.exec(ADMIN_WRITE_CHECK, { timeoutMs });
  return parseAdminWrite(r.stdout + r.stderr, r.code);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Opens a fresh session like `conn`'s and proves access with it (see the module comment). Never
 * throws: a failure is `{ ok: false, failure }`. A few dial attempts only: a host that refuses new
 * logins must be noticed while the deadline still leaves time to react.
 */
export async function proveAccess(
  conn: Connection,
  opts: { requireAdminWrite: boolean; timeoutMs: number; dialAttempts?: number },
): Promise<AccessProof> {
  const t0 = Date.now();
  const proven: string[] = [];
  const done = (p: Omit<AccessProof, 'ms' | 'target' | 'proven'>): AccessProof => ({
    target: conn.target,
    proven,
    ms: Date.now() - t0,
    ...p,
  });
  let fresh: Connection | undefined;
  let abandoned = false;
  try {
    // The privilege check runs separately, so a proof that fails at sudo says the login worked.
    const opening = conn.reopen({ dialErrorLimit: opts.dialAttempts ?? 3 }, { skipPrivilegeCheck: true });
    // A connection that arrives after the timeout must not linger unowned.
    opening.then(
      (c) => {
        if (abandoned) void c.close();
      },
      () => undefined,
    );
    fresh = await withTimeout(opening, opts.timeoutMs, 'fresh SSH login').catch((err: unknown) => {
      abandoned = true;
      throw err;
    });
    proven.push('fresh SSH login');
    await withTimeout(fresh.checkPrivileges(), opts.timeoutMs, 'sudo -n');
    if (fresh.viaSudo) proven.push('sudo -n');
    const left = Math.max(5_000, opts.timeoutMs - (Date.now() - t0));
    const w = await adminWrite(fresh, left);
    if (w.ok) proven.push(`write under ${ADMIN_WRITE_DIR}`);
    else if (opts.requireAdminWrite) {
      await fresh.close();
      return done({
        ok: false,
        viaSudo: fresh.viaSudo,
        failure: `a fresh login cannot write under ${ADMIN_WRITE_DIR}: ${w.error}`,
      });
    }
    return {
      ...done({ ok: true, viaSudo: fresh.viaSudo, conn: fresh }),
      ...(w.ok ? {} : { adminWriteWaived: true }),
    };
  } catch (err) {
    await fresh?.close();
    // connect's advice (set up passwordless sudo) is beside the point when sudo worked before the
    // change: keep sudo's own words.
    const sudo =
      err instanceof SudoRequiredError
        ? /'sudo -n' does not work \((.*)\)\. hush needs root/s.exec(err.message)
        : null;
    return done({
      ok: false,
      failure: sudo ? `sudo -n fails in a fresh login: ${sudo[1]}` : (err as Error).message,
    });
  }
}

/** The proof in one line, for logs and errors. */
export function describeProof(p: AccessProof): string {
  if (!p.ok) return `NOT confirmed: ${p.failure ?? 'unknown'} (${p.target})`;
  const waived = p.adminWriteWaived ? ` (no /etc write: the session before the change could not either)` : '';
  return `confirmed by a fresh login as ${p.target}: ${p.proven.join(', ')}${waived}`;
}
