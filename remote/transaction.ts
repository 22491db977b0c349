/**
 * The host-side transaction behind `apply` and `reset`: a change to hush's drop-in that is
 * staged at runtime, verified, CONFIRMED by a fresh login from the controller, and only then
 * persisted — `commit confirmed` as on routers, `netplan try`.
 *
 *   stage     /run/hush/apply/<slug>: txn.sh, env, new.conf, health, phase, result
 *   change    the new drop-in (apply) or an empty mask (reset) at
 *             /run/systemd/system.control/<unit>.d/zz-hush-hardening.conf, which masks the file
 *             of the same name in /etc; daemon-reload, restart, verify
 *   pending   verified: a transient timer (<deadline unit>.timer) will revert the change at the
 *             deadline unless the controller confirms first
 *   confirm   the controller opens a NEW SSH connection with the same login (sudo -n checked),
 *             writes a file under /etc from that session (remote/access.ts), then runs `commit`
 *   commit    the change goes to /etc (written atomically), the runtime copy is removed, the
 *             timer stopped
 *   revert    the runtime copy is removed, daemon-reload, the unit restarted on what /etc holds
 *
 * Why in this order, step by step:
 *   - /etc is not touched until a fresh login proved access: an unverified or unconfirmed change
 *     lives only under /run, so a reboot at any moment before the commit boots the previous
 *     configuration, and there is no backup in /run to lose (the previous file never moved).
 *   - The deadline timer is armed before the phase says `pending`: a transaction killed in
 *     between is seen as unfinished (phase `changing`) and reverted by the transaction unit's
 *     ExecStopPost, and the timer, firing later, finds nothing pending.
 *   - ExecStopPost reverts a transaction stopped (or killed) mid-change: `systemctl stop` of the
 *     transaction unit leaves the unit on its previous configuration, not half-way.
 *   - commit writes /etc first and removes the runtime copy second: a reboot between the two
 *     finds the verified file in /etc, the same configuration.
 *   - commit, the deadline and a controller's revert take one lock and act only on `pending`:
 *     exactly one of them wins; the loser reports what happened instead.
 *   - Every file operation's failure is recorded with its path and the system's message (EROFS,
 *     EACCES, EPERM…), and ends the transaction as failed or reverted: never "nothing to do".
 *   - The transaction runs as a transient unit of PID 1, outside the caller's SSH session: a
 *     session that inherited a sandbox (read-only /etc) still gets a real answer, and a
 *     controller that vanishes mid-change leaves the host to finish (and revert, if unconfirmed).
 */
import { createHash } from 'node:crypto';
import { ADMIN_WRITE_CHECK, describeProof, proveAccess, type AccessProof } from './access';
import type { Connection } from './connection';
import type { HostExec } from './host';
import { applyPaths, hardeningPaths, profileSessionDir } from './paths';
import { framedStdin, readFramedInto, sh, shQuote, trustedScript, type ShellCommand } from './shell';

export type TransactionMode = 'apply' | 'reset';

export interface TransactionSpec {
  mode: TransactionMode;
  unit: string;
  /** apply: the drop-in text. */
  text?: string;
  health?: string;
  settleSec: number;
  healthTimeoutSec: number;
  force: boolean;
  startInactive: boolean;
  /** Leave the unit running after a verified apply although it was not active just before (ApplyOptions.keepActive). */
  keepActive?: boolean;
  /** Seconds from `pending` until the host reverts an unconfirmed change. */
  confirmSec: number;
}

/**
 * The host script. `sh txn.sh COMMAND STAGE`; COMMAND: run | commit | revert-now REASON | stopped |
 * deadline. `run` and `commit` append `key=value` lines to $st/result; the last `verdict=` wins.
 */
export const TXN_SCRIPT = String.raw`
cmd=$1; st=$2
. "$st/env" || exit 70
res="$st/result"
say() { printf '%s\n' "$*" >>"$res"; }
phase=
fail() { ok=0; say "fail=$phase$*"; }
oneline() { tr '\n' ' ' | cut -c1-400; }
errof() { oneline <"$st/err"; }
setphase() { printf '%s\n' "$1" >"$st/phase.tmp" && mv -f -- "$st/phase.tmp" "$st/phase"; }
getphase() { cat -- "$st/phase" 2>/dev/null; }
lock() { exec 9>>"$st/lock" && flock 9; }
props() {
  systemctl show -p ActiveState -p SubState -p InvocationID -p NRestarts -p Result -p Type -p LoadState -- "$unit" >"$st/props" 2>/dev/null
}
p() { sed -n "s/^$1=//p" "$st/props"; }
restart_and_check() { # $1 = label; sets ok; appends fail= lines
  ok=1
  timeout 600 systemctl restart -- "$unit" >"$st/restart.out" 2>&1; rc=$?
  say "$1RestartRc=$rc"
  [ "$rc" = 0 ] || fail "systemctl restart exited $rc: $(oneline <"$st/restart.out")"
  props; inv1=$(p InvocationID); nr1=$(p NRestarts)
  sleep "$settle"
  props; state=$(p ActiveState); sub=$(p SubState); result=$(p Result)
  say "$1Active=$state"; say "$1SubState=$sub"
  if [ "$(p Type)" = oneshot ]; then
    [ "$result" = success ] || fail "oneshot unit result is $result"
  else
    [ "$state" = active ] || fail "unit is $state ($sub, result $result) $settle s after the restart"
    [ "$(p InvocationID)" = "$inv1" ] || fail "unit restarted during the $settle s settle time (new invocation)"
  fi
  [ "$(p NRestarts)" = "$nr1" ] || fail "unit restarted automatically during the settle time (NRestarts $nr1 -> $(p NRestarts))"
}
# daemon-reload, retried: a failed reload must not go unnoticed, since a revert that then restarted
# the unit would start it on the changed configuration again.
reload() {
  n=0
  until systemctl daemon-reload >"$st/reload.out" 2>&1; do
    n=$((n + 1)); [ "$n" -ge 5 ] && return 1
    sleep 2
  done
}
journal() {
  journalctl -u "$unit" --after-cursor="$(cat "$st/cursor" 2>/dev/null)" --no-pager -q -o short-iso >"$st/journal" 2>/dev/null ||
    journalctl -u "$unit" --since "@$(cat "$st/start")" --no-pager -q -o short-iso >"$st/journal" 2>/dev/null
}
# Copy $1 over $2 atomically (temp file beside $2, fsync, rename, fsync of the directory), mode 0644.
install_file() {
  t=$(mktemp "$2.hush-tmp.XXXXXX" 2>"$st/err") || return 1
  if cp -- "$1" "$t" 2>"$st/err" && chmod 0644 -- "$t" 2>"$st/err" && sync -- "$t" 2>"$st/err" &&
    mv -f -- "$t" "$2" 2>"$st/err" && sync -- "$(dirname -- "$2")" 2>"$st/err"; then return 0; fi
  rm -f -- "$t"; return 1
}
# A /dev/null link at $rt is a profiling session's set-aside of hush's drop-in (remote/setAside.ts),
# never a transaction's runtime copy: no step of a transaction removes or replaces it.
setaside() { [ -L "$rt" ] && [ "$(readlink -- "$rt")" = /dev/null ]; }
fingerprint() { if [ -e "$file" ] || [ -L "$file" ]; then sha256sum -- "$file" 2>&1 | cut -c1-64; else echo absent; fi; }

# Back to what /etc holds: drop the runtime copy, reload, restart (or stop, if it was inactive).
# $1 = why, $2 = verdict on success (rolled-back | reverted).
revert() {
  setphase reverting
  say "revertReason=$1"
  phase='revert: '
  if { [ -e "$rt" ] || [ -L "$rt" ]; } && ! setaside; then rm -f -- "$rt" 2>"$st/err" || say "fail=revert: cannot remove $rt: $(errof)"; fi
  rmdir -- "$rtdir" 2>/dev/null
  [ "$(cat "$st/direxisted" 2>/dev/null)" = no ] && rmdir -- "$dir" 2>/dev/null
  [ "$(fingerprint)" = "$(cat "$st/fingerprint" 2>/dev/null)" ] && say restoredIdentical=yes || say restoredIdentical=no
  reloaded=1
  reload || { reloaded=0; say "fail=revert: daemon-reload failed: $(oneline <"$st/reload.out")"; }
  # Stop first: a unit crash-looping under the change has a start job of that configuration in
  # flight, and a restart would merge into it and report its failure (seen with redis on
  # Debian 13). Then clear the failed state and the start limit the loop may have hit.
  timeout 600 systemctl stop -- "$unit" >/dev/null 2>&1
  systemctl reset-failed -- "$unit" >/dev/null 2>&1
  rok=1
  if [ "$(cat "$st/wasactive" 2>/dev/null)" = 1 ]; then ok1=$ok; restart_and_check revert; rok=$ok; ok=$ok1; fi
  [ -e "$rt" ] && ! setaside && rok=0
  if [ "$rok" = 1 ] && [ "$reloaded" = 1 ]; then say "verdict=$2"; else say "verdict=$2-failed"; fi
  journal; [ -s "$st/journal" ] && tail -n 30 "$st/journal" >"$st/tail"
  systemctl stop -- "$dl.timer" >/dev/null 2>&1
  setphase reverted
}

run() {
  : >"$res"
  date +%s >"$st/start"
  journalctl -n 0 --show-cursor -q 2>/dev/null | sed -n 's/^-- cursor: //p' >"$st/cursor"
  props
  active0=$(p ActiveState)
  say "activeBefore=$active0"
  case "$(p LoadState)" in loaded) ;; *) say "fail=unit is not loaded (LoadState=$(p LoadState))"; say verdict=failed; setphase done; exit 0 ;; esac
  case "$active0" in active|reloading|activating) echo 1 >"$st/wasactive" ;; *) echo 0 >"$st/wasactive" ;; esac
  fingerprint >"$st/fingerprint"
  if [ -e "$file" ] || [ -L "$file" ]; then say previousExisted=yes; prev=yes; else say previousExisted=no; prev=no; fi
  [ -d "$dir" ] && echo yes >"$st/direxisted" || echo no >"$st/direxisted"
  # A runtime copy without a live transaction (its stage was removed by hand): not the previous state.
  stale=no
  if setaside; then say "fail=$rt sets hush's drop-in aside for a profiling session: finish or cancel that session first"; say verdict=failed; setphase done; exit 0; fi
  if [ -e "$rt" ] || [ -L "$rt" ]; then
    rm -f -- "$rt" 2>"$st/err" || { say "fail=cannot remove the stale $rt: $(errof)"; say verdict=failed; setphase done; exit 0; }
    say "removed=$rt"; stale=yes
  fi
  if [ "$mode" = apply ]; then
    if [ "$force" != 1 ] && [ "$prev" = yes ] && [ "$stale" = no ] && cmp -s -- "$st/new.conf" "$file"; then
      say verdict=unchanged; setphase done; exit 0
    fi
  else
    # Interrupted writes leave temp files systemd ignores (not *.conf): removing them changes nothing.
    for f in "$file".hush-tmp.*; do
      [ -e "$f" ] || [ -L "$f" ] || continue
      rm -f -- "$f" 2>"$st/err" || { say "fail=cannot remove $f: $(errof)"; say verdict=failed; setphase done; exit 0; }
      say "removed=$f"
    done
    if [ "$prev" = no ] && [ "$stale" = no ]; then say verdict=unchanged; setphase done; exit 0; fi
  fi
  # Can /etc be written where the commit will write? Known now, before anything changes, rather
  # than after a restart and a fresh login.
  if [ ! -d "$dir" ]; then
    mkdir -p -- "$dir" 2>"$st/err" || { say "fail=cannot create $dir: $(errof)"; say verdict=failed; setphase done; exit 0; }
  fi
  t=$(mktemp "$dir/.hush-probe.XXXXXX" 2>"$st/err") && rm -f -- "$t" 2>"$st/err" || {
    say "fail=cannot write in $dir: $(errof)"
    [ "$(cat "$st/direxisted")" = no ] && rmdir -- "$dir" 2>/dev/null
    say verdict=failed; setphase done; exit 0
  }
  [ "$(cat "$st/direxisted")" = no ] && rmdir -- "$dir" 2>/dev/null

  setphase changing
  ok=1
  if mkdir -p -- "$rtdir" 2>"$st/err"; then
    if [ "$mode" = apply ]; then install_file "$st/new.conf" "$rt" || fail "cannot write $rt: $(errof)"
    else printf '# hush reset of %s: masks %s until the reset is confirmed\n' "$unit" "$file" >"$st/mask.conf" && install_file "$st/mask.conf" "$rt" || fail "cannot write $rt: $(errof)"
    fi
  else fail "cannot create $rtdir: $(errof)"; fi
  [ "$ok" = 1 ] && { reload || fail "daemon-reload failed: $(oneline <"$st/reload.out")"; }
  unitok=1
  if [ "$ok" = 1 ]; then
    if [ "$(cat "$st/wasactive")" = 1 ] || { [ "$mode" = apply ] && [ "$startinactive" = 1 ]; }; then
      restart_and_check new
      unitok=$ok
      if [ "$mode" = apply ]; then
        journal
        grep -E 'status=31/SYS|SIGSYS|Bad system call|status=2[0-9][0-9]/[A-Z]|Operation not permitted|EPERM|Read-only file system|Permission denied' "$st/journal" >"$st/hits"
        [ -s "$st/hits" ] && fail "journal shows sandbox denials since the change ($(wc -l <"$st/hits") line(s))"
        if [ "$ok" = 1 ] && [ -e "$st/health" ]; then
          ( cd / && timeout "$htimeout" sh "$st/health" ) >"$st/health.out" 2>&1; hrc=$?
          say "healthRc=$hrc"
          [ "$hrc" = 0 ] || fail "health command exited $hrc: $(tail -c 400 "$st/health.out" | oneline)"
        fi
        [ "$ok" = 1 ] && [ "$(cat "$st/wasactive")" = 0 ] && [ "$keepactive" != 1 ] && systemctl stop -- "$unit" >/dev/null 2>&1
      else
        # A reset keeps the unit's own configuration even if the unit fails on it: that is what
        # was asked for. The failures are reported; only a lost login reverts a reset.
        ok=1
      fi
    elif [ "$mode" = apply ]; then
      say unverified=yes; say "fail=unit is $active0: not started, so the new configuration is not verified"
    fi
  fi
  if [ "$ok" != 1 ]; then revert 'verification failed' rolled-back; exit 0; fi
  [ "$unitok" = 1 ] || say unitFailed=yes
  lock
  # Armed before the phase says pending: killed in between, ExecStopPost still sees "changing".
  if ! systemd-run --quiet --unit="$dl" --description="hush: revert $unit unless the change is confirmed" \
      --on-active="$confirm"s --timer-property=AccuracySec=1s --collect \
      /bin/sh "$st/txn.sh" deadline "$st" >"$st/err" 2>&1; then
    say "fail=cannot arm the confirmation deadline: $(errof)"; revert 'no deadline timer' rolled-back; exit 0
  fi
  echo $(( $(date +%s) + confirm )) >"$st/deadline"
  say "deadline=$(cat "$st/deadline")"
  setphase pending
  say verdict=pending
}

commit() {
  lock
  ph=$(getphase)
  if [ "$ph" != pending ]; then say "commitRefused=$ph"; return 0; fi
  setphase committing
  phase='commit: '
  ok=1
  if [ "$mode" = apply ]; then
    { [ -d "$dir" ] || mkdir -p -- "$dir" 2>"$st/err"; } && install_file "$st/new.conf" "$file" || fail "cannot write $file: $(errof)"
  else
    for f in "$file" "$file".hush-tmp.*; do
      [ -e "$f" ] || [ -L "$f" ] || continue
      if rm -f -- "$f" 2>"$st/err"; then say "removed=$f"; else fail "cannot remove $f: $(errof)"; break; fi
    done
    [ "$ok" = 1 ] && [ -d "$dir" ] && rmdir -- "$dir" 2>/dev/null && say "removed=$dir"
  fi
  if [ "$ok" != 1 ]; then revert 'the change could not be made persistent' reverted; return 0; fi
  # /etc holds the confirmed state now; only then the runtime copy goes (a reboot in between
  # boots the same configuration from /etc).
  rm -f -- "$rt" 2>"$st/err" || fail "cannot remove $rt: $(errof)"
  rmdir -- "$rtdir" 2>/dev/null
  reload || fail "daemon-reload failed: $(oneline <"$st/reload.out")"
  systemctl stop -- "$dl.timer" >/dev/null 2>&1
  setphase committed
  say committed=yes
}

case "$cmd" in
  run) run ;;
  commit) commit ;;
  revert-now)
    lock
    case "$(getphase)" in pending) revert "$3" reverted ;; *) say "revertRefused=$(getphase)" ;; esac ;;
  deadline)
    lock
    case "$(getphase)" in pending) revert "no confirmation within $confirm s: no fresh login proved access" reverted ;; esac ;;
  stopped)
    # ExecStopPost of the transaction unit: a transaction stopped or killed mid-change.
    case "$(getphase)" in changing|reverting) lock; revert 'the transaction was stopped before it finished' reverted ;; esac ;;
  *) exit 64 ;;
esac
exit 0
`;

/** The stage's `env` file: every value quoted by hush (sourced by txn.sh). */
function envFile(spec: TransactionSpec): string {
  const { dir, file } = hardeningPaths(spec.unit);
  const p = applyPaths(spec.unit);
  const vars: Record<string, string | number> = {
    mode: spec.mode,
    unit: spec.unit,
    dir,
    file,
    rt: p.pendingFile,
    rtdir: p.pendingDir,
    tu: p.transientUnit,
    dl: p.deadlineUnit,
    settle: spec.settleSec,
    htimeout: spec.healthTimeoutSec,
    force: spec.force ? 1 : 0,
    startinactive: spec.startInactive ? 1 : 0,
    keepactive: spec.keepActive ? 1 : 0,
    confirm: spec.confirmSec,
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${shQuote(v)}`)
    .join('\n');
}

/** Exit codes of the command around `run`, before anything changed. */
export const TXN_BUSY = 75;
export const TXN_PROFILING_LEFTOVER = 76;
export const TXN_PENDING = 77;
export const TXN_STAGE_FAILED = 78;

/**
 * Shell functions of the commands below, which run in the caller's SSH session: `pid1` runs a
 * command as a transient unit of PID 1 and waits for it. Every write goes through it, never
 * through the session itself: a session that inherited a sandbox (read-only /etc and /run) still
 * stages, commits and cleans up, and a cut connection does not stop a write half-way.
 */
const SESSION_HELPERS = String.raw`pid1() { systemd-run --quiet --wait --collect --service-type=exec "$@"; }
report() {
  echo "runRc=$rc"
  cat -- "$st/result" 2>/dev/null
  echo @@hits@@; head -n 50 -- "$st/hits" 2>/dev/null
  echo @@tail@@; cat -- "$st/tail" 2>/dev/null
  echo @@run@@; printf '%s\n' "$out" | tail -c 2000
}
clear_stage() { rm -rf -- "$st" 2>/dev/null || pid1 /bin/rm -rf -- "$st" >/dev/null 2>&1; }`;

/**
 * The command that writes the stage in PID 1 (see SESSION_HELPERS); the health command and the new
 * drop-in come on stdin (`systemd-run --pipe`; transactionStdin), never in an argv, which every
 * local user and sudo's log would see. PID 1 expands `$VAR` and `\${VAR}` in the arguments of the
 * commands it starts, so the script travels base64-encoded: no `$` (nor `%`) in any argument.
 */
function stageCommand(spec: TransactionSpec): ShellCommand {
  const { stage } = applyPaths(spec.unit);
  const script = sh`set -e; st=${stage}
rm -rf -- "$st"; mkdir -p -m 0700 -- "$st"
printf '%s' ${TXN_SCRIPT} >"$st/txn.sh"
printf '%s\n' ${envFile(spec)} >"$st/env"
{ ${readFramedInto(trustedScript('"$st/health"'))}; } <&3
cat <&3 >"$st/new.conf"`;
  const b64 = Buffer.from(script.text, 'utf8').toString('base64');
  return sh`pid1 --pipe /bin/sh -c ${`exec 3<&0; echo ${b64} | base64 -d | /bin/sh -s`}`;
}

/** What runCommand reads on stdin: the health command first (framed), then the drop-in. */
export function transactionStdin(spec: Pick<TransactionSpec, 'health' | 'text'>): Buffer {
  return Buffer.concat([
    framedStdin([spec.health === undefined ? '' : `${spec.health}\n`]),
    Buffer.from(spec.text ?? ''),
  ]);
}

/**
 * The ssh command that stages and runs the transaction as a transient unit (`--wait`), then prints
 * its result. A finished stage (committed, reverted, done) of an earlier transaction is cleared
 * first; a live one makes it exit 75 (running) or 77 (awaiting confirmation).
 */
export function runCommand(spec: TransactionSpec): ShellCommand {
  const p = applyPaths(spec.unit);
  return sh`st=${p.stage}; tu=${p.transientUnit}; dl=${p.deadlineUnit}; u=${spec.unit}; out=
${trustedScript(SESSION_HELPERS)}
if systemctl is-active --quiet -- "$tu"; then echo busy; exit ${TXN_BUSY}; fi
if [ -d "$st" ]; then
  case "$(cat -- "$st/phase" 2>/dev/null)" in
    pending) if systemctl is-active --quiet -- "$dl.timer"; then echo "pending until $(cat -- "$st/deadline")"; exit ${TXN_PENDING}; fi
             pid1 /bin/sh "$st/txn.sh" revert-now "$st" 'its deadline timer was gone' >/dev/null 2>&1 ;;
    changing|reverting) pid1 /bin/sh "$st/txn.sh" stopped "$st" >/dev/null 2>&1 ;;
  esac
fi
if [ "$(readlink -- ${p.pendingFile} 2>/dev/null)" = /dev/null ]; then echo "leftover=${p.pendingFile} (hush's drop-in set aside for a profiling session)"; exit ${TXN_PROFILING_LEFTOVER}; fi
for f in /run/systemd/system/"$u".d/*hush*.conf ${profileSessionDir(spec.unit)}; do [ -e "$f" ] && { echo "leftover=$f"; exit ${TXN_PROFILING_LEFTOVER}; }; done
if ! e=$(${stageCommand(spec)} 2>&1); then
  echo "stage=cannot write $st: $e" | tr '\n' ' '; exit ${TXN_STAGE_FAILED}
fi
# The session's own /etc write before the change: the fresh login afterwards must match it.
if b=$( ${ADMIN_WRITE_CHECK} ); then echo baselineAdminWrite=ok; else echo "baselineAdminWrite=$b"; fi
s0=$(date +%s%N)
out=$(systemd-run --unit="$tu" --description=${`hush: ${spec.mode} hardening of ${spec.unit}`} --wait --collect --quiet \
  --service-type=exec -p TimeoutStopSec=20min -p ExecStopPost="/bin/sh $st/txn.sh stopped $st" \
  /bin/sh "$st/txn.sh" run "$st" 2>&1)
rc=$?
echo "hostMs=$(( ($(date +%s%N) - s0) / 1000000 ))"
report
case "$(cat -- "$st/phase" 2>/dev/null)" in pending) ;; *) clear_stage ;; esac`;
}

/** Runs `commit` in PID 1, then prints the result and clears the stage. */
export function commitCommand(unit: string): ShellCommand {
  const p = applyPaths(unit);
  return sh`st=${p.stage}; out=
${trustedScript(SESSION_HELPERS)}
[ -e "$st/txn.sh" ] || { echo "stage=missing: $st"; exit ${TXN_STAGE_FAILED}; }
out=$(pid1 /bin/sh "$st/txn.sh" commit "$st" 2>&1)
rc=$?
report
clear_stage`;
}

/** Reverts a pending change now (the controller could not prove access), then prints the result. */
export function revertNowCommand(unit: string, reason: string): ShellCommand {
  const p = applyPaths(unit);
  return sh`st=${p.stage}; out=
${trustedScript(SESSION_HELPERS)}
[ -e "$st/txn.sh" ] || { echo "stage=missing: $st"; exit ${TXN_STAGE_FAILED}; }
out=$(pid1 /bin/sh "$st/txn.sh" revert-now "$st" ${reason} 2>&1)
rc=$?
report
clear_stage`;
}

/** Prints the result of a transaction whose controller went away (reverted by the deadline or not). */
export function readStageCommand(unit: string): ShellCommand {
  const p = applyPaths(unit);
  const { file } = hardeningPaths(unit);
  return sh`st=${p.stage}; rc=0; out=
${trustedScript(SESSION_HELPERS)}
if [ ! -d "$st" ]; then
  echo "stage=missing: $st"
  [ -e ${p.pendingFile} ] && echo pendingFile=yes || echo pendingFile=no
  if [ -e ${file} ]; then echo "etcSha256=$(sha256sum -- ${file} | cut -c1-64)"; else echo etcSha256=absent; fi
  exit 0
fi
echo "phase=$(cat -- "$st/phase" 2>/dev/null)"
report
case "$(cat -- "$st/phase" 2>/dev/null)" in pending|changing|reverting|committing) ;; *) clear_stage ;; esac`;
}

// ------------------------------------------------------------------------------- the output

export interface TransactionOutput {
  /** The last `verdict=` line, if any. */
  verdict?: string;
  /** Every key=value except fail/removed (the last value of each key). */
  kv: Record<string, string>;
  failures: string[];
  removed: string[];
  hits: string[];
  tail: string[];
  run: string;
}

/** Parses what runCommand / commitCommand / revertNowCommand print. Pure. */
export function parseTransactionOutput(text: string): TransactionOutput {
  const sections: Record<string, string[]> = { head: [], hits: [], tail: [], run: [] };
  let current = 'head';
  for (const line of text.split('\n')) {
    const m = /^@@(hits|tail|run)@@$/.exec(line);
    if (m) current = m[1] as string;
    else (sections[current] as string[]).push(line);
  }
  const kv: Record<string, string> = {};
  const failures: string[] = [];
  const removed: string[] = [];
  for (const line of sections.head!) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'fail') failures.push(v.trim());
    else if (k === 'removed') removed.push(v);
    else kv[k] = v;
  }
  const lines = (l: string[]) => l.filter((x) => x.trim() !== '');
  const out: TransactionOutput = {
    kv,
    failures,
    removed,
    hits: lines(sections.hits!),
    tail: lines(sections.tail!),
    run: sections.run!.join('\n').trim(),
  };
  if (kv.verdict !== undefined) out.verdict = kv.verdict;
  return out;
}

/** Runs one of the commands above; `null` when the connection died before a result came back. */
export async function execTransaction(
  conn: HostExec,
  cmd: ShellCommand,
  stdin?: string | Buffer,
): Promise<{ code: number; out: TransactionOutput; raw: string } | null> {
  const r = await conn.exec(cmd, { timeoutMs: 60 * 60_000, ...(stdin !== undefined ? { stdin } : {}) });
  if (!/^(runRc|stage|phase)=/m.test(r.stdout) && (r.code === -1 || r.signal)) return null;
  return { code: r.code, out: parseTransactionOutput(r.stdout), raw: (r.stdout + r.stderr).trim() };
}

// ------------------------------------------------------------------------------- the controller

export interface TransactOptions {
  log?: (line: string) => void;
}

export type TransactOutcome =
  /** Nothing pending came out of `run`: unchanged, failed before the change, or rolled back. */
  | 'done'
  /** Confirmed by a fresh login and persisted to /etc. */
  | 'committed'
  /** Not confirmed (or not persistable): the host is back on what /etc holds. */
  | 'reverted'
  /** The revert itself failed: the unit needs attention. */
  | 'revert-failed';

export interface TransactResult {
  outcome: TransactOutcome;
  /** What `run` reported (verification). */
  run: TransactionOutput;
  /** What commit or revert reported, when there was one. */
  end?: TransactionOutput;
  /** The fresh-login proof after the change. */
  confirmation?: AccessProof;
  /** After a revert: access proven again over another fresh login. */
  accessAfterRevert?: AccessProof;
  hostMs: number;
}

/** `run` could not start: the code says why (TXN_BUSY, TXN_PENDING, TXN_PROFILING_LEFTOVER, TXN_STAGE_FAILED). */
export class TransactionNotStarted extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TransactionNotStarted';
  }
}

/** The controller lost its connection before the transaction reported. */
export class TransactionConnectionLost extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the transaction and, when it is pending, proves access with a fresh login and commits, or
 * reverts and proves access is back. See the module comment.
 */
export async function transact(
  conn: Connection,
  spec: TransactionSpec,
  opts: TransactOptions = {},
): Promise<TransactResult> {
  const log = opts.log ?? (() => undefined);
  const p = applyPaths(spec.unit);
  const r = await execTransaction(conn, runCommand(spec), transactionStdin(spec));
  if (r === null) {
    throw new TransactionConnectionLost(
      `lost the connection to ${conn.host} during the ${spec.mode} of ${spec.unit}: the host finishes the transaction on its own ` +
        `(${p.transientUnit}); a verified change waits ${spec.confirmSec} s for a confirmation this controller can no ` +
        `longer send, then the host reverts it. \`hush status\` shows the outcome`,
    );
  }
  if (!/^runRc=/m.test(r.raw)) {
    const stage = /^stage=(.*)$/m.exec(r.raw)?.[1];
    const why =
      r.code === TXN_BUSY
        ? `another hush transaction on ${spec.unit} is running on ${conn.host} (${p.transientUnit})`
        : r.code === TXN_PENDING
          ? `a change to ${spec.unit} on ${conn.host} awaits its confirmation (${p.deadlineUnit}.timer reverts it at ${new Date(
              Number(/pending until (\d+)/.exec(r.raw)?.[1] ?? 0) * 1000,
            ).toISOString()}); try again after that`
          : r.code === TXN_PROFILING_LEFTOVER
            ? `leftovers of a profiling session of ${spec.unit}: ${/^leftover=(.*)$/m.exec(r.raw)?.[1] ?? ''}`
            : stage
              ? `${spec.mode} on ${conn.host} failed before the transaction started: ${stage}`
              : `${spec.mode} on ${conn.host} failed before the transaction started (exit ${r.code}): ${r.raw.slice(-600)}`;
    throw new TransactionNotStarted(r.code, why);
  }
  const hostMs = Number(r.out.kv.hostMs ?? NaN);
  const base = { run: r.out, hostMs: Number.isFinite(hostMs) ? hostMs : 0 };
  if (r.out.verdict !== 'pending') return { outcome: 'done', ...base };

  const deadlineAt = Number(r.out.kv.deadline ?? 0) * 1000 || Date.now() + spec.confirmSec * 1000;
  const requireAdminWrite = r.out.kv.baselineAdminWrite === 'ok';
  // Leave the deadline a margin: the commit must start before the host reverts on its own.
  const window = Math.max(15_000, spec.confirmSec * 1000 - 20_000);
  log(
    `${spec.mode}: verified; proving access with a fresh login as ${conn.target} (the host reverts in ${spec.confirmSec} s otherwise)`,
  );
  const proof = await proveAccess(conn, { requireAdminWrite, timeoutMs: window });
  log(`${spec.mode}: ${describeProof(proof)}`);
  if (proof.ok && proof.conn) {
    try {
      const c = await execTransaction(proof.conn, commitCommand(spec.unit));
      if (c && c.out.kv.committed === 'yes')
        return { outcome: 'committed', end: c.out, confirmation: proof, ...base };
      if (c) {
        const outcome = c.out.verdict?.endsWith('-failed') ? 'revert-failed' : 'reverted';
        if (c.out.kv.commitRefused)
          c.out.failures.push(
            `the host had already ${c.out.kv.commitRefused} the change before the confirmation arrived`,
          );
        return { outcome, end: c.out, confirmation: proof, ...base };
      }
    } finally {
      await proof.conn.close();
    }
    // The fresh connection died mid-commit: the commit unit finishes on its own; read its outcome.
    return { ...(await afterLoss(conn, spec, deadlineAt, log)), confirmation: proof, ...base };
  }

  // Not confirmed: revert now through the session that still works, or let the deadline do it.
  let end: TransactionOutput | undefined;
  if (!conn.closed) {
    log(`${spec.mode}: reverting ${spec.unit} now through the existing session`);
    const rv = await execTransaction(conn, revertNowCommand(spec.unit, 'no fresh login proved access')).catch(
      () => null,
    );
    if (rv) end = rv.out;
  }
  if (!end) {
    const late = await afterLoss(conn, spec, deadlineAt, log);
    return { ...late, confirmation: proof, ...base };
  }
  const again = await proveAccess(conn, { requireAdminWrite, timeoutMs: 120_000 });
  await again.conn?.close();
  delete again.conn;
  log(`${spec.mode}: after the revert: ${describeProof(again)}`);
  return {
    outcome: end.verdict?.endsWith('-failed') ? 'revert-failed' : 'reverted',
    end,
    confirmation: proof,
    accessAfterRevert: again,
    ...base,
  };
}

/**
 * The controller's own session is gone: wait for the host's deadline, then log in again (the host
 * has reverted by then if nobody confirmed) and read what the transaction did.
 */
async function afterLoss(
  conn: Connection,
  spec: TransactionSpec,
  deadlineAt: number,
  log: (line: string) => void,
): Promise<Omit<TransactResult, 'run' | 'hostMs'>> {
  const waitMs = Math.max(0, deadlineAt - Date.now()) + 5_000;
  log(
    `${spec.mode}: no session left on ${conn.host}; waiting ${Math.round(waitMs / 1000)} s for the host to revert by itself`,
  );
  await sleep(waitMs);
  const giveUp = Date.now() + 5 * 60_000;
  let proof: AccessProof;
  for (;;) {
    proof = await proveAccess(conn, { requireAdminWrite: false, timeoutMs: 120_000 });
    if (proof.ok || Date.now() > giveUp) break;
    await sleep(10_000);
  }
  log(`${spec.mode}: after the deadline: ${describeProof(proof)}`);
  if (!proof.ok || !proof.conn) {
    return { outcome: 'revert-failed', accessAfterRevert: proof };
  }
  try {
    const s = await execTransaction(proof.conn, readStageCommand(spec.unit));
    const end = s?.out;
    let outcome: TransactOutcome;
    if (end?.kv.stage !== undefined) {
      // The stage is gone (a commit clears it): what /etc holds says which way it went.
      const want =
        spec.mode === 'apply'
          ? createHash('sha256')
              .update(spec.text ?? '')
              .digest('hex')
          : 'absent';
      outcome = end.kv.pendingFile === 'no' && end.kv.etcSha256 === want ? 'committed' : 'reverted';
    } else if (end?.kv.committed === 'yes') outcome = 'committed';
    else if (end?.kv.phase === 'reverted' && !end.verdict?.endsWith('-failed')) outcome = 'reverted';
    else outcome = 'revert-failed';
    const { conn: _c, ...kept } = proof;
    return { outcome, ...(end ? { end } : {}), accessAfterRevert: kept };
  } finally {
    await proof.conn.close();
  }
}
