/**
 * Apply a hardening drop-in, verify the service still works, roll back if not.
 *
 *   const r = await applyDropIn(conn, 'nginx.service', dropInText, { health: 'curl -fsS http://localhost/' });
 *   // r.verdict: 'applied' | 'unchanged'; otherwise ApplyError (r.result.verdict 'rolled-back'…)
 *
 * The whole transaction runs on the host, as a transient systemd unit (`hush-apply-<slug>`), in
 * one SSH round trip: stage the new file under /run/hush/apply/<slug>, keep a copy of the
 * previous one (`cp -p`: bytes and mode), write `/etc/systemd/system/<unit>.d/zz-hush-hardening.conf`
 * atomically (temp file in the same directory, fsync, rename, fsync of the directory),
 * daemon-reload, restart, wait the settle time, then verify:
 *   - the restart succeeded and the unit is active after the settle time (oneshot: Result=success);
 *   - no restart during the settle time (InvocationID and NRestarts unchanged);
 *   - no SIGSYS / exec-setup failure (status=2xx/…) / EPERM-style lines in the unit's journal
 *     since a cursor taken before the change;
 *   - the user's health command (run on the host with `sh`) exits 0.
 * On any failure it restores the previous file byte-for-byte (or removes the file, and the
 * directory if hush created it), reloads, restarts, checks the unit is active again, and reports
 * the failures with the journal lines. Running on the host means a controller that dies or loses
 * the connection mid-apply cannot leave a half-applied, unverified configuration behind: the
 * transient unit finishes (or rolls back) on its own.
 *
 * An inactive unit is started for the verification and stopped again afterwards (or left alone
 * with `startInactive: false`, in which case nothing is verified and the result says so).
 */
import { z } from 'zod';
import { parseDropIn } from '../core/dropin/parse';
import type { Connection } from './connection';
import { clearLeftovers } from './profile/leftovers';

import { applyPaths, hardeningPaths, profileSessionDir } from './paths';
import { framedStdin, readFramedInto, sh, trustedScript, type ShellCommand } from './shell';

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
  /** Progress lines. */
  log?: (line: string) => void;
}

export type ApplyVerdict =
  'applied' | 'unchanged' | 'unverified' | 'rolled-back' | 'rollback-failed' | 'failed';

export interface ApplyResult {
  unit: string;
  path: string;
  verdict: ApplyVerdict;
  /** Why verification failed (empty when applied). */
  failures: string[];
  /** Suspicious journal lines since the change (SIGSYS, EPERM…), and on failure the unit's last lines. */
  journal: string[];
  previousExisted: boolean;
  /** After a rollback: the file is byte-identical to the one before (or absent, as before). */
  restoredIdentical?: boolean;
  /** The unit's state before the change. */
  activeBefore: string;
  /** Host-side transaction time and the whole call (one SSH round trip). */
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
          : `could not apply hardening to ${result.unit}`;
    const details = [...result.failures.map((f) => `  - ${f}`)];
    if (result.journal.length > 0)
      details.push('  journal:', ...result.journal.slice(-20).map((l) => `    ${l}`));
    super([lead, ...details].join('\n'));
    this.name = 'ApplyError';
  }
}

/** Another hush apply of the same unit is running on the host. */
export class ApplyBusyError extends Error {}

/**
 * The host-side transaction. Arguments: unit, drop-in dir, drop-in file, stage dir, settle
 * seconds, health timeout seconds, force (0|1), start-inactive (0|1). It writes `key=value`
 * lines to $stage/result and always exits 0: its outcome is the `verdict=` line.
 */
export const APPLY_SCRIPT = String.raw`
unit=$1; dir=$2; file=$3; st=$4; settle=$5; htimeout=$6; force=$7; startinactive=$8
res="$st/result"; : >"$res"
say() { printf '%s\n' "$*" >>"$res"; }
phase=
fail() { ok=0; say "fail=$phase$*"; }
oneline() { tr '\n' ' ' | cut -c1-400; }
props() {
  systemctl show -p ActiveState -p SubState -p InvocationID -p NRestarts -p Result -p Type -p LoadState -- "$unit" >"$st/props" 2>/dev/null
}
p() { sed -n "s/^$1=//p" "$st/props"; }
# Copy $1 over $2 atomically, keeping $1's mode: temp file beside $2, fsync, rename, fsync dir.
install_file() {
  t=$(mktemp "$2.hush-tmp.XXXXXX") || return 1
  if cp -p -- "$1" "$t" && sync -- "$t" && mv -f -- "$t" "$2" && sync -- "$(dirname -- "$2")"; then return 0; fi
  rm -f -- "$t"; return 1
}
restart_and_check() { # $1 = label; sets ok; appends fail= lines
  ok=1
  timeout 600 systemctl restart -- "$unit" >"$st/restart.out" 2>&1; rc=$?
  say "$1RestartRc=$rc"
  [ "$rc" = 0 ] || fail "systemctl restart exited $rc: $(oneline <"$st/restart.out")"
  props; inv1=$(p InvocationID); nr1=$(p NRestarts)
  sleep "$settle"
  props; state=$(p ActiveState); sub=$(p SubState); result=$(p Result)
  say "$1Active=$state"; say "$1SubState=$sub"
  if [ "$type" = oneshot ]; then
    [ "$result" = success ] || fail "oneshot unit result is $result"
  else
    [ "$state" = active ] || fail "unit is $state ($sub, result $result) $settle s after the restart"
    [ "$(p InvocationID)" = "$inv1" ] || fail "unit restarted during the $settle s settle time (new invocation)"
  fi
  [ "$(p NRestarts)" = "$nr1" ] || fail "unit restarted automatically during the settle time (NRestarts $nr1 -> $(p NRestarts))"
}
stop_again() { [ "$wasactive" = 1 ] || systemctl stop -- "$unit" >/dev/null 2>&1; }
# daemon-reload, retried: a failed reload must not go unnoticed, since a rollback that then
# restarted the unit would start it on the broken configuration again.
reload() {
  n=0
  until systemctl daemon-reload >"$st/reload.out" 2>&1; do
    n=$((n + 1)); [ "$n" -ge 5 ] && return 1
    sleep 2
  done
}

start=$(date +%s)
cursor=$(journalctl -n 0 --show-cursor -q 2>/dev/null | sed -n 's/^-- cursor: //p')
props
type=$(p Type); active0=$(p ActiveState)
say "activeBefore=$active0"
case "$(p LoadState)" in loaded) ;; *) say "verdict=failed"; say "fail=unit is not loaded (LoadState=$(p LoadState))"; exit 0 ;; esac
case "$active0" in active|reloading|activating) wasactive=1 ;; *) wasactive=0 ;; esac
if [ -e "$file" ]; then cp -p -- "$file" "$st/prev.conf" || { say verdict=failed; say "fail=cannot save the previous $file"; exit 0; }; prev=yes; else prev=no; fi
say "previousExisted=$prev"
[ -d "$dir" ] && direxisted=yes || direxisted=no
if [ "$force" != 1 ] && [ "$prev" = yes ] && cmp -s -- "$st/new.conf" "$file"; then say verdict=unchanged; exit 0; fi

chmod 0644 "$st/new.conf"
if ! { mkdir -p -- "$dir" && install_file "$st/new.conf" "$file"; }; then
  say verdict=failed; say "fail=cannot write $file"; exit 0
fi
ok=1
reload || fail "daemon-reload failed: $(oneline <"$st/reload.out")"
if [ "$ok" = 1 ]; then
  if [ "$wasactive" = 1 ] || [ "$startinactive" = 1 ]; then
    restart_and_check new
    journalctl -u "$unit" --after-cursor="$cursor" --no-pager -q -o short-iso >"$st/journal" 2>/dev/null ||
      journalctl -u "$unit" --since "@$start" --no-pager -q -o short-iso >"$st/journal" 2>/dev/null
    grep -E 'status=31/SYS|SIGSYS|Bad system call|status=2[0-9][0-9]/[A-Z]|Operation not permitted|EPERM|Read-only file system|Permission denied' "$st/journal" >"$st/hits"
    [ -s "$st/hits" ] && fail "journal shows sandbox denials since the change ($(wc -l <"$st/hits") line(s))"
    if [ "$ok" = 1 ] && [ -e "$st/health" ]; then
      ( cd / && timeout "$htimeout" sh "$st/health" ) >"$st/health.out" 2>&1; hrc=$?
      say "healthRc=$hrc"
      [ "$hrc" = 0 ] || fail "health command exited $hrc: $(tail -c 400 "$st/health.out" | oneline)"
    fi
  else
    say verdict=unverified; say "fail=unit is $active0: not started, so the new configuration is not verified"; exit 0
  fi
fi
if [ "$ok" = 1 ]; then stop_again; say verdict=applied; exit 0; fi

# Roll back: the previous bytes (or no file), reload, restart, check.
if [ "$prev" = yes ]; then install_file "$st/prev.conf" "$file"; else rm -f -- "$file"; [ "$direxisted" = no ] && rmdir -- "$dir" 2>/dev/null; fi
if [ "$prev" = yes ]; then cmp -s -- "$st/prev.conf" "$file" && say restoredIdentical=yes || say restoredIdentical=no
else [ -e "$file" ] && say restoredIdentical=no || say restoredIdentical=yes; fi
phase='rollback: '
reloaded=1
reload || { reloaded=0; say "fail=rollback: daemon-reload failed: $(oneline <"$st/reload.out")"; }
# Stop first: a unit crash-looping under the new configuration has a start job of that
# configuration in flight, and a restart would merge into it and report its failure (seen with
# redis on Debian 13). Then clear the failed state and the start limit the loop may have hit, or
# the start on the previous configuration would be refused.
timeout 600 systemctl stop -- "$unit" >/dev/null 2>&1
systemctl reset-failed -- "$unit" >/dev/null 2>&1
if [ "$wasactive" = 1 ]; then
  ok1=$ok; restart_and_check rollback; rok=$ok; ok=$ok1
  [ "$rok" = 1 ] && [ "$reloaded" = 1 ] && say verdict=rolled-back || say verdict=rollback-failed
else
  systemctl stop -- "$unit" >/dev/null 2>&1; systemctl reset-failed -- "$unit" >/dev/null 2>&1
  [ "$reloaded" = 1 ] && say verdict=rolled-back || say verdict=rollback-failed
fi
# The unit's journal since the change, rollback included (what the failures above refer to).
journalctl -u "$unit" --after-cursor="$cursor" --no-pager -q -o short-iso >"$st/journal" 2>/dev/null ||
  journalctl -u "$unit" --since "@$start" --no-pager -q -o short-iso >"$st/journal" 2>/dev/null
[ -s "$st/journal" ] && tail -n 30 "$st/journal" >"$st/tail"
exit 0
`;

/** The ssh command around the transaction: stage, run it as a transient unit, print the result. */
function applyCommand(
  unit: string,
  dir: string,
  file: string,
  stage: string,
  transientUnit: string,
  args: {
    settleSec: number;
    healthTimeoutSec: number;
    force: boolean;
    startInactive: boolean;
  },
): ShellCommand {
  // The health command arrives on stdin ahead of the drop-in (framedStdin): in this script's argv
  // it would be visible to every local user and in sudo's log.
  const health = readFramedInto(trustedScript('"$st/health"'));
  const profileDir = profileSessionDir(unit);
  const txn = [
    unit,
    dir,
    file,
    stage,
    args.settleSec,
    args.healthTimeoutSec,
    args.force ? 1 : 0,
    args.startInactive ? 1 : 0,
  ];
  return sh`st=${stage}; tu=${transientUnit}; u=${unit}
if systemctl is-active --quiet -- "$tu"; then echo busy; exit 75; fi
for f in /run/systemd/system/"$u".d/*hush*.conf ${profileDir}; do [ -e "$f" ] && { echo "leftover=$f"; exit 76; }; done
rm -rf -- "$st" && mkdir -p -m 0700 -- "$st" || exit 1
printf '%s' ${APPLY_SCRIPT} >"$st/apply.sh"
${health}
cat >"$st/new.conf"
s0=$(date +%s%N)
systemd-run --unit="$tu" --description=${`hush: apply hardening to ${unit}`} --wait --collect --quiet --service-type=exec /bin/sh "$st/apply.sh" ${txn} >"$st/run.out" 2>&1
echo "runRc=$?"
echo "hostMs=$(( ($(date +%s%N) - s0) / 1000000 ))"
cat -- "$st/result"
echo @@hits@@; head -n 50 -- "$st/hits" 2>/dev/null
echo @@tail@@; cat -- "$st/tail" 2>/dev/null
echo @@run@@; tail -c 2000 -- "$st/run.out"
rm -rf -- "$st"`;
}

const Verdict = z.enum(['applied', 'unchanged', 'unverified', 'rolled-back', 'rollback-failed', 'failed']);

/** Parses the command's output (pure; exported for tests). */
export function parseApplyOutput(
  text: string,
  unit: string,
  path: string,
): Omit<ApplyResult, 'hostMs' | 'totalMs'> {
  const sections: Record<string, string[]> = { head: [], hits: [], tail: [], run: [] };
  let current = 'head';
  for (const line of text.split('\n')) {
    const m = /^@@(hits|tail|run)@@$/.exec(line);
    if (m) current = m[1] as string;
    else (sections[current] as string[]).push(line);
  }
  const head = sections.head!.join('\n');
  const hits = sections.hits!.join('\n');
  const tail = sections.tail!.join('\n');
  const run = sections.run!.join('\n');
  const kv: Record<string, string> = {};
  const failures: string[] = [];
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'fail') failures.push(v.trim());
    else kv[k] = v;
  }
  const verdict = Verdict.safeParse(kv.verdict);
  if (!verdict.success) {
    const why =
      kv.runRc !== undefined && kv.runRc !== '0'
        ? `systemd-run exited ${kv.runRc}: ${run.trim()}`
        : text.trim();
    return {
      unit,
      path,
      verdict: 'failed',
      failures: [`the apply transaction did not report a result (${why.slice(0, 600)})`],
      journal: [],
      previousExisted: kv.previousExisted === 'yes',
      activeBefore: kv.activeBefore ?? 'unknown',
    };
  }
  const lines = (t: string) => t.split('\n').filter((l) => l.trim() !== '');
  const journal = [...lines(hits)];
  if (verdict.data !== 'applied' && verdict.data !== 'unchanged') {
    for (const l of lines(tail)) if (!journal.includes(l)) journal.push(l);
  }
  const r: Omit<ApplyResult, 'hostMs' | 'totalMs'> = {
    unit,
    path,
    verdict: verdict.data,
    failures,
    journal,
    previousExisted: kv.previousExisted === 'yes',
    activeBefore: kv.activeBefore ?? 'unknown',
  };
  if (kv.restoredIdentical !== undefined) r.restoredIdentical = kv.restoredIdentical === 'yes';
  return r;
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
 * Writes the hardening drop-in, verifies, rolls back on failure (see the module comment).
 * Resolves with verdict `applied`, `unchanged` or `unverified`; throws ApplyError otherwise.
 */
export async function applyDropIn(
  conn: Connection,
  unit: string,
  text: string,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const { unit: name, dir, file } = hardeningPaths(unit);
  const { stage, transientUnit } = applyPaths(name);
  checkDropInText(text);
  const settleSec = Math.max(0, (opts.settleMs ?? 5000) / 1000);
  const healthTimeoutSec = Math.max(1, Math.ceil((opts.healthTimeoutMs ?? 60_000) / 1000));
  const cmd = applyCommand(name, dir, file, stage, transientUnit, {
    settleSec,
    healthTimeoutSec,
    force: opts.force ?? false,
    startInactive: opts.startInactive ?? true,
  });
  const t0 = Date.now();
  for (let attempt = 0; ; attempt++) {
    opts.log?.(
      `apply: writing ${file}, restarting ${name} and verifying (settle ${settleSec} s) on ${conn.host}`,
    );
    const stdin = Buffer.concat([
      framedStdin([opts.health === undefined ? '' : `${opts.health}\n`]),
      Buffer.from(text),
    ]);
    const r = await conn.exec(cmd, { stdin, timeoutMs: 30 * 60_000 });
    if (r.code === 75)
      throw new ApplyBusyError(`another hush apply of ${name} is running on ${conn.host} (${transientUnit})`);
    if (r.code === 76 && attempt === 0) {
      // An earlier profiling session left its runtime wrapper: clear it (restores the unit) first.
      opts.log?.(`apply: found leftovers of a profiling session of ${name}; clearing them first`);
      await clearLeftovers(conn, name, opts.log ? { log: opts.log } : {});
      continue;
    }
    if (!/^runRc=/m.test(r.stdout)) {
      if (r.code === -1 || r.signal) {
        throw new Error(
          `lost the connection to ${conn.host} during the apply of ${name}: the host finishes the transaction on its own ` +
            `(${transientUnit}: verify, or roll back on failure); \`hush status\` shows when it is done`,
        );
      }
      throw new Error(
        `apply on ${conn.host} failed before the transaction started (exit ${r.code}): ${(r.stdout + r.stderr).trim().slice(-600)}`,
      );
    }
    const parsed = parseApplyOutput(r.stdout, name, file);
    const totalMs = Date.now() - t0;
    const hostMs = Number(/^hostMs=(\d+)$/m.exec(r.stdout)?.[1] ?? NaN);
    const result: ApplyResult = { ...parsed, hostMs: Number.isFinite(hostMs) ? hostMs : totalMs, totalMs };
    if (result.verdict === 'applied' || result.verdict === 'unchanged' || result.verdict === 'unverified') {
      opts.log?.(`apply: ${result.verdict} (${(totalMs / 1000).toFixed(1)} s)`);
      return result;
    }
    throw new ApplyError(result);
  }
}
