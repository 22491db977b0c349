/**
 * Where a profiling session lives on the host. Pure: paths only; the steps build their shell
 * from these.
 *
 * Layout (all under /run, so a reboot removes every trace):
 *   /run/systemd/system/<unit>.d/zz-hush-profile.conf   the wrapper drop-in
 *   /run/hush/profile/<slug>/                            root 0700 (traceFiles.ts: every mode)
 *     state        key=value: session id, was-active, watchdog timeout, start time (read by shell)
 *     plan.json    the whole session plan (state.ts): what a later `finish` reads back
 *     launch.sh    starts a User=/DynamicUser= command under a root strace (core/profiling wrapper.ts)
 *     heartbeat    touched by the controller; its age is what the watchdog checks
 *     stop         exists once the session is finishing: reader loops end
 *     restore.sh   puts the unit back (used by the watchdog)
 *     watchdog.sh  the watchdog's check
 *     hold.sh      the FIFO holder's script (liveSink.ts)
 *     fifo/<stream>  one FIFO per trace stream (the wrapper: one per traced Exec command)
 *   hush-profile-hold-<slug>.service        keeps each FIFO open for reading (liveSink.ts)
 *   hush-profile-watchdog-<slug>.timer/.service   the watchdog (deadline.ts)
 */
import { PROFILE_DROPIN_NAME } from '../../core/profiling/wrapper';
import { profileSessionDir, unitSlug } from '../paths';

export interface SessionPaths {
  unit: string;
  slug: string;
  root: string;
  fifoDir: string;
  state: string;
  plan: string;
  /** The launcher script (core/profiling LAUNCHER_SCRIPT). */
  launcher: string;
  heartbeat: string;
  stopFlag: string;
  restoreScript: string;
  watchdogScript: string;
  holdScript: string;
  dropInDir: string;
  dropIn: string;
  holdUnit: string;
  /** Base name of the watchdog's .timer and .service. */
  watchdogUnit: string;
}

/** The session paths of a (validated) unit name. */
export function sessionPaths(unit: string): SessionPaths {
  const slug = unitSlug(unit);
  const root = profileSessionDir(unit);
  const dropInDir = `/run/systemd/system/${unit}.d`;
  return {
    unit,
    slug,
    root,
    fifoDir: `${root}/fifo`,
    state: `${root}/state`,
    plan: `${root}/plan.json`,
    launcher: `${root}/launch.sh`,
    heartbeat: `${root}/heartbeat`,
    stopFlag: `${root}/stop`,
    restoreScript: `${root}/restore.sh`,
    watchdogScript: `${root}/watchdog.sh`,
    holdScript: `${root}/hold.sh`,
    dropInDir,
    dropIn: `${dropInDir}/${PROFILE_DROPIN_NAME}`,
    holdUnit: `hush-profile-hold-${slug}.service`,
    watchdogUnit: `hush-profile-watchdog-${slug}`,
  };
}

/** The FIFO of one trace stream. Stream ids are `Word-N` (`ExecStart-0`): safe as a file name. */
export function fifoPath(p: SessionPaths, stream: string): string {
  if (!/^[A-Za-z]+-\d+$/.test(stream)) throw new Error(`bad stream id ${stream}`);
  return `${p.fifoDir}/${stream}`;
}

/** Where the reader of a stream records the pid of its current copier (liveSink.ts). */
export function readerPidPath(p: SessionPaths, stream: string): string {
  return `${p.root}/reader-${fifoPath(p, stream).slice(p.fifoDir.length + 1)}.pid`;
}
