/**
 * `hush profile UNIT`: profile a service on a host over SSH (remote/profile/) and write the
 * profile. The unit is restarted under strace for the window, then restarted on its own
 * configuration; a watchdog on the host restores it if hush dies meanwhile.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { profileNotes } from '../../core/profile';
import { profileService, type ProfileServiceResult } from '../../remote/profile';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { SESSION_FLAGS, SESSION_USAGE, sessionPolicyFromFlags } from '../sessionFlags';
import { RECORDING_USAGE, RECORDING_VERBS, runRecordingVerb, type RecordingVerb } from '../profileRecording';
import {
  connectFromFlags,
  parseDuration,
  progress,
  TARGET_FLAGS,
  TARGET_USAGE,
  tracingFromFlag,
  recorderFromFlag,
  unitFromPositionals,
} from '../remoteTarget';
import { USER_MANAGER_FLAG, USER_UNITS_NOT_PROFILED, userManagerFromFlag } from '../userUnit';

const usage = `usage: hush profile UNIT --host H --host-key KEY [FLAGS]

Profiles UNIT on the host: adds a runtime drop-in that runs each of its Exec commands under
strace, restarts it, streams the traces back over SSH and parses them here, then restarts UNIT
on its own configuration and checks it is active. Restarts during the window are profiled too.
Without --duration or a workload, profiling lasts until Ctrl-C.

window flags:
  --duration D           length of the profiling window (e.g. 60s, 5m); with a workload, the
                         window lasts until both the duration and the workload are over
  --workload CMD         shell command run on the host (as root) during the window
  --workload-local CMD   shell command run here during the window (e.g. a curl loop)
tracing flags:
  --tracing MODE         decisions: strace --seccomp-bpf stops only on syscalls that can change a
                         decision (the hot read/write/futex/epoll/recv… run untraced; same options
                         resolved, far less overhead); full: every syscall. Default: decisions when
                         the host's strace has --seccomp-bpf, else full
  --recorder KIND        ebpf: hush's in-kernel recorder attached to the unit's cgroup (no strace,
                         no wrapper; needs root, BTF and Linux >= 5.17; an error where the kernel
                         refuses it); auto: ebpf where the host's kernel loads it, else strace;
                         strace (default): the wrapper. The profile says which recorded each run
output flags:
  -o, --output FILE      write the profile (hush.profile/v1 JSON) to FILE; default: stdout
session flags:
  --watchdog-timeout D   the host restores UNIT this long after hush stops answering (default 60s)
  --compress             gzip -1 the traces on the host (less bandwidth; traces arrive in larger
                         delayed blocks, and a cut connection loses what gzip still holds)
${SESSION_USAGE}                       (profiling such a unit traces every session of the window too)
${RECORDING_USAGE}  --user-manager USER   refused: units of a user's manager are not profiled by hush yet (apply
                         them a profile with hush apply --user-manager USER UNIT --profile FILE)
${TARGET_USAGE}
With --json, stdout carries one JSON object: the profile (unless -o) and the session report.
Exit codes: 0 profiled, 1 error (the unit is on its own configuration), 2 usage.
`;

export const command: CliCommand = {
  name: 'profile',
  summary: 'profile a service on a host over SSH (strace under a runtime drop-in)',
  usage,
  async run(argv, io) {
    // `hush profile start|status|finish|cancel UNIT` (a unit literally named start.service: give the suffix)
    if ((RECORDING_VERBS as readonly string[]).includes(argv[0] ?? ''))
      return runRecordingVerb(argv[0] as RecordingVerb, argv.slice(1), io);
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...TARGET_FLAGS,
        duration: { type: 'string' },
        workload: { type: 'string' },
        'workload-local': { type: 'string' },
        output: { type: 'string', short: 'o' },
        'watchdog-timeout': { type: 'string' },
        compress: { type: 'boolean' },
        tracing: { type: 'string' },
        recorder: { type: 'string' },
        ...SESSION_FLAGS,
        ...USER_MANAGER_FLAG,
      },
    });
    if (userManagerFromFlag(parsed.values['user-manager']) !== undefined)
      throw new UsageError(USER_UNITS_NOT_PROFILED);
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('give exactly one UNIT');
    const sessionUnit = sessionPolicyFromFlags(values);
    const unit = unitFromPositionals(positionals);
    const durationMs =
      values.duration !== undefined ? parseDuration(values.duration, '--duration') : undefined;
    const watchdogTimeoutSec =
      values['watchdog-timeout'] !== undefined
        ? Math.round(parseDuration(values['watchdog-timeout'], '--watchdog-timeout') / 1000)
        : undefined;
    if (watchdogTimeoutSec !== undefined && watchdogTimeoutSec < 5) {
      throw new UsageError('--watchdog-timeout must be at least 5s');
    }
    const tracing = tracingFromFlag(values.tracing);
    const recorder = recorderFromFlag(values.recorder);
    const log = progress(io, 'profile');
    const untilStopped =
      durationMs === undefined && values.workload === undefined && values['workload-local'] === undefined;

    const stop = new AbortController();
    const interrupts = onInterrupt(io, stop, untilStopped, watchdogTimeoutSec ?? 60);
    let result: ProfileServiceResult;
    try {
      if (untilStopped) log('profiling until Ctrl-C');
      result = await profileService({
        unit,
        connect: () => connectFromFlags(values, io, 'profile'),
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(values.workload !== undefined ? { remoteWorkload: values.workload } : {}),
        ...(values['workload-local'] !== undefined ? { localWorkload: values['workload-local'] } : {}),
        ...(watchdogTimeoutSec !== undefined ? { watchdogTimeoutSec } : {}),
        compress: values.compress === true,
        ...(tracing !== undefined ? { tracing } : {}),
        ...(recorder !== undefined ? { recorder } : {}),
        // a unit that starts login sessions is refused before it is restarted under strace
        sessionUnit,
        signal: stop.signal,
        log,
      });
    } finally {
      interrupts.dispose();
    }

    const report = {
      unit: result.unit,
      session: result.session,
      tracing: result.tracing,
      recorder: result.recorder,
      traceBytes: result.traceBytes,
      traces: result.segments,
      notTraced: result.slots.filter((s) => !s.traced).map((s) => ({ slot: s.id, reason: s.skipReason })),
      workloads: result.workloads,
      restored: result.restored,
      reconnects: result.reconnects,
      timings: result.timings,
      warnings: result.warnings,
    };
    const profileJson = JSON.stringify(result.profile, null, 2) + '\n';
    if (values.output !== undefined) writeFileSync(values.output, profileJson);
    if (values.json) {
      io.stdout.write(
        JSON.stringify(
          values.output !== undefined
            ? { ...report, output: values.output }
            : { ...report, profile: result.profile },
        ) + '\n',
      );
    } else if (values.output === undefined) {
      io.stdout.write(profileJson);
    }
    for (const w of result.warnings) log(`warning: ${w}`);
    for (const n of profileNotes(result.profile)) log(`note: ${n}`);
    const p = result.profile;
    log(
      `${unit}: ${p.actions.length} actions, ${Object.keys(p.syscalls).length} syscalls from ${p.runs.length} trace(s) ` +
        `(${(result.traceBytes / 1024).toFixed(0)} KiB); unit ${result.restored.activeState} on its own configuration` +
        (values.output !== undefined ? `; profile written to ${values.output}` : ''),
    );
    return 0;
  },
};

/**
 * Ctrl-C closes the window (the session then finishes normally and restores the unit); a second
 * one says what is happening; a third leaves at once, and the host's watchdog restores the unit.
 */
function onInterrupt(
  io: CliIo,
  stop: AbortController,
  untilStopped: boolean,
  watchdogSec: number,
): { dispose(): void } {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      io.stderr.write(
        `\nhush profile: ${untilStopped ? 'stopping' : 'closing the window early'}; restoring the unit (Ctrl-C twice more to abandon)\n`,
      );
      stop.abort();
    } else if (count === 2) {
      io.stderr.write(
        'hush profile: still restoring the unit; one more Ctrl-C abandons it to the host watchdog\n',
      );
    } else {
      io.stderr.write(
        `hush profile: abandoned; the host watchdog restores the unit within ${watchdogSec} s\n`,
      );
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
