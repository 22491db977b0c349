/**
 * core/profile: the Profile document's boundary (zod parsing with field-named errors), merging of
 * runs/hosts, a stable digest, and the fingerprint of what a profile depends on.
 */
import type { z } from 'zod';
import type { Action } from '../summary/actions';
import { actionKey } from './actionKey';
import { canonicalJson, sha256Hex } from './canonical';
import type { HostFacts } from './hostFacts';
import { PROFILE_SCHEMA, Profile } from './schema';
import type { ProfileAction } from './schema';

export { actionKey } from './actionKey';
export { canonicalJson } from './canonical';
export { PROFILE_SCHEMA, Profile, ProfileAction, RunInfo } from './schema';
export { HostFacts, ExecBinary } from './hostFacts';
export { profileJsonPieces, batchPieces } from './stream';

/** A profile that failed validation; `issues` name each bad field (`actions[3].action.path: …`). */
export class ProfileError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** Format zod issues as `field: message` lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
}

/**
 * Parse and validate a profile from JSON text or an already-parsed value. Throws ProfileError
 * whose message names the offending field(s).
 */
export function parseProfile(json: string | unknown): Profile {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new ProfileError(`profile is not valid JSON: ${(err as Error).message}`, []);
    }
  }
  const res = Profile.safeParse(value);
  if (!res.success) {
    const issues = formatIssues(res.error);
    const shown = issues.slice(0, 5).join('; ') + (issues.length > 5 ? `; … (${issues.length} issues)` : '');
    throw new ProfileError(`invalid profile: ${shown}`, issues);
  }
  return res.data;
}

function withRun(action: Action, runOffset: number): Action {
  if (runOffset === 0) return action;
  return { ...action, ev: { ...action.ev, run: (action.ev.run ?? 0) + runOffset } } as Action;
}

function sumCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return sortRecord(out);
}

function sortRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

/**
 * Union of two profiles (runs of one service, or several hosts): actions deduplicated by
 * `actionKey` with counts summed and the first evidence kept (a's when both have it); order is a's
 * actions then b's new ones (b's seqs offset after a's), renumbered 0..n-1; b's evidence `run`
 * indexes shift by a's run count; syscall counts are summed; a name that succeeded anywhere leaves
 * `failedSyscalls`. Host facts: a's, else b's (the resolver takes the target's facts separately).
 * Neither input is modified.
 */
export function mergeProfiles(a: Profile, b: Profile): Profile {
  const byKey = new Map<string, ProfileAction>();
  const ordered: ProfileAction[] = [];
  const aSorted = [...a.actions].sort((x, y) => x.seq - y.seq);
  let maxSeq = -1;
  for (const pa of aSorted) {
    maxSeq = Math.max(maxSeq, pa.seq);
    const key = actionKey(pa.action);
    const seen = byKey.get(key);
    if (seen) {
      seen.count += pa.count;
      continue;
    }
    const copy = { seq: pa.seq, count: pa.count, action: pa.action };
    byKey.set(key, copy);
    ordered.push(copy);
  }
  const offset = maxSeq + 1;
  const runOffset = a.runs.length;
  for (const pa of [...b.actions].sort((x, y) => x.seq - y.seq)) {
    const key = actionKey(pa.action);
    const seen = byKey.get(key);
    if (seen) {
      seen.count += pa.count;
      continue;
    }
    const copy = { seq: pa.seq + offset, count: pa.count, action: withRun(pa.action, runOffset) };
    byKey.set(key, copy);
    ordered.push(copy);
  }
  ordered.sort((x, y) => x.seq - y.seq);
  ordered.forEach((pa, i) => (pa.seq = i));

  const syscalls = sumCounts(a.syscalls, b.syscalls);
  const failed = sumCounts(a.failedSyscalls ?? {}, b.failedSyscalls ?? {});
  for (const name of Object.keys(failed)) if (name in syscalls) delete failed[name];

  const host = a.host ?? b.host;
  return {
    schema: PROFILE_SCHEMA,
    actions: ordered,
    syscalls,
    failedSyscalls: failed,
    runs: [...a.runs, ...b.runs],
    ...(host ? { host } : {}),
  };
}

/** sha256 (hex) of the profile's canonical JSON: equal documents, equal digests. */
export function profileDigest(p: Profile): string {
  return sha256Hex(canonicalJson(p));
}

/**
 * What a profile depends on: when any of it changes (a binary upgraded, systemd or the kernel
 * updated), the behaviour seen may no longer hold and the service should be re-profiled.
 */
export interface Fingerprint {
  systemdVersion: number;
  kernelRelease: string;
  arch: string;
  /** The unit's executables, sorted by path. */
  binaries: { path: string; sha256?: string; package?: string; packageVersion?: string }[];
  /** sha256 of the canonical JSON of the fields above. */
  digest: string;
}

export function fingerprint(facts: HostFacts): Fingerprint {
  const binaries = [...(facts.binaries ?? [])]
    .filter((b) => !b.executedOnly)
    .map((b) => ({
      path: b.path,
      ...(b.sha256 !== undefined ? { sha256: b.sha256 } : {}),
      ...(b.package !== undefined ? { package: b.package } : {}),
      ...(b.packageVersion !== undefined ? { packageVersion: b.packageVersion } : {}),
    }))
    .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const body = {
    systemdVersion: facts.systemdVersion,
    kernelRelease: facts.kernelRelease,
    arch: facts.arch,
    binaries,
  };
  return { ...body, digest: sha256Hex(canonicalJson(body)) };
}

/** Human-readable differences between two fingerprints (empty when they match). */
export function fingerprintChanges(before: Fingerprint, after: Fingerprint): string[] {
  if (before.digest === after.digest) return [];
  const out: string[] = [];
  if (before.systemdVersion !== after.systemdVersion) {
    out.push(`systemd ${before.systemdVersion} → ${after.systemdVersion}`);
  }
  if (before.kernelRelease !== after.kernelRelease)
    out.push(`kernel ${before.kernelRelease} → ${after.kernelRelease}`);
  if (before.arch !== after.arch) out.push(`arch ${before.arch} → ${after.arch}`);
  const old = new Map(before.binaries.map((b) => [b.path, b]));
  const cur = new Map(after.binaries.map((b) => [b.path, b]));
  for (const [path, b] of cur) {
    const o = old.get(path);
    if (!o) out.push(`binary added: ${path}`);
    else if (canonicalJson(o) !== canonicalJson(b)) {
      const what =
        o.packageVersion !== b.packageVersion
          ? `${o.package ?? 'package'} ${o.packageVersion ?? '?'} → ${b.packageVersion ?? '?'}`
          : 'content changed';
      out.push(`binary ${path}: ${what}`);
    }
  }
  for (const path of old.keys()) if (!cur.has(path)) out.push(`binary removed: ${path}`);
  return out;
}

/**
 * What an operator should know about how complete a profile is, in words: accesses the summary
 * left out rather than guessed (core/summary README, "Paths"). Shown by `hush summarize`,
 * `hush profile`, `hush run` and `hush apply`, and carried in the plan (drop-in header, JSON).
 */
export function profileNotes(p: Profile): string[] {
  const sum = (k: 'droppedPaths' | 'unresolvedPaths' | 'unreadableArgs'): number =>
    p.runs.reduce((n, r) => n + (r[k] ?? 0), 0);
  const notes: string[] = [];
  const dropped = sum('droppedPaths');
  if (dropped > 0)
    notes.push(
      `${dropped} successful access${dropped === 1 ? '' : 'es'} through unresolvable paths ignored (.. over a name the trace never saw resolved); if the hardened service fails, they are the first suspects`,
    );
  const unresolved = sum('unresolvedPaths');
  if (unresolved > 0)
    notes.push(
      `${unresolved} path${unresolved === 1 ? '' : 's'} relative to an unknown working directory or file descriptor ignored`,
    );
  const unreadable = sum('unreadableArgs');
  if (unreadable > 0)
    notes.push(
      `${unreadable} path or address argument${unreadable === 1 ? '' : 's'} strace could not read (a process changed its credentials out of its reach): no path option is emitted`,
    );
  return notes;
}
