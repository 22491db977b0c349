/**
 * `hush profile status`: what a recording has gathered so far and how long it has left, parsed
 * from one round trip (hostScripts.ts statusCommand prints sections separated by a marker).
 */
import { parseCount, parseRecordingState, type EndReason } from './spool';

export { statusCommand } from './hostScripts';

export interface SlotStatus {
  slot: string;
  /** Compressed bytes in the spool. */
  bytes: number;
  /** Trace lines written (events). */
  lines: number;
  /** Traced starts of the command whose trace ended (a restart of the unit adds one). */
  sessions: number;
}

export interface RecordingStatus {
  unit: string;
  session: string;
  startedAt: string;
  deadline: string;
  capBytes: number;
  /** `running` while the recording goes on; otherwise how it ended. */
  state: 'running' | EndReason;
  endedAt?: string;
  /** Seconds until the deadline (0 once past). */
  secondsLeft: number;
  /** The host rebooted since the start (the unit booted on its own configuration). */
  rebooted: boolean;
  /** The spool reached the cap (--max-trace): the recording ended there. */
  capped: boolean;
  writerActive: boolean;
  spoolBytes: number;
  lines: number;
  /** Restarts of the unit seen under the recorder (ended traces of its main command beyond the first). */
  restartsSeen: number;
  slots: SlotStatus[];
}

/** Undefined when there is no recording (no state file). */
export function parseStatus(stdout: string, marker: string): RecordingStatus | undefined {
  const sections = new Map<string, string>();
  const parts = stdout.split(`\n${marker}`);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = nl < 0 ? part : part.slice(0, nl);
    sections.set(name, nl < 0 ? '' : part.slice(nl + 1));
  }
  const s = parseRecordingState(sections.get('state') ?? '');
  if (!s.unit || !s.session || !s.deadline || !s.startedAt || !s.capBytes) return undefined;
  const lines = (name: string) =>
    (sections.get(name) ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  const now = Number(lines('now')[0] ?? NaN);
  const rebooted = s.bootId !== undefined && lines('boot')[0] !== undefined && lines('boot')[0] !== s.bootId;
  const sessionLive = lines('session')[0] === s.session;
  const slots = new Map<string, SlotStatus>();
  const slotOf = (id: string) => {
    let x = slots.get(id);
    if (!x) slots.set(id, (x = { slot: id, bytes: 0, lines: 0, sessions: 0 }));
    return x;
  };
  for (const l of lines('sizes')) {
    const [id, n] = l.split(' ');
    if (id && /^\d+$/.test(n ?? '')) slotOf(id).bytes = Number(n);
  }
  for (const l of lines('counts')) {
    const sp = l.indexOf(' ');
    if (sp <= 0) continue;
    const c = parseCount(l.slice(sp + 1));
    Object.assign(slotOf(l.slice(0, sp)), c);
  }
  const list = [...slots.values()].sort((a, b) => a.slot.localeCompare(b.slot));
  const deadlineSec = Date.parse(s.deadline) / 1000;
  let state: RecordingStatus['state'] = s.endedBy ?? 'running';
  // ended without end.sh having run yet: a reboot, or a session its watchdog restored
  if (state === 'running' && rebooted) state = 'reboot';
  else if (state === 'running' && !sessionLive) state = 'lost';
  const main = list.find((x) => x.slot === 'ExecStart-0');
  return {
    unit: s.unit,
    session: s.session,
    startedAt: s.startedAt,
    deadline: s.deadline,
    capBytes: s.capBytes,
    state,
    ...(s.endedAt ? { endedAt: s.endedAt } : {}),
    secondsLeft: Number.isFinite(now) ? Math.max(0, Math.round(deadlineSec - now)) : 0,
    rebooted,
    capped: lines('capped')[0] === 'yes',
    writerActive: lines('writer')[0] === 'active',
    spoolBytes: list.reduce((n, x) => n + x.bytes, 0),
    lines: list.reduce((n, x) => n + x.lines, 0),
    restartsSeen: Math.max(0, (main?.sessions ?? 0) - (state === 'running' ? 0 : 1)),
    slots: list,
  };
}
