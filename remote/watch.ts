/**
 * Watching a hardened unit for sandbox denials: its journal, the manager's reports about it and the
 * kernel's seccomp records, read in rounds from a journal cursor, analysed on the controller
 * (core/denials). Each round is one SSH command that also lists the pids in the unit's cgroup (to
 * attribute kernel records of processes that are still alive, or were seen alive in an earlier
 * round) and its Exec programs.
 *
 *   const start = await journalCursor(conn);
 *   await applyDropIn(conn, unit, text);
 *   const r = await watchUnit({ connect, unit, durationMs: 600_000, since: { cursor: start }, relax });
 *   r.denials   // core/denials Denial[]: finding, attribution, causes with their relaxation
 *
 * What it cannot see: a seccomp filter that returns an errno (hush's `~…:EPERM` lists,
 * SystemCallErrorNumber=) leaves no kernel record, so such a denial shows only if the service logs
 * the failure to the journal; a service that logs to its own files (nginx's error.log) shows only
 * what reaches its stdout/stderr; IPAddressDeny= drops packets silently. The kernel rate-limits
 * audit lines to the console when no audit daemon runs (`audit: rate limit exceeded`), so a storm
 * of denials is sampled, not counted.
 */
import { randomBytes } from 'node:crypto';
import {
  analyzeDenials,
  JOURNAL_FIELDS,
  type Denial,
  type RelaxContext,
  type UnitContext,
} from '../core/denials';
import { parseDropIn } from '../core/dropin/parse';
import type { Profile } from '../core/profile/schema';
import { HardeningMode, type Assignment } from '../core/resolve/plan';
import { EXEC_DIRECTIVES } from '../core/systemd/execLines';
import type { HostExec, HostLink } from './host';
import { readDropInState } from './hardeningState';
import { probe } from './probe';
import { sh, type ShellCommand } from './shell';
import { sleep } from './sleep';
import { parseRunnableUnitName } from '../core/systemd/unitName';

/** Where a watch starts: a journal cursor (taken before an apply), or a time (µs since the epoch). */
export type WatchStart = { cursor: string } | { sinceUs: bigint } | 'now';

export interface WatchOptions {
  /** Opens a connection; called again after a cut. */
  connect: () => Promise<HostLink>;
  unit: string;
  durationMs: number;
  since?: WatchStart;
  relax: RelaxContext;
  /** Programs of the unit besides its Exec binaries (e.g. the profile's executed paths). */
  programs?: readonly string[];
  /** Time between rounds. Default 10 s: one process start on the host per round. */
  pollMs?: number;
  /** Pause between attempts of the last read. Default 5 s. */
  retryMs?: number;
  signal?: AbortSignal;
  onDenial?: (d: Denial) => void;
  log?: (line: string) => void;
}

export interface WatchResult {
  unit: string;
  denials: Denial[];
  /** Where the next watch should continue. */
  cursor?: string;
  rounds: number;
  reconnects: number;
  /** Pids seen in the unit's cgroup during the watch. */
  pidsSeen: number;
  /** Journal entries read and lines that were not entries. */
  entries: number;
  rejectedLines: number;
  durationMs: number;
}

/** Bytes of journal one round takes at most: a flood is read over several rounds, not at once. */
const ROUND_MAX_BYTES = 4 * 1024 * 1024;

/** The journal's current end, to start a watch at (cursor of no entry yet). */
export async function journalCursor(conn: HostExec): Promise<string> {
  const r = await conn.exec(sh`journalctl -n 0 --show-cursor -q --no-pager`, {
    check: true,
    timeoutMs: 60_000,
  });
  const c = /^-- cursor: (.+)$/m.exec(r.stdout)?.[1]?.trim();
  if (!c) throw new Error(`journalctl printed no cursor on ${conn.target}`);
  return c;
}

/**
 * One round's host command: the journal since the cursor (the unit's own lines, the manager's about
 * it, and only the kernel's seccomp records), then the cgroup's pids, then the Exec programs, each
 * after a nonce marker the journal text cannot forge.
 */
export function roundCommand(unit: string, start: WatchStart, marker: string): ShellCommand {
  const from =
    start === 'now'
      ? sh`-n 0`
      : 'cursor' in start
        ? sh`--after-cursor=${start.cursor}`
        : sh`--since=${`@${(start.sinceUs / 1_000_000n).toString()}`}`;
  const fields = `--output-fields=${JOURNAL_FIELDS.join(',')}`;
  return sh`u=${unit}; m=${marker}
journalctl --no-pager -q -o json ${fields} ${from} _SYSTEMD_UNIT="$u" + UNIT="$u" + _TRANSPORT=kernel + _TRANSPORT=audit 2>/dev/null |
  awk 'index($0, "\\"_TRANSPORT\\":\\"kernel\\"") == 0 || index($0, "type=1326") > 0' | head -c ${ROUND_MAX_BYTES} | awk '/^\\{.*\\}$/'
printf '%s\\n' "$m"
cg=$(systemctl show -P ControlGroup -- "$u" 2>/dev/null)
[ -n "$cg" ] && [ -d "/sys/fs/cgroup$cg" ] && find "/sys/fs/cgroup$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
printf '%s\\n' "$m"
systemctl show ${EXEC_DIRECTIVES.flatMap((d) => ['-p', d])} -- "$u" 2>/dev/null | grep -o 'path=[^ ;]*' | sed 's/^path=//' | sort -u
true`;
}

export interface RoundOutput {
  journal: string;
  pids: number[];
  programs: string[];
}

export function parseRound(stdout: string, marker: string): RoundOutput {
  const parts = stdout.split(`${marker}\n`);
  if (parts.length < 3) throw new Error('the watch round printed no markers (host shell failed?)');
  const [journal, pids, programs] = parts as [string, string, string];
  return {
    journal,
    pids: pids
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number),
    programs: programs.split('\n').filter((l) => l.startsWith('/')),
  };
}

/** Rounds in a row that may fail (a dial or a command) before the watch gives up. */
const MAX_FAILURES = 5;

/**
 * The watch could not read the journal through to the end of its window (SSH kept failing: on an
 * overloaded host a handshake can outlast every dial attempt). Not a quiet window: what happened
 * after the last successful read is unknown.
 */
export class WatchIncompleteError extends Error {
  constructor(
    readonly unit: string,
    readonly rounds: number,
    override readonly cause: Error,
  ) {
    super(
      `the watch of ${unit} could not read the journal to the end of its window (${rounds} round(s) read): ${cause.message}. ` +
        `Denials after the last read are unknown: run hush watch ${unit} again`,
    );
    this.name = 'WatchIncompleteError';
  }
}

/**
 * The read after the window, which must succeed: it covers everything since the last successful
 * read (the journal keeps it, from the cursor), so a watch whose rounds failed under load still
 * sees its whole window, and one that never read the journal cannot report a quiet window.
 */
async function lastRead(
  round: () => Promise<void>,
  opts: Pick<WatchOptions, 'log' | 'retryMs'>,
  dropConnection: () => void,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await round();
      return;
    } catch (err) {
      opts.log?.(`the watch's last read failed (${attempt}): ${(err as Error).message}`);
      dropConnection();
      if (attempt >= MAX_FAILURES) throw err;
      await sleep(opts.retryMs ?? 5000);
    }
  }
}

/** Reads denials in rounds until the duration is over (or the signal fires); see the module comment. */
export async function watchUnit(opts: WatchOptions): Promise<WatchResult> {
  const unit = parseRunnableUnitName(opts.unit).unit;
  const t0 = Date.now();
  const pollMs = Math.max(1000, opts.pollMs ?? 10_000);
  const pids = new Set<number>();
  const programs = new Set(opts.programs ?? []);
  const denials: Denial[] = [];
  const seen = new Set<string>();
  let start: WatchStart = opts.since ?? 'now';
  let conn: HostLink | undefined;
  let reconnects = 0;
  let rounds = 0;
  let entries = 0;
  let rejectedLines = 0;
  let failures = 0;
  let cursor: string | undefined = typeof start === 'object' && 'cursor' in start ? start.cursor : undefined;
  if (start === 'now') {
    conn = await opts.connect();
    cursor = await journalCursor(conn);
    start = { cursor };
  }
  const round = async (): Promise<void> => {
    if (!conn || conn.closed) {
      if (conn) reconnects++;
      conn = await opts.connect();
    }
    const marker = `@@hush-watch-${randomBytes(8).toString('hex')}@@`;
    const r = await conn.exec(roundCommand(unit, start, marker), { timeoutMs: 120_000 });
    const out = parseRound(r.stdout, marker);
    for (const p of out.pids) pids.add(p);
    for (const p of out.programs) programs.add(p);
    const ctx: UnitContext = { unit, programs: [...programs], pids };
    const report = analyzeDenials(out.journal, ctx, opts.relax);
    rounds++;
    entries += report.entries;
    rejectedLines += report.rejectedLines;
    for (const d of report.denials) {
      if (seen.has(d.cursor)) continue;
      seen.add(d.cursor);
      denials.push(d);
      opts.onDenial?.(d);
    }
    if (report.cursor) {
      cursor = report.cursor;
      start = { cursor };
    }
  };
  try {
    for (;;) {
      try {
        await round();
        failures = 0;
      } catch (err) {
        failures++;
        opts.log?.(`watch round failed (${failures}): ${(err as Error).message}`);
        conn = undefined;
        if (failures >= MAX_FAILURES) throw new WatchIncompleteError(unit, rounds, err as Error);
      }
      const left = opts.durationMs - (Date.now() - t0);
      if (left <= 0 || opts.signal?.aborted) break;
      await sleep(Math.min(pollMs, left), opts.signal);
    }
    await lastRead(round, opts, () => {
      conn = undefined;
    }).catch((err: unknown) => {
      throw new WatchIncompleteError(unit, rounds, err as Error);
    });
  } finally {
    await conn?.close();
  }
  return {
    unit,
    denials,
    ...(cursor ? { cursor } : {}),
    rounds,
    reconnects,
    pidsSeen: pids.size,
    entries,
    rejectedLines,
    durationMs: Date.now() - t0,
  };
}

/** hush's drop-in as applied on the host, its `[Service]` assignments, and the mode its header names. */
export function dropInAssignments(text: string | null): { dropIn: Assignment[]; mode?: HardeningMode } {
  if (text === null) return { dropIn: [] };
  const parsed = parseDropIn(text);
  const dropIn = parsed.assignments
    .filter((a) => a.section === 'Service')
    .map((a) => ({ option: a.option, value: a.value }));
  const mode = HardeningMode.safeParse(/\bmode (\w+)/.exec(text)?.[1]);
  return mode.success ? { dropIn, mode: mode.data } : { dropIn };
}

/**
 * What the analysis needs from the host: the unit's facts (as the resolver sees them) and hush's
 * drop-in. Two round trips (the probe, the drop-in read).
 */
export async function relaxContextFor(
  conn: HostExec,
  unit: string,
  profile?: Profile,
): Promise<RelaxContext & { programs: string[] }> {
  const facts = await probe(conn, unit);
  const state = await readDropInState(conn, unit);
  const programs = profile
    ? profile.actions.flatMap((a) =>
        a.action.kind === 'path' && a.action.access === 'exec' ? [a.action.path] : [],
      )
    : [];
  return { ...dropInAssignments(state.content), facts, ...(profile ? { profile } : {}), programs };
}
