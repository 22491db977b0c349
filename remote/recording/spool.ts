/**
 * The host side of a detached recording (`hush profile start`): where the trace is kept, the
 * writer that fills the spool, the cap, and the deadline that ends it with nobody connected.
 * Pure: builds paths, scripts and unit files; the session steps run them.
 *
 * Layout (the spool survives a reboot, everything that changes the unit does not):
 *   /var/lib/hush/recording/<slug>/          root 0700
 *     state         key=value: unit, session, started, deadline, cap, boot id, was-active, ended…
 *     spool/<slot>.gz   one gzip stream per traced Exec command: its strace sessions separated
 *                   by END_OF_TRACE lines (the compressed reader's format, read back by
 *                   remote/profile/collect.ts's collectStream)
 *     count/<slot>  lines and strace sessions written so far (status)
 *     capped        exists once a slot hit the cap
 *     end.sh        ends the recording (deadline, cap, finish, cancel, reboot): restore the unit
 *   /etc/systemd/system/hush-record-<slug>-deadline.{timer,service}
 *                 the deadline: OnCalendar= the deadline (UTC), Persistent=true, enabled, so it
 *                 also fires after a reboot (once the host is up, if the deadline passed while it
 *                 was down) and ends the recording on the host's own
 *   hush-record-<slug>-writer.service (transient)   the spool writer
 *   hush-record-<slug>-monitor.timer (transient)    the cap and free-space check, every 15 s
 *
 * What happens at the cap (--max-trace, the compressed spool): the monitor ends the recording as
 * the deadline would (the unit back on its own configuration, the spool kept, `status` says
 * `ended: cap`). Between two checks a slot can run past the cap: each slot's file is also cut at
 * the cap itself (the rest of that slot's trace is read and discarded, so the traced service never
 * blocks on a full pipe), so the spool never holds more than the cap per slot. A capped recording
 * is complete up to the cap, except the cut slot's last strace session, which is marked incomplete.
 * The same happens when the spool's file system has less than MIN_FREE_KIB left.
 *
 * A reboot: the wrapper drop-in and the set-aside mask live in /run, so the unit boots on its own
 * configuration (its hardening included); the writer and the monitor are transient units, gone
 * too. The spool stays (a partial last gzip block is lost; collectStream keeps what decodes). The
 * deadline timer fires at the deadline (or at boot if it passed) and records `ended: reboot`;
 * `status` says so as soon as the boot id differs. `finish` uses what was recorded, `cancel`
 * removes it.
 */
import { and, sh, type ShellCommand } from '../shell';

export const RECORDING_ROOT = '/var/lib/hush/recording';
/** The spool's file system must keep this much free, or the recording ends (KiB). */
export const MIN_FREE_KIB = 256 * 1024;
/** How often the monitor checks the cap, the free space and the deadline. */
export const MONITOR_PERIOD_SEC = 15;

export interface RecordingPaths {
  unit: string;
  slug: string;
  dir: string;
  state: string;
  spoolDir: string;
  countDir: string;
  cappedFlag: string;
  endScript: string;
  writerUnit: string;
  monitorUnit: string;
  /** Base name of the persistent deadline .timer/.service in /etc/systemd/system. */
  deadlineUnit: string;
  deadlineTimerFile: string;
  deadlineServiceFile: string;
}

export function recordingPaths(unit: string, slug: string): RecordingPaths {
  if (!/^[A-Za-z0-9_.:-]+$/.test(slug)) throw new Error(`bad recording slug ${slug}`);
  const dir = `${RECORDING_ROOT}/${slug}`;
  const deadlineUnit = `hush-record-${slug}-deadline`;
  return {
    unit,
    slug,
    dir,
    state: `${dir}/state`,
    spoolDir: `${dir}/spool`,
    countDir: `${dir}/count`,
    cappedFlag: `${dir}/capped`,
    endScript: `${dir}/end.sh`,
    writerUnit: `hush-record-${slug}-writer.service`,
    monitorUnit: `hush-record-${slug}-monitor`,
    deadlineUnit,
    deadlineTimerFile: `/etc/systemd/system/${deadlineUnit}.timer`,
    deadlineServiceFile: `/etc/systemd/system/${deadlineUnit}.service`,
  };
}

export function spoolFile(p: RecordingPaths, slot: string): string {
  if (!/^[A-Za-z]+-\d+$/.test(slot)) throw new Error(`bad slot id ${slot}`);
  return `${p.spoolDir}/${slot}.gz`;
}

/**
 * The writer for one slot, as a shell pipeline: copy the FIFO once per strace session and mark its
 * end, while no stop flag exists and the FIFO is still there (restore.sh removes the session
 * directory), count trace lines and non-empty sessions, gzip -1, and cut the file at the cap while
 * still draining. The copier's pid is kept so that the writer's stop can end a copier blocked in
 * open() (writer.sh). `endMarker` is remote/profile/collect.ts END_OF_TRACE.
 *
 * The counter is one awk per strace session, fed by that session's copier alone: it sees the end
 * of its input when strace closes the FIFO, so the count file is right as soon as a session ends.
 * One awk over the whole slot could not know that: Debian's awk (mawk) fills its input buffer from
 * a pipe before it handles a line, so a short session (an ExecReload) and its end marker sat unread
 * until more trace came, and `status` counted no session. Each awk starts from the totals the
 * previous one wrote, and rewrites them every 4096 lines and at the session's end.
 */
export function slotWriter(
  p: RecordingPaths,
  a: { slot: string; fifo: string; stopFlags: readonly string[]; capBytes: number; endMarker: string },
): ShellCommand {
  if (!Number.isSafeInteger(a.capBytes) || a.capBytes <= 0)
    throw new Error('the cap must be a positive integer');
  const file = spoolFile(p, a.slot);
  const count = `${p.countDir}/${a.slot}`;
  const pidFile = copierPidFile(p, a.slot);
  const running = and(...a.stopFlags.map((f) => sh`[ ! -e ${f} ]`), sh`[ -p ${a.fifo} ]`);
  // awk: -v takes the count file as data; the program text is constant
  const counter = sh`awk -v c=${count} 'function w() { printf "lines=%d sessions=%d\\n", n, s > c; close(c) } BEGIN { if ((getline t < c) > 0) { split(t, f, /[= ]/); n = f[2] + 0; s = f[4] + 0 } close(c) } { print; n++; k++ } n % 4096 == 0 { w() } END { if (k > 0) s++; w() }'`;
  const session = sh`{ cat -- ${a.fifo} & echo "$!" > ${pidFile}; wait "$!"; } | ${counter}`;
  const loop = sh`while ${running}; do ${session}; printf '%s\\n' ${a.endMarker}; done`;
  const cut = sh`{ head -c ${String(a.capBytes)} > ${file}; if [ -n "$(head -c 1)" ]; then touch -- ${p.cappedFlag}; cat > /dev/null; fi; }`;
  return sh`${loop} | gzip -1 | ${cut}`;
}

/** Where a slot's writer keeps the pid of its current `cat` (writer.sh ends a blocked one). */
export function copierPidFile(p: RecordingPaths, slot: string): string {
  return `${p.countDir}/${spoolFile(p, slot)
    .slice(p.spoolDir.length + 1)
    .replace(/\.gz$/, '')}.pid`;
}

/** The persistent deadline timer: fires once at `deadline` (UTC), after a reboot too. */
export function deadlineTimerUnit(p: RecordingPaths, deadline: Date): string {
  const at = deadline
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return [
    '# hush: deadline of a detached recording; removed when the recording ends.',
    '[Unit]',
    `Description=hush: end the recording of ${p.unit} at its deadline`,
    '',
    '[Timer]',
    `OnCalendar=${at}`,
    'Persistent=true',
    'AccuracySec=1s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

export function deadlineServiceUnit(p: RecordingPaths): string {
  return [
    '# hush: deadline of a detached recording; removed when the recording ends.',
    '[Unit]',
    `Description=hush: end the recording of ${p.unit}`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/sh ${p.endScript} deadline`,
    '',
  ].join('\n');
}

/** State lines as written by start and end.sh. */
export interface RecordingState {
  unit: string;
  session: string;
  startedAt: string;
  deadline: string;
  capBytes: number;
  bootId: string;
  wasActive: boolean;
  endedAt?: string;
  endedBy?: EndReason;
}

export function renderRecordingState(s: RecordingState): string {
  const lines = [
    `unit=${s.unit}`,
    `session=${s.session}`,
    `started_at=${s.startedAt}`,
    `deadline=${s.deadline}`,
    `cap_bytes=${s.capBytes}`,
    `was_active=${s.wasActive ? 'yes' : 'no'}`,
  ];
  // the start command appends the host's boot id itself
  if (s.bootId) lines.push(`boot_id=${s.bootId}`);
  if (s.endedAt) lines.push(`ended_at=${s.endedAt}`);
  if (s.endedBy) lines.push(`ended_by=${s.endedBy}`);
  return lines.join('\n') + '\n';
}

/**
 * Why a recording ended: its deadline, the cap, the disk's free space, `finish`, `cancel`, a reboot
 * of the host (the unit booted on its own configuration), or `lost`: the session was gone before
 * the recording ended it (its controller died during `start`, before it handed the session over to
 * the host, so the heartbeat watchdog restored the unit).
 */
export const END_REASONS = ['deadline', 'cap', 'disk', 'finish', 'cancel', 'reboot', 'lost'] as const;
export type EndReason = (typeof END_REASONS)[number];
const ENDED_BY = new Set<string>(END_REASONS);

/**
 * Reads the state back. end.sh appends `ended_*` once; should it ever append again, the first end
 * recorded is how the recording ended. Unknown lines are ignored.
 */
export function parseRecordingState(text: string): Partial<RecordingState> {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (key.startsWith('ended_') && kv.has(key)) continue;
    kv.set(key, line.slice(eq + 1));
  }
  const out: Partial<RecordingState> = {};
  const str = (k: string) => kv.get(k);
  if (str('unit')) out.unit = str('unit')!;
  if (str('session')) out.session = str('session')!;
  if (str('started_at')) out.startedAt = str('started_at')!;
  if (str('deadline')) out.deadline = str('deadline')!;
  const cap = Number(str('cap_bytes'));
  if (Number.isSafeInteger(cap) && cap > 0) out.capBytes = cap;
  if (str('boot_id')) out.bootId = str('boot_id')!;
  if (str('was_active')) out.wasActive = str('was_active') === 'yes';
  if (str('ended_at')) out.endedAt = str('ended_at')!;
  const by = str('ended_by');
  if (by && ENDED_BY.has(by)) out.endedBy = by as RecordingState['endedBy'];
  return out;
}

/** Parses `lines=N sessions=M` of a count file. */
export function parseCount(text: string): { lines: number; sessions: number } {
  const m = /lines=(\d+) sessions=(\d+)/.exec(text);
  return m ? { lines: Number(m[1]), sessions: Number(m[2]) } : { lines: 0, sessions: 0 };
}

/** The spool's cap when none is given (`--max-trace`, the provider's `window.record.maxTrace`). */
export const DEFAULT_MAX_TRACE = '1G';

/** `--max-trace SIZE`: 500M, 2G, 1048576 (bytes). At least 1 MiB. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!m) throw new Error(`${flag} expects a size like 500M or 2G, got ${JSON.stringify(text)}`);
  const unit = (m[2] ?? 'B').toUpperCase().replace(/I?B$/, '') || 'B';
  const mult = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
    unit as 'B' | 'K' | 'M' | 'G' | 'T'
  ];
  const n = Math.floor(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n < 1024 * 1024) throw new Error(`${flag} must be at least 1M`);
  return n;
}

/**
 * `--until D|TIME`: a duration from now (30m, 6h, 2d) or an absolute time (ISO 8601 with a zone).
 * The deadline must be in the future and within 30 days.
 */
export function parseUntil(text: string, now: Date = new Date()): Date {
  const t = text.trim();
  const d = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(t);
  let at: Date;
  if (d)
    at = new Date(
      now.getTime() + Number(d[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[d[2] as 's' | 'm' | 'h' | 'd'],
    );
  else if (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t) &&
    !Number.isNaN(Date.parse(t))
  )
    at = new Date(Date.parse(t));
  else
    throw new Error(
      `--until expects a duration (30m, 6h, 2d) or an ISO 8601 time with a zone, got ${JSON.stringify(text)}`,
    );
  if (at.getTime() <= now.getTime() + 60_000) throw new Error('--until must be at least a minute from now');
  if (at.getTime() > now.getTime() + 30 * 864e5) throw new Error('--until must be within 30 days');
  return at;
}
