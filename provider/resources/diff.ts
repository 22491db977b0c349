/**
 * Pieces of the resources' diffs. The new inputs are raw here: during a preview they may hold
 * values not known yet (provider/inputs.ts UNKNOWN), so they cannot go through the strict schemas.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ConnectionArgs, type ConnectionConfig } from '../../remote/connection';
import { UNKNOWN } from '../inputs';
import { targetOf } from './context';

/** Where a connection points, when both are known (UNKNOWN is a string, so it fails `port`). */
const HostAndPort = z.object({ host: z.string(), port: z.number().optional() });

/** Raw inputs as the engine hands them over (values may be UNKNOWN during a preview). */
export type RawInputs = Readonly<Record<string, unknown>>;

export interface Diff {
  changes: boolean;
  /** Input names whose change makes a new resource (the engine shows them as the replace reasons). */
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * How the connection changed: `target` (another host or port: the resource is elsewhere now),
 * `credentials` (same host, anything else: an update in place, so the state keeps working
 * credentials for a later refresh or delete), or `none`.
 */
export function connectionChange(old: ConnectionConfig, raw: unknown): 'none' | 'credentials' | 'target' {
  const parsed = ConnectionArgs.safeParse(raw);
  if (!parsed.success) {
    // Not all known yet (or invalid, which check reports): decide on host and port when they are.
    const r = HostAndPort.safeParse(raw);
    if (!r.success || r.data.host === UNKNOWN) return 'target';
    return targetOf({ host: r.data.host, port: r.data.port ?? 22 }) === targetOf(old)
      ? 'credentials'
      : 'target';
  }
  if (targetOf(parsed.data) !== targetOf(old)) return 'target';
  return isDeepStrictEqual(ConnectionArgs.parse(old), parsed.data) ? 'none' : 'credentials';
}
