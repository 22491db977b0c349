/**
 * `hush apply --canary D`: the syscall filter first in log-only form, then enforced with what the
 * canary saw. The canary drop-in (core/denials canaryPlan: SystemCallFilter= as SystemCallLog=,
 * every other option enforced, since none has a log-only form) goes through the verified apply
 * transaction; the unit is watched for D; the syscalls the kernel logged for it are added to the
 * profile and the plan is resolved again, so the enforced filter allows them; that drop-in goes
 * through the same transaction. A denial the canary cannot turn into a syscall (a path, a bind, a
 * failed start) ends it early and puts the previous drop-in back: enforcing then would break.
 */
import { canaryPlan, loggedSyscalls, SYSTEM_CALL_LOG_SINCE, type Denial } from '../core/denials';
import { hushVersion, renderDropIn } from '../core/dropin';
import type { HostFacts } from '../core/profile/hostFacts';
import type { Profile } from '../core/profile/schema';
import { resolve, type ResolveSettings } from '../core/resolve';
import { applyDropIn, type ApplyOptions, type ApplyResult } from '../remote/apply';
import type { Connection } from '../remote/connection';
import { readDropInState } from '../remote/hardeningState';
import { reset } from '../remote/reset';
import {
  dropInAssignments,
  journalCursor,
  watchUnit,
  WatchIncompleteError,
  type WatchResult,
} from '../remote/watch';
import type { CliIo } from './command';
import { denialLine, watchJson, watchSummary } from './denialOutput';

export interface CanaryRun {
  unit: string;
  profile: Profile;
  facts: HostFacts;
  settings: ResolveSettings;
  explain: boolean;
  canaryMs: number;
  applyOptions: Pick<
    ApplyOptions,
    'health' | 'healthTimeoutMs' | 'settleMs' | 'sessionUnit' | 'sessionReach' | 'confirmTimeoutMs'
  >;
  connect: () => Promise<Connection>;
  io: CliIo;
  json: boolean;
  log: (line: string) => void;
}

/** Ends the canary: a denial that is not a logged syscall (enforcing would break the unit). */
function blocksEnforcement(d: Denial): boolean {
  if (d.finding.kind === 'seccomp') return d.finding.action !== 'log';
  return d.finding.kind !== 'errno' || d.causes.length > 0;
}

/** Exit 0 enforced, 5 rolled back after a denial, 3/4 as apply. */
export async function applyWithCanary(c: CanaryRun): Promise<number> {
  if (c.facts.systemdVersion < SYSTEM_CALL_LOG_SINCE) {
    throw new Error(
      `--canary needs SystemCallLog= (systemd ≥ ${SYSTEM_CALL_LOG_SINCE}); ${c.unit}'s host has systemd ${c.facts.systemdVersion}. Nothing was changed.`,
    );
  }
  const meta = { version: hushVersion(), unit: c.unit, explain: c.explain };
  const plan = resolve(c.profile, c.facts, c.settings);
  const canary = canaryPlan(plan);
  const canaryText = renderDropIn(canary.plan, meta);
  let conn = await c.connect();
  let cursor: string;
  let previous: string | null;
  let canaryResult: ApplyResult;
  try {
    cursor = await journalCursor(conn);
    previous = (await readDropInState(conn, c.unit)).content;
    c.log(
      canary.logged
        ? 'canary: applying the drop-in with its syscall filter as SystemCallLog= (logged, not denied); every other option is enforced'
        : 'canary: the plan has no syscall filter; applying it and watching',
    );
    canaryResult = await applyDropIn(conn, c.unit, canaryText, { ...c.applyOptions, log: c.log });
  } finally {
    await conn.close();
  }
  const stop = new AbortController();
  const watch: WatchResult = await watchUnit({
    connect: c.connect,
    unit: c.unit,
    durationMs: c.canaryMs,
    since: { cursor },
    relax: { ...dropInAssignments(canaryText), facts: c.facts, profile: c.profile, mode: c.settings.mode },
    programs: c.profile.actions.flatMap((x) =>
      x.action.kind === 'path' && x.action.access === 'exec' ? [x.action.path] : [],
    ),
    signal: stop.signal,
    onDenial: (d) => {
      c.log(denialLine(d));
      if (blocksEnforcement(d)) stop.abort();
    },
    log: c.log,
  }).catch((err: unknown) => {
    // Nothing is known about the end of the window: neither enforce nor roll back on a guess.
    if (err instanceof WatchIncompleteError)
      throw new Error(
        `${err.message}. The canary drop-in (syscall filter in log-only form, every other option enforced) stays in force; run hush apply --canary again`,
      );
    throw err;
  });
  const logged = loggedSyscalls(watch.denials.map((d) => d.finding));
  const blocking = watch.denials.filter(blocksEnforcement);
  conn = await c.connect();
  try {
    if (blocking.length > 0) {
      c.log(`canary: ${blocking.length} denial(s) the filter's log cannot account for; rolling back`);
      const back =
        previous === null
          ? (await reset(conn, c.unit, { log: c.log })).activeAfter
          : (
              await applyDropIn(conn, c.unit, previous, {
                force: true,
                // What was there before goes back even on a unit that starts sessions.
                sessionUnit: 'sandbox-sessions',
                log: c.log,
              })
            ).verdict;
      report(c, { canary: canaryResult, canaryDropIn: canaryText, watch, logged, rolledBack: back });
      return 5;
    }
    const enforcedProfile: Profile = {
      ...c.profile,
      syscalls: {
        ...c.profile.syscalls,
        ...Object.fromEntries(logged.map((n) => [n, (c.profile.syscalls[n] ?? 0) + 1])),
      },
    };
    const enforcedPlan = resolve(enforcedProfile, c.facts, c.settings);
    // A forced filter (--set) would deny them again: a later line naming them allows them whatever
    // the filter's polarity (it removes them from a deny list, adds them to an allow list).
    if (logged.length && enforcedPlan.chosen.some((d) => d.option === 'SystemCallFilter'))
      enforcedPlan.chosen.push({
        option: 'SystemCallFilter',
        value: logged,
        reasons: ['logged by the canary while the filter was in log-only form'],
      });
    const text = renderDropIn(enforcedPlan, meta);
    c.log(
      logged.length
        ? `canary: the filter would have denied ${logged.join(' ')}; enforcing a filter that allows them`
        : 'canary: nothing logged; enforcing the filter',
    );
    const enforced = await applyDropIn(conn, c.unit, text, { ...c.applyOptions, log: c.log });
    report(c, { canary: canaryResult, canaryDropIn: canaryText, watch, logged, enforced, dropIn: text });
    return 0;
  } finally {
    await conn.close();
  }
}

function report(
  c: CanaryRun,
  r: {
    canary: ApplyResult;
    canaryDropIn: string;
    watch: WatchResult;
    logged: string[];
    enforced?: ApplyResult;
    dropIn?: string;
    rolledBack?: string;
  },
): void {
  if (c.json) {
    c.io.stdout.write(JSON.stringify({ unit: c.unit, ...r, watch: watchJson(r.watch) }, null, 2) + '\n');
    return;
  }
  c.io.stdout.write(watchSummary(r.watch));
  c.io.stdout.write(
    r.enforced
      ? `${c.unit}: enforced after the canary (${r.enforced.verdict})${r.logged.length ? `; filter widened by ${r.logged.join(' ')}` : ''}\n`
      : `${c.unit}: ROLLED BACK after the canary (${r.rolledBack ?? '?'})\n`,
  );
}
