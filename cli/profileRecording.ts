/**
 * `hush profile start|status|finish|cancel UNIT`: detached recording (remote/recording). `start`
 * sets the recorder up and leaves; the host keeps the trace (compressed, capped) and restores the
 * unit at the deadline on its own; `finish` ends it, fetches and summarizes it here.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { profileNotes } from '../core/profile';
import { DEFAULT_MAX_TRACE, parseSize, parseUntil } from '../remote/recording/spool';
import {
  cancelRecording,
  finishRecording,
  recordingStatus,
  startRecording,
  type RecordingFinished,
} from '../remote/recording/session';
import type { RecordingStatus } from '../remote/recording/status';
import { UsageError, type CliIo } from './command';
import {
  connectFromFlags,
  parseDuration,
  progress,
  TARGET_FLAGS,
  tracingFromFlag,
  unitFromPositionals,
} from './remoteTarget';

export const RECORDING_VERBS = ['start', 'status', 'finish', 'cancel'] as const;
export type RecordingVerb = (typeof RECORDING_VERBS)[number];

/** The default cap of the compressed spool. */

export const RECORDING_USAGE = `detached recording (the controller does not stay connected):
  hush profile start UNIT --until D|TIME [--max-trace SIZE] [--tracing MODE]
                         wrap UNIT under strace and leave; the trace is kept on the host
                         (/var/lib/hush/recording, root only, gzip) until D (30m, 6h, 2d) or TIME
                         (ISO 8601 with a zone); a systemd timer on the host restores UNIT then,
                         even after a reboot. At --max-trace (compressed, default ${DEFAULT_MAX_TRACE}) the
                         recording ends early the same way (status says "ended: cap")
  hush profile status UNIT             size so far, events, restarts seen, time left
  hush profile finish UNIT [-o FILE]   restore UNIT (if still recording), fetch the spool, summarize
                                       here, remove the spool; the profile goes to FILE or stdout
  hush profile cancel UNIT             restore UNIT and remove the spool
  hush apply UNIT --from-recording     finish, then harden from the recording
`;

function usageFrom<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function runRecordingVerb(verb: RecordingVerb, argv: string[], io: CliIo): Promise<number> {
  const extra: Record<string, { type: 'string'; short?: string }> =
    verb === 'start'
      ? {
          until: { type: 'string' as const },
          'max-trace': { type: 'string' as const },
          tracing: { type: 'string' as const },
          'watchdog-timeout': { type: 'string' as const },
        }
      : verb === 'finish'
        ? { output: { type: 'string' as const, short: 'o' } }
        : {};
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...TARGET_FLAGS, ...extra },
  });
  const unit = unitFromPositionals(positionals);
  const v = values as Record<string, string | boolean | undefined>;
  const log = progress(io, `profile ${verb}`);
  const connect = () => connectFromFlags(values, io, 'profile');
  const json = values.json === true;

  switch (verb) {
    case 'start': {
      if (typeof v.until !== 'string') throw new UsageError('hush profile start needs --until D|TIME');
      const deadline = usageFrom(() => parseUntil(v.until as string));
      const capBytes = usageFrom(() =>
        parseSize(typeof v['max-trace'] === 'string' ? v['max-trace'] : DEFAULT_MAX_TRACE, '--max-trace'),
      );
      const tracing = tracingFromFlag(typeof v.tracing === 'string' ? v.tracing : undefined);
      const watchdogTimeoutSec =
        typeof v['watchdog-timeout'] === 'string'
          ? Math.round(parseDuration(v['watchdog-timeout'], '--watchdog-timeout') / 1000)
          : undefined;
      const r = await startRecording({
        unit,
        connect,
        deadline,
        capBytes,
        ...(tracing !== undefined ? { tracing } : {}),
        ...(watchdogTimeoutSec !== undefined ? { watchdogTimeoutSec } : {}),
        log,
      });
      for (const w of r.warnings) log(`warning: ${w}`);
      if (json) io.stdout.write(JSON.stringify({ ...r, deadline: r.deadline.toISOString() }) + '\n');
      else
        io.stdout.write(
          `recording ${r.unit} until ${r.deadline.toISOString()} (cap ${formatBytes(r.capBytes)} compressed; ${r.slots.length} traced command(s)).\n` +
            `The host restores ${r.unit} at the deadline on its own. Then: hush profile status|finish|cancel ${r.unit}\n`,
        );
      return 0;
    }
    case 'status': {
      const conn = await connect();
      try {
        const s = await recordingStatus(conn, unit);
        io.stdout.write(json ? JSON.stringify(s) + '\n' : formatStatus(s));
      } finally {
        await conn.close();
      }
      return 0;
    }
    case 'finish': {
      const r = await finishRecording({ unit, connect, log });
      writeFinished(r, typeof v.output === 'string' ? v.output : undefined, json, io, log);
      return 0;
    }
    case 'cancel': {
      const conn = await connect();
      try {
        const r = await cancelRecording(conn, unit);
        if (json) io.stdout.write(JSON.stringify({ unit, cancelled: true, ...r }) + '\n');
        else
          io.stdout.write(
            `recording of ${unit} cancelled (spool removed); ${unit} is ${r.activeState} on its own configuration\n`,
          );
      } finally {
        await conn.close();
      }
      return 0;
    }
  }
}

function writeFinished(
  r: RecordingFinished,
  output: string | undefined,
  json: boolean,
  io: CliIo,
  log: (l: string) => void,
): void {
  const profileJson = JSON.stringify(r.profile, null, 2) + '\n';
  if (output !== undefined) writeFileSync(output, profileJson);
  const report = {
    unit: r.unit,
    session: r.session,
    endedBy: r.endedBy,
    traceBytes: r.traceBytes,
    traces: r.segments,
    restored: r.restored,
    warnings: r.warnings,
  };
  if (json)
    io.stdout.write(
      JSON.stringify(output !== undefined ? { ...report, output } : { ...report, profile: r.profile }) + '\n',
    );
  else if (output === undefined) io.stdout.write(profileJson);
  for (const w of r.warnings) log(`warning: ${w}`);
  for (const n of profileNotes(r.profile)) log(`note: ${n}`);
  log(
    `${r.unit}: ${r.profile.actions.length} actions, ${Object.keys(r.profile.syscalls).length} syscalls from ${r.profile.runs.length} trace(s) ` +
      `(${(r.traceBytes / 1024).toFixed(0)} KiB); unit ${r.restored.activeState} on its own configuration` +
      (output !== undefined ? `; profile written to ${output}` : ''),
  );
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function formatLeft(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec % 60).padStart(2, '0')}s`;
}

export function formatStatus(s: RecordingStatus): string {
  const lines = [
    `recording of ${s.unit} (session ${s.session})`,
    `  state:     ${s.state === 'running' ? 'running' : `ended: ${s.state}${s.endedAt ? ` at ${s.endedAt}` : ''}`}`,
    `  started:   ${s.startedAt}`,
    `  deadline:  ${s.deadline}${s.state === 'running' ? ` (${formatLeft(s.secondsLeft)} left)` : ''}`,
    `  spool:     ${formatBytes(s.spoolBytes)} of ${formatBytes(s.capBytes)} (compressed)${s.capped ? ', cap reached' : ''}`,
    `  events:    ${s.lines} trace lines; restarts seen: ${s.restartsSeen}`,
  ];
  for (const x of s.slots)
    lines.push(`    ${x.slot}: ${formatBytes(x.bytes)}, ${x.lines} lines, ${x.sessions} trace(s) ended`);
  if (s.rebooted) lines.push('  the host rebooted since the start: the unit booted on its own configuration');
  if (s.state !== 'running') lines.push(`  next: hush profile finish ${s.unit} (or cancel)`);
  return lines.join('\n') + '\n';
}
