/**
 * The scripts a detached recording leaves on the host (spool.ts has the layout and what happens at
 * the cap and at a reboot), and the commands that start it and read its status. Pure: text only.
 *
 * - writer.sh (hush-record-<slug>-writer.service, transient): holds every trace FIFO open (so
 *   strace never blocks or gets EPIPE between two sessions) and runs one slot writer per traced
 *   command (spool.ts slotWriter). Stopped, it lets each pipeline end cleanly: gzip flushes, the
 *   spool stays readable. KillMode=mixed sends SIGTERM to it alone; Before=<unit> makes a shutdown
 *   stop it after the unit, so the last trace is in the spool before it closes.
 * - monitor.sh (hush-record-<slug>-monitor.timer, transient, every MONITOR_PERIOD_SEC): ends the
 *   recording at the cap, on low disk, at the deadline (again: the persistent timer is the one
 *   that survives a reboot), or when the session is gone.
 * - end.sh: the one way a recording ends, whoever ends it (deadline timer, monitor, finish,
 *   cancel): records how it ended (the first end wins), runs the session's restore.sh (the unit
 *   back on its own configuration), stops the writer and the monitor, removes the deadline timer;
 *   `cancel` also removes the spool. Serialized by flock; idempotent.
 */
import { END_OF_TRACE } from '../profile/collect';
import { fifoPath, type SessionPaths } from '../profile/layout';
import { argv, sh, shQuote, trustedScript, type ShellCommand } from '../shell';
import {
  copierPidFile,
  deadlineServiceUnit,
  deadlineTimerUnit,
  MIN_FREE_KIB,
  MONITOR_PERIOD_SEC,
  RECORDING_ROOT,
  renderRecordingState,
  slotWriter,
  type RecordingPaths,
} from './spool';

/** What the start command needs besides the paths. */
export interface RecordingSetup {
  session: string;
  startedAt: string;
  deadline: Date;
  capBytes: number;
  wasActive: boolean;
  /** The trace streams (one FIFO and one spool file each). */
  slots: readonly string[];
}

/** The recording's own stop flag (the session's `stop` goes with restore.sh's rm -rf). */
export function recordingStopFlag(rec: RecordingPaths): string {
  return `${rec.dir}/stop`;
}

export function recordingPlanFile(rec: RecordingPaths): string {
  return `${rec.dir}/plan.json`;
}

function epoch(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

export function writerScript(rec: RecordingPaths, sp: SessionPaths, setup: RecordingSetup): string {
  const q = shQuote;
  const fifos = setup.slots.map((s) => fifoPath(sp, s));
  const stop = recordingStopFlag(rec);
  const pipelines = setup.slots.map(
    (slot) =>
      `( ${
        slotWriter(rec, {
          slot,
          fifo: fifoPath(sp, slot),
          stopFlags: [sp.stopFlag, stop],
          capBytes: setup.capBytes,
          endMarker: END_OF_TRACE,
        }).text
      } ) & pids="$pids $!"`,
  );
  const endCopiers = setup.slots.map((slot) => {
    const pf = copierPidFile(rec, slot);
    return `  pid=$(cat -- ${q(pf)} 2>/dev/null); [ -n "$pid" ] && [ "$(tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" = ${q(`cat -- ${fifoPath(sp, slot)} `)} ] && kill -TERM "$pid" 2>/dev/null`;
  });
  return [
    '#!/bin/sh',
    `# hush: spool writer of the detached recording of ${sp.unit} (one pipeline per traced command).`,
    'set -u',
    'pids=',
    // Stopped (end.sh, a shutdown): no new session, wake copiers blocked in open(), give the
    // others a moment to drain the pipe, then end what is left; each pipeline then flushes.
    'term() {',
    `  touch -- ${q(stop)}`,
    `  for f in ${fifos.map(q).join(' ')}; do [ -p "$f" ] && : 1<>"$f"; done`,
    '  sleep 2',
    ...endCopiers,
    '  true',
    '}',
    'trap term TERM INT',
    `for f in ${fifos.map(q).join(' ')}; do sleep infinity < "$f" & done`,
    ...pipelines,
    'wait $pids',
    'wait $pids',
    'exit 0',
    '',
  ].join('\n');
}

export function monitorScript(rec: RecordingPaths, sp: SessionPaths, setup: RecordingSetup): string {
  const q = shQuote;
  const end = `/bin/sh ${q(rec.endScript)}`;
  return [
    '#!/bin/sh',
    `# hush: checks the detached recording of ${sp.unit}: cap, free space, deadline, session.`,
    'set -u',
    `state=${q(rec.state)}`,
    `if [ ! -e "$state" ] || grep -q '^ended_by=' "$state"; then systemctl stop -- ${q(rec.monitorUnit + '.timer')} 2>/dev/null; exit 0; fi`,
    `session=$(sed -n 's/^session=//p' "$state")`,
    `[ "$(sed -n 's/^session=//p' ${q(sp.state)} 2>/dev/null)" = "$session" ] || exec ${end} lost`,
    `[ -e ${q(rec.cappedFlag)} ] && exec ${end} cap`,
    `total=$(stat -c %s -- ${q(rec.spoolDir)}/*.gz 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')`,
    `if [ "$total" -ge ${setup.capBytes} ]; then touch -- ${q(rec.cappedFlag)}; exec ${end} cap; fi`,
    `free=$(df -Pk -- ${q(rec.dir)} | awk 'NR == 2 { print $4 }')`,
    `[ -n "$free" ] && [ "$free" -lt ${MIN_FREE_KIB} ] && exec ${end} disk`,
    `[ "$(date +%s)" -ge ${epoch(setup.deadline)} ] && exec ${end} deadline`,
    'exit 0',
    '',
  ].join('\n');
}

export function endScript(rec: RecordingPaths, sp: SessionPaths, deadline: Date): string {
  const q = shQuote;
  return [
    '#!/bin/sh',
    `# hush: ends the detached recording of ${sp.unit}: $1 = deadline|cap|disk|lost|finish|cancel.`,
    'set -u',
    `dir=${q(rec.dir)}`,
    'state="$dir/state"',
    'reason=${1:-deadline}',
    '[ -d "$dir" ] || exit 0',
    'exec 9>>"$dir/end.lock"',
    'flock 9',
    'if ! grep -q \'^ended_by=\' "$state"; then',
    '  if [ "$(sed -n \'s/^boot_id=//p\' "$state")" != "$(cat /proc/sys/kernel/random/boot_id)" ]; then reason=reboot',
    // the persistent timer elapses once when it is enabled if its time looks past: not yet
    `  elif [ "$reason" = deadline ] && [ "$(date +%s)" -lt ${epoch(deadline)} ]; then exit 0`,
    '  fi',
    '  printf \'ended_at=%s\\nended_by=%s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$reason" >> "$state"',
    'fi',
    'session=$(sed -n \'s/^session=//p\' "$state")',
    `if [ "$(sed -n 's/^session=//p' ${q(sp.state)} 2>/dev/null)" = "$session" ]; then /bin/sh ${q(sp.restoreScript)}; fi`,
    `systemctl stop -- ${q(rec.writerUnit)} 2>/dev/null`,
    `systemctl stop -- ${q(rec.monitorUnit + '.timer')} 2>/dev/null`,
    `if [ -e ${q(rec.deadlineTimerFile)} ] || [ -e ${q(rec.deadlineServiceFile)} ]; then`,
    `  systemctl disable --now -- ${q(rec.deadlineUnit + '.timer')} >/dev/null 2>&1`,
    `  rm -f -- ${q(rec.deadlineTimerFile)} ${q(rec.deadlineServiceFile)}`,
    '  systemctl daemon-reload',
    'fi',
    'if [ "$reason" = cancel ]; then rm -rf -- "$dir"; fi',
    'exit 0',
    '',
  ].join('\n');
}

/**
 * The spool sink's start command (run by the start step once the FIFOs exist, before the unit
 * restarts): the recording directory, state, a copy of the plan (the session directory under /run
 * goes at the end or a reboot; finish needs the plan after both), the scripts, the persistent
 * deadline timer, the writer and the monitor. Refuses (exit 17) while a recording of the unit exists.
 */
export function startRecordingCommand(
  rec: RecordingPaths,
  sp: SessionPaths,
  setup: RecordingSetup,
): ShellCommand {
  const state = renderRecordingState({
    unit: sp.unit,
    session: setup.session,
    startedAt: setup.startedAt,
    deadline: setup.deadline.toISOString(),
    capBytes: setup.capBytes,
    bootId: '',
    wasActive: setup.wasActive,
  });
  const writer = argv([
    'systemd-run',
    '--quiet',
    `--unit=${rec.writerUnit}`,
    `--description=hush: spool writer of the recording of ${sp.unit}`,
    '--property=KillMode=mixed',
    `--property=Before=${sp.unit}`,
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    `${rec.dir}/writer.sh`,
  ]);
  const monitor = argv([
    'systemd-run',
    '--quiet',
    `--unit=${rec.monitorUnit}`,
    `--description=hush: cap, free space and deadline of the recording of ${sp.unit}`,
    `--on-active=${MONITOR_PERIOD_SEC}s`,
    `--on-unit-active=${MONITOR_PERIOD_SEC}s`,
    '--timer-property=AccuracySec=1s',
    '--property=CollectMode=inactive-or-failed',
    '/bin/sh',
    `${rec.dir}/monitor.sh`,
  ]);
  return sh`set -e; umask 077; mkdir -p -m 0700 ${RECORDING_ROOT}; [ ! -e ${rec.dir} ] || { echo ${`a recording of ${sp.unit} already exists on the host: see hush profile status, finish or cancel`} >&2; exit 17; }; mkdir -m 0700 -- ${rec.dir} ${rec.spoolDir} ${rec.countDir}; { printf '%s' ${state}; printf 'boot_id=%s\\n' "$(cat /proc/sys/kernel/random/boot_id)"; } > ${rec.state}; cp -- ${sp.plan} ${recordingPlanFile(rec)}; printf '%s' ${endScript(rec, sp, setup.deadline)} > ${rec.endScript}; printf '%s' ${monitorScript(rec, sp, setup)} > ${rec.dir + '/monitor.sh'}; printf '%s' ${writerScript(rec, sp, setup)} > ${rec.dir + '/writer.sh'}; touch -- ${detachedFlag(sp)}; umask 022; printf '%s' ${deadlineTimerUnit(rec, setup.deadline)} > ${rec.deadlineTimerFile}; printf '%s' ${deadlineServiceUnit(rec)} > ${rec.deadlineServiceFile}; systemctl daemon-reload; systemctl enable --now --quiet -- ${rec.deadlineUnit + '.timer'}; ${writer}; ${monitor}`;
}

/** Marks a session the controller leaves on purpose: the leftover check refuses to clear it. */
export function detachedFlag(sp: SessionPaths): string {
  return `${sp.root}/detached`;
}

/** Ends the recording now, on the host (`finish`, `cancel`, a failed start). */
export function endCommand(rec: RecordingPaths, reason: 'finish' | 'cancel'): ShellCommand {
  return sh`if [ -r ${rec.endScript} ]; then /bin/sh ${rec.endScript} ${reason}; elif [ ${reason} = cancel ]; then rm -rf -- ${rec.dir}; fi`;
}

const STATUS_SCRIPT = String.raw`
dir=$1; sstate=$2; writer=$3; m=$4; shift 4
sec() { printf '\n%s%s\n' "$m" "$1"; }
sec state; cat -- "$dir/state" 2>/dev/null
sec session; sed -n 's/^session=//p' "$sstate" 2>/dev/null
sec boot; cat /proc/sys/kernel/random/boot_id
sec now; date +%s
sec writer; systemctl is-active -- "$writer" 2>/dev/null
sec capped; [ -e "$dir/capped" ] && echo yes
sec sizes; for f in "$dir"/spool/*.gz; do [ -e "$f" ] && printf '%s %s\n' "$(basename "$f" .gz)" "$(stat -c %s -- "$f")"; done
sec counts; for f in "$dir"/count/*; do case "$f" in *.pid) continue;; esac; [ -e "$f" ] && printf '%s %s\n' "$(basename "$f")" "$(cat -- "$f")"; done
sec end
`;

/** Reads everything `hush profile status` shows, one round trip; sections split by `marker`. */
export function statusCommand(rec: RecordingPaths, sp: SessionPaths, marker: string): ShellCommand {
  return sh`set -- ${rec.dir} ${sp.state} ${rec.writerUnit} ${marker}; ${trustedScript(STATUS_SCRIPT)}`;
}
