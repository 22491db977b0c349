/**
 * `hush apply UNIT`: resolve a profile against the host's current facts, write the hardening
 * drop-in, verify the service, roll back on failure, prove a fresh login still works (else the
 * host reverts). Without --profile the unit is profiled first (remote/profile/) with the
 * --duration / --workload window. Units whose children are login sessions are refused unless
 * --session-safe or --sandbox-sessions says otherwise (remote/sessionUnits.ts).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hushVersion, renderDropIn } from '../../core/dropin';
import type { Profile } from '../../core/profile/schema';
import { resolve } from '../../core/resolve';
import { describeProof } from '../../remote/access';
import { applyDropIn, ApplyError, type ApplyResult } from '../../remote/apply';
import type { HostExec, SessionHost } from '../../remote/host';
import {
  detectSessionReach,
  enforceSessionPolicy,
  restrictPlanToSessionSafe,
  type SessionReach,
} from '../../remote/sessionUnits';
import { readDropInState } from '../../remote/hardeningState';
import { reset } from '../../remote/reset';
import { dropInAssignments, journalCursor, watchUnit, type WatchResult } from '../../remote/watch';
import type { Denial } from '../../core/denials';
import type { HostFacts } from '../../core/profile/hostFacts';
import type { HardeningMode } from '../../core/resolve/plan';
import { applyWithCanary } from '../applyCanary';
import { denialLine, watchJson, watchSummary } from '../denialOutput';
import { probe } from '../../remote/probe';
import { withExecModesOrUnknown } from '../../remote/execModes';
import { profileService } from '../../remote/profile';
import { finishRecording } from '../../remote/recording/session';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { formatAdvice, HARDENING_FLAGS, HARDENING_USAGE, settingsFromFlags } from '../planOutput';
import {
  CONFIRM_USAGE,
  confirmTimeoutFromFlag,
  SESSION_FLAGS,
  SESSION_USAGE,
  sessionPolicyFromFlags,
} from '../sessionFlags';
import {
  connectFromFlags,
  connectionArgsFromFlags,
  parseDuration,
  progress,
  TARGET_FLAGS,
  TARGET_USAGE,
  profileFromFlag,
  tracingFromFlag,
  recorderFromFlag,
  unitFromPositionals,
} from '../remoteTarget';
import {
  APPLY_FLAGS_NOT_FOR_USER_UNITS,
  applyUserUnit,
  refuseForUserUnit,
  USER_MANAGER_FLAG,
  USER_MANAGER_USAGE,
  userManagerFromFlag,
} from '../userUnit';

const usage = `usage: hush apply UNIT --host H --host-key KEY [FLAGS]

Hardens UNIT on the host: resolves the profile against the host's current facts, stages the
drop-in at runtime (/run/systemd/system.control/UNIT.d/), restarts UNIT and verifies it (active
after the settle time, no restart loop, no SIGSYS/EPERM in its journal, --health passes), then
proves a NEW SSH login still works (same user, sudo -n, a write under /etc) and only then writes
/etc/systemd/system/UNIT.d/zz-hush-hardening.conf atomically. A failed verification rolls back
at once; an unconfirmed change is reverted by hush, or by the host itself at the deadline if hush
is gone. A reboot before the confirmation boots the previous configuration.

profile flags:
  --profile FILE       the profile to apply (hush.profile/v1 JSON); without it UNIT is profiled first:
  --duration D         profiling window (e.g. 60s; default 60s unless --workload is given)
  --workload CMD       shell command run on the host during the profiling window
  --from-recording     finish the detached recording of UNIT (hush profile start) and apply from it
                       (its host facts were probed at its start, with hush's drop-in set aside)
  --save-profile FILE  write the profile taken here (or finished from the recording) to FILE
  --tracing MODE       decisions or full (see hush profile --help); default: decisions when the
                       host's strace has --seccomp-bpf, else full
  --recorder KIND      auto, ebpf or strace (see hush profile --help); default: strace
apply flags:
  --health CMD         shell command run on the host after the restart; must exit 0
  --health-timeout D   limit for --health (default 60s); a health command still running then fails
  --settle D           how long UNIT must stay up after the restart (default 5s)
  --force              rewrite and restart even if the drop-in is unchanged
  --dry-run            print the drop-in that would be applied; change nothing
watch flags:
  --watch D            after a verified apply, watch UNIT for D (e.g. 30m) for sandbox denials, each
                       reported with the option that caused it and its relaxation (see hush watch)
  --canary D           apply the syscall filter first in log-only form (SystemCallLog=, systemd >= 247;
                       every other option enforced: none has a log-only form), watch D, then enforce
                       a filter that allows what was logged; a denial of another kind ends the canary
                       and puts the previous drop-in back (exit 5)
  --rollback-on-denial with --watch: put the previous drop-in back (or none, as before) at the first
                       denial (a seccomp record, a SIGSYS exit, a failed start, or a line one of the
                       drop-in's options explains); exit 5
${CONFIRM_USAGE}${SESSION_USAGE}${USER_MANAGER_USAGE}  With --user-manager: --profile is required (user units are not profiled yet); the
  drop-in (~USER/.config/systemd/user/UNIT.d/zz-hush-hardening.conf) is written as USER, verified
  and rolled back like a system unit's; no fresh-login confirmation (a user unit cannot reach
  logins), no --watch/--canary/--health.
${HARDENING_USAGE.replace(/\n {2}--json[^\n]*\n/, '\n')}
${TARGET_USAGE}
Exit codes: 0 hardened (and, with --watch, no denial), 1 error, 2 usage, 3 rolled back by
verification or reverted for want of a fresh-login confirmation, 4 rollback or revert failed, 5 rolled back after a denial, 6 denials seen while watching (kept).
`;

export const command: CliCommand = {
  name: 'apply',
  summary: 'harden a unit on a host over SSH: drop-in, restart, verify, roll back on failure',
  usage,
  async run(args, io: CliIo) {
    const a = parseApplyArgs(args);
    const { values, unit } = a;
    if (a.userManager !== undefined) {
      connectionArgsFromFlags(values);
      const profile = profileFromFlag(values.profile);
      return applyUserUnit({ user: a.userManager, unit, profile, values, settleMs: a.settleMs, io });
    }
    connectionArgsFromFlags(values); // flag errors before any network use
    const log = progress(io, 'apply');
    const given: Profile | undefined = profileFromFlag(values.profile);
    const conn = await connectFromFlags(values, io, 'apply');
    try {
      const { profile, profiledNow, keepActive, reach } = await profileToApply(conn, a, given, io, log);
      const facts = await factsToResolve(conn, unit, profile, profiledNow, log);
      let plan = resolve(profile, facts, a.settings);
      if (a.sessionUnit === 'session-safe') plan = restrictPlanToSessionSafe(plan, reach);
      for (const n of plan.notes ?? []) log(`note: ${n}`);
      for (const x of plan.advice ?? []) io.stderr.write(formatAdvice(x, 'apply'));
      const text = renderDropIn(plan, { version: hushVersion(), unit, explain: values.explain ?? false });
      if (values['dry-run']) {
        io.stdout.write(
          values.json
            ? JSON.stringify({ unit, host: conn.host, dryRun: true, dropIn: text, plan }, null, 2) + '\n'
            : text,
        );
        return 0;
      }
      log(`${plan.chosen.length} option(s) chosen, ${plan.rejected.length} rejected`);
      // Where the watch starts (before the restart: denials of the settle time count too), and what
      // a rollback on denial puts back.
      const before =
        a.watchMs !== undefined
          ? { cursor: await journalCursor(conn), previous: (await readDropInState(conn, unit)).content }
          : undefined;
      const applyOptions = {
        ...(values.health !== undefined ? { health: values.health } : {}),
        ...(a.healthTimeoutMs !== undefined ? { healthTimeoutMs: a.healthTimeoutMs } : {}),
        settleMs: a.settleMs,
        sessionUnit: a.sessionUnit,
        sessionReach: reach,
        ...(a.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: a.confirmTimeoutMs } : {}),
      };
      try {
        if (a.canaryMs !== undefined) {
          await conn.close();
          return await applyWithCanary({
            unit,
            profile,
            facts,
            settings: a.settings,
            explain: values.explain ?? false,
            canaryMs: a.canaryMs,
            applyOptions,
            connect: () => connectFromFlags(values, io, 'apply'),
            io,
            json: values.json === true,
            log,
          });
        }
        const result = await applyDropIn(conn, unit, text, {
          ...applyOptions,
          force: values.force ?? false,
          keepActive,
          log,
        });
        if (before && a.watchMs !== undefined && result.verdict !== 'unverified') {
          await conn.close();
          return await watchAfterApply({
            unit,
            text,
            result,
            facts,
            profile,
            mode: a.settings.mode,
            watchMs: a.watchMs,
            cursor: before.cursor,
            previous: before.previous,
            rollback: values['rollback-on-denial'] === true,
            connect: () => connectFromFlags(values, io, 'apply'),
            io,
            json: values.json === true,
            log,
          });
        }
        printApplied(io, values.json === true, unit, conn.host, result, text);
        return 0;
      } catch (err) {
        if (!(err instanceof ApplyError)) throw err;
        if (values.json)
          io.stdout.write(
            JSON.stringify({ unit, host: conn.host, result: err.result, dropIn: text }, null, 2) + '\n',
          );
        io.stderr.write(`hush apply: ${err.message}\n`);
        return err.result.verdict === 'rollback-failed' || err.result.verdict === 'revert-failed' ? 4 : 3;
      }
    } finally {
      await conn.close();
    }
  },
};

/** The command line, checked: every usage error before any network use. */
function parseApplyArgs(args: string[]) {
  const parsed = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...HARDENING_FLAGS,
      ...TARGET_FLAGS,
      profile: { type: 'string' },
      'from-recording': { type: 'boolean' },
      duration: { type: 'string' },
      workload: { type: 'string' },
      'save-profile': { type: 'string' },
      tracing: { type: 'string' },
      recorder: { type: 'string' },
      health: { type: 'string' },
      'health-timeout': { type: 'string' },
      settle: { type: 'string' },
      force: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      watch: { type: 'string' },
      'rollback-on-denial': { type: 'boolean' },
      canary: { type: 'string' },
      'confirm-timeout': { type: 'string' },
      ...SESSION_FLAGS,
      ...USER_MANAGER_FLAG,
    },
  });
  const { values, positionals } = parsed;
  const unit = unitFromPositionals(positionals);
  const settings = settingsFromFlags(values);
  const settleMs = values.settle !== undefined ? parseDuration(values.settle, '--settle') : 5000;
  const userManager = userManagerFromFlag(values['user-manager']);
  if (userManager !== undefined)
    refuseForUserUnit(
      values,
      APPLY_FLAGS_NOT_FOR_USER_UNITS,
      'not built for user units; see hush apply --help',
    );
  const durationMs = values.duration !== undefined ? parseDuration(values.duration, '--duration') : undefined;
  const healthTimeoutMs =
    values['health-timeout'] !== undefined
      ? parseDuration(values['health-timeout'], '--health-timeout')
      : undefined;
  if (healthTimeoutMs !== undefined && healthTimeoutMs < 1000) {
    throw new UsageError('--health-timeout must be at least 1s');
  }
  if (healthTimeoutMs !== undefined && values.health === undefined) {
    throw new UsageError('--health-timeout needs --health');
  }
  const sessionUnit = sessionPolicyFromFlags(values);
  const confirmTimeoutMs = confirmTimeoutFromFlag(values['confirm-timeout']);
  const fromRecording = values['from-recording'] === true;
  if (
    fromRecording &&
    (values.profile !== undefined || values.duration !== undefined || values.workload !== undefined)
  )
    throw new UsageError(
      '--from-recording excludes --profile, --duration and --workload (the recording is the profile)',
    );
  if (fromRecording && values['dry-run'])
    throw new UsageError(
      '--from-recording finishes the recording: it excludes --dry-run (hush profile finish -o FILE, then --profile FILE --dry-run)',
    );
  const tracing = tracingFromFlag(values.tracing);
  if (tracing !== undefined && (values.profile !== undefined || fromRecording)) {
    throw new UsageError('--tracing applies to profiling; with --profile nothing is profiled');
  }
  const recorder = recorderFromFlag(values.recorder);
  if (recorder !== undefined && values.profile !== undefined) {
    throw new UsageError('--recorder applies to profiling; with --profile nothing is profiled');
  }
  const watchMs = values.watch !== undefined ? parseDuration(values.watch, '--watch') : undefined;
  if (values['rollback-on-denial'] && watchMs === undefined)
    throw new UsageError('--rollback-on-denial needs --watch');
  if (watchMs !== undefined && values['dry-run'])
    throw new UsageError('--watch and --dry-run exclude each other');
  const canaryMs = values.canary !== undefined ? parseDuration(values.canary, '--canary') : undefined;
  if (canaryMs !== undefined && (watchMs !== undefined || values['dry-run']))
    throw new UsageError('--canary excludes --watch and --dry-run (the canary is a watch)');
  return {
    values,
    unit,
    userManager,
    settings,
    settleMs,
    durationMs,
    healthTimeoutMs,
    sessionUnit,
    confirmTimeoutMs,
    fromRecording,
    tracing,
    recorder,
    watchMs,
    canaryMs,
  };
}

type ApplyArgs = ReturnType<typeof parseApplyArgs>;

/**
 * The profile to apply: the one given, the detached recording finished now, or a profiling session
 * run now; with the unit's session reach (checked before profiling, and again with what the profile shows).
 */
async function profileToApply(
  conn: HostExec,
  a: ApplyArgs,
  given: Profile | undefined,
  io: CliIo,
  log: (line: string) => void,
): Promise<{ profile: Profile; profiledNow: boolean; keepActive: boolean; reach: SessionReach }> {
  const { values, unit, sessionUnit } = a;
  // Before profiling: a unit that starts login sessions would be restarted under strace, with
  // every login traced, only to be refused afterwards.
  let reach = await detectSessionReach(conn, unit, given);
  enforceSessionPolicy(reach, sessionUnit);
  if (given) return { profile: given, profiledNow: false, keepActive: false, reach };
  if (a.fromRecording) {
    log(`finishing the recording of ${unit}`);
    const r = await finishRecording({ unit, connect: () => connectFromFlags(values, io, 'apply'), log });
    for (const w of r.warnings) log(`warning: ${w}`);
    saveProfile(values['save-profile'], r.profile, log);
    return {
      profile: r.profile,
      // its facts were probed when the recording started, with hush's drop-in set aside (the floor)
      profiledNow: r.profile.host !== undefined,
      // the unit ran before hush profiled it here, but its restore onto hush's previous drop-in left it
      // stopped (a re-profile after a change that drop-in did not allow): the verified apply leaves it running
      keepActive: r.restored.wasActive && r.restored.activeState !== 'active',
      reach,
    };
  }
  log(`no --profile: profiling ${unit} first`);
  const r = await profileService({
    unit,
    connect: () => connectFromFlags(values, io, 'apply'),
    ...(a.durationMs !== undefined
      ? { durationMs: a.durationMs }
      : values.workload === undefined
        ? { durationMs: 60_000 }
        : {}),
    ...(values.workload !== undefined ? { remoteWorkload: values.workload } : {}),
    ...(a.tracing !== undefined ? { tracing: a.tracing } : {}),
    ...(a.recorder !== undefined ? { recorder: a.recorder } : {}),
    sessionUnit,
    log,
  });
  for (const w of r.warnings) log(`warning: ${w}`);
  // What the profile shows (credentials changed, login shells run) is evidence too.
  reach = await detectSessionReach(conn, unit, r.profile);
  enforceSessionPolicy(reach, sessionUnit);
  saveProfile(values['save-profile'], r.profile, log);
  return {
    profile: r.profile,
    profiledNow: true,
    keepActive: r.restored.wasActive && r.restored.activeState !== 'active',
    reach,
  };
}

function saveProfile(file: string | undefined, profile: Profile, log: (line: string) => void): void {
  if (!file) return;
  writeFileSync(file, JSON.stringify(profile, null, 2) + '\n');
  log(`profile written to ${file}`);
}

/** Facts probed by the profiling session just now are current; otherwise probe (one round trip). */
async function factsToResolve(
  conn: HostExec & Pick<SessionHost, 'host'>,
  unit: string,
  profile: Profile,
  profiledNow: boolean,
  log: (line: string) => void,
): Promise<HostFacts> {
  let facts = profiledNow ? profile.host : undefined;
  if (!facts) {
    log(`probing ${unit} on ${conn.host}`);
    facts = await probe(conn, unit);
    // The profile's programs as they are on the host now: their modes prove NoNewPrivileges.
    facts = await withExecModesOrUnknown(conn, profile, facts, (message) => log(`warning: ${message}`));
  }
  if (facts.unit?.loadState !== 'loaded') {
    throw new Error(
      `${unit} is not loaded on ${conn.host} (LoadState=${facts.unit?.loadState ?? 'unknown'})`,
    );
  }
  return facts;
}

function printApplied(
  io: CliIo,
  json: boolean,
  unit: string,
  host: string,
  result: ApplyResult,
  text: string,
): void {
  if (json) {
    io.stdout.write(JSON.stringify({ unit, host, result, dropIn: text }, null, 2) + '\n');
    return;
  }
  io.stdout.write(
    result.verdict === 'applied'
      ? `${unit}: hardened and verified on ${host} (${result.path}); access ${result.confirmation ? describeProof(result.confirmation) : 'not checked'}\n`
      : result.verdict === 'unchanged'
        ? `${unit}: already hardened with this drop-in on ${host}; nothing changed\n`
        : `${unit}: drop-in written on ${host} but NOT verified: ${result.failures.join('; ')}\n`,
  );
}

/** A denial that warrants a rollback: the kernel or the manager saw it, or an option of the drop-in explains it. */
function warrantsRollback(d: Denial): boolean {
  return d.finding.kind !== 'errno' || d.causes.length > 0;
}

/**
 * `--watch`: reads denials for the window after a verified apply; with --rollback-on-denial the first
 * one ends the window and the previous drop-in goes back (through the same verified transaction, or
 * hush's reset when there was none). Exit 0 (quiet window), 6 (denials, kept), 5 (rolled back).
 */
async function watchAfterApply(a: {
  unit: string;
  text: string;
  result: ApplyResult;
  facts: HostFacts;
  profile: Profile;
  mode: HardeningMode;
  watchMs: number;
  cursor: string;
  previous: string | null;
  rollback: boolean;
  connect: () => ReturnType<typeof connectFromFlags>;
  io: CliIo;
  json: boolean;
  log: (line: string) => void;
}): Promise<number> {
  const stop = new AbortController();
  a.log(`hardened and verified; watching ${a.unit} for ${(a.watchMs / 1000).toFixed(0)} s for denials`);
  const watch: WatchResult = await watchUnit({
    connect: a.connect,
    unit: a.unit,
    durationMs: a.watchMs,
    since: { cursor: a.cursor },
    relax: { ...dropInAssignments(a.text), facts: a.facts, profile: a.profile, mode: a.mode },
    programs: a.profile.actions.flatMap((x) =>
      x.action.kind === 'path' && x.action.access === 'exec' ? [x.action.path] : [],
    ),
    signal: stop.signal,
    onDenial: (d) => {
      a.log(denialLine(d));
      if (a.rollback && warrantsRollback(d)) stop.abort();
    },
    log: a.log,
  });
  let rolledBack: { how: 'previous' | 'reset'; verdict: string } | undefined;
  if (a.rollback && watch.denials.some(warrantsRollback)) {
    const conn = await a.connect();
    try {
      if (a.previous === null) {
        a.log(`rolling back: removing hush's drop-in from ${a.unit} (there was none before)`);
        const r = await reset(conn, a.unit, { log: a.log });
        rolledBack = { how: 'reset', verdict: r.activeAfter };
      } else {
        a.log(`rolling back: putting the previous drop-in of ${a.unit} back`);
        // What was there before goes back even on a unit that starts sessions: the session check
        // is about new hardening, and the fresh-login confirmation still guards the change.
        const r = await applyDropIn(conn, a.unit, a.previous, {
          force: true,
          sessionUnit: 'sandbox-sessions',
          log: a.log,
        });
        rolledBack = { how: 'previous', verdict: r.verdict };
      }
    } finally {
      await conn.close();
    }
  }
  if (a.json) {
    a.io.stdout.write(
      JSON.stringify(
        { unit: a.unit, result: a.result, dropIn: a.text, watch: watchJson(watch), rolledBack },
        null,
        2,
      ) + '\n',
    );
  } else {
    a.io.stdout.write(`${a.unit}: hardened and verified (${a.result.path})\n` + watchSummary(watch));
    if (rolledBack)
      a.io.stdout.write(
        `${a.unit}: ROLLED BACK after a denial (${rolledBack.how === 'reset' ? "hush's drop-in removed" : 'previous drop-in restored'}; ${rolledBack.verdict})\n`,
      );
  }
  return rolledBack ? 5 : watch.denials.length > 0 ? 6 : 0;
}
