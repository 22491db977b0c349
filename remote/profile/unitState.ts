/** What the manager says about the unit while the session changes it: its state, its journal. */
import { HOST_CMD_TIMEOUT_MS } from '../../core/profiling/timeouts';
import type { HostExec } from '../host';
import { sh } from '../shell';
import { sleep } from './sleep';

export async function activeStateOf(conn: HostExec, unit: string): Promise<string> {
  const r = await conn.exec(sh`systemctl is-active -- ${unit}`, { timeoutMs: HOST_CMD_TIMEOUT_MS });
  return r.stdout.trim() || 'unknown';
}

/** Waits for `active` (activating/reloading are waited out); then checks it stays so for a moment. */
export async function waitActive(conn: HostExec, unit: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let state = await activeStateOf(conn, unit);
  while (state !== 'active' && Date.now() < deadline) {
    if (state === 'failed' || state === 'inactive') break;
    await sleep(500);
    state = await activeStateOf(conn, unit);
  }
  if (state !== 'active') return state;
  await sleep(1000);
  return activeStateOf(conn, unit);
}

/** The unit's last journal lines, for an error or warning that says why it is not active. */
export async function journalTail(conn: HostExec, unit: string): Promise<string> {
  const r = await conn.exec(sh`journalctl --no-pager -n 30 -o short-monotonic -u ${unit}`, {
    timeoutMs: HOST_CMD_TIMEOUT_MS,
  });
  return r.stdout.trim();
}
