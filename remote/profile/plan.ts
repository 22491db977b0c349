/**
 * Step 1, plan: look before touching. Clears leftovers of an earlier session, sets hush's own
 * hardening drop-in aside (setAside.ts: what is read next is the floor, so it must be the unit's
 * own hardening), reads the unit, probes host facts, chooses how to trace and plans the wrapper
 * (core/profiling: every refusal happens here, with the unit's processes untouched and the drop-in
 * back in force). The result is the SessionPlan the start step persists on the host.
 */
import { randomBytes } from 'node:crypto';
import type { HostFacts } from '../../core/profile/hostFacts';
import {
  DEFAULT_SETTLE_TIMEOUT_MS,
  restartTimeoutMs,
  timeoutScale,
  watchdogTimeoutSec,
} from '../../core/profiling/timeouts';
import { chooseTracing, tracingMode } from '../../core/profiling/tracingChoice';
import { isActive, unitCwd } from '../../core/profiling/unitInfo';
import { planWrapper, refuseUnprofilable } from '../../core/profiling/wrapperPlan';
import type { Host, HostExec, HostLink, SessionHost } from '../host';
import { probe } from '../probe';
import { detectSessionReach, enforceSessionPolicy } from '../sessionUnits';
import { parseRunnableUnitName } from '../../core/systemd/unitName';
import { fifoPath, sessionPaths, type SessionPaths } from './layout';
import { clearLeftovers } from './leftovers';
import { setAsideForSession, undoSetAside, type SetAside } from './setAside';
import type { Link } from './link';
import { ProfilingError } from '../../core/profiling/errors';
import type { UnitInfo } from '../../core/profiling/unitInfo';
import { prepareEbpf, type EbpfState } from './ebpfRecorder';
import type { ProfileServiceOptions, RecorderChoice } from './options';
import { SESSION_PLAN_FORMAT, type SessionPlan } from './state';
import { readUnitInfo } from './unitInfo';

/** What the plan step uses of the host: commands, its name, and an upload (the eBPF recorder). */
export type PlanHost = HostLink & Pick<SessionHost, 'host' | 'writeFileAtomic'>;

export async function planSession(
  link: Link<PlanHost>,
  opts: Omit<ProfileServiceOptions, 'connect'>,
  log: (line: string) => void,
  warnings: string[],
): Promise<{ plan: SessionPlan; paths: SessionPaths }> {
  const unit = parseRunnableUnitName(opts.unit).unit;
  const paths = sessionPaths(unit);
  const conn = await link.get();
  // Look before touching: a unit whose children are login sessions is refused with the reason.
  enforceSessionPolicy(await detectSessionReach(conn, unit), opts.sessionUnit ?? 'refuse');
  await clearLeftovers(conn, unit, { log });
  const watchdogSec = watchdogTimeoutSec(opts.watchdogTimeoutSec);
  const setAside = await setAsideForSession(conn, unit, 2 * watchdogSec);
  if (setAside)
    log(`hush's hardening of ${unit} set aside for the session: profiling it as it runs without hush`);
  try {
    const plan = await planWith(conn, unit, paths, opts, log, warnings, setAside);
    return { plan, paths };
  } catch (err) {
    if (setAside) await undoSetAside(conn, unit);
    throw err;
  }
}

async function planWith(
  conn: PlanHost,
  unit: string,
  paths: SessionPaths,
  opts: Omit<ProfileServiceOptions, 'connect'>,
  log: (line: string) => void,
  warnings: string[],
  setAside: SetAside | undefined,
): Promise<SessionPlan> {
  const info = await readUnitInfo(conn, unit);
  const ebpf = await chooseRecorder(conn, unit, info, opts.recorder ?? 'strace', log);
  // strace missing is the common refusal: refuse before the (much heavier) host probe.
  if (!ebpf && !info.strace) refuseUnprofilable(unit, info);
  const facts = opts.probeFacts === false ? undefined : await probeFacts(conn, unit, log, warnings);
  if (ebpf) return ebpfPlan(unit, info, facts, opts, conn, ebpf, setAside);
  const tracing = chooseTracing(opts.tracing, info, facts);
  log(`tracing: ${tracing.why}`);
  const scale = timeoutScale(opts.timeoutScale);
  const wrapper = planWrapper(unit, info, facts, randomBytes(8).toString('hex'), (s) => fifoPath(paths, s), {
    timeoutScale: scale,
    launcherScript: paths.launcher,
    ...(tracing.set ? { seccompExcept: [...tracing.set.untraced.keys()] } : {}),
  });
  const traced = wrapper.slots.filter((s) => s.traced);
  for (const s of wrapper.slots.filter((x) => !x.traced))
    warnings.push(`${s.id} not traced: ${s.skipReason}`);
  log(
    `profiling ${unit} on ${conn.target}: ${traced.length} traced command(s) (${traced.map((s) => s.id).join(', ')})`,
  );
  const plan: SessionPlan = {
    ...planBase(unit, info, facts, opts, conn, wrapper.session, setAside),
    recorder: {
      kind: 'strace-wrapper',
      tracing: tracingMode(tracing),
      stracePath: wrapper.stracePath,
      dropIn: wrapper.dropIn,
      slots: wrapper.slots,
    },
    sink: opts.spool
      ? { kind: 'spool', deadline: opts.spool.deadline.toISOString(), capBytes: opts.spool.capBytes }
      : { kind: 'live', compress: opts.compress ?? false },
  };
  return plan;
}

/** Facts enrich the profile; a probe problem must not block profiling itself. */
async function probeFacts(
  conn: HostExec,
  unit: string,
  log: (l: string) => void,
  warnings: string[],
): Promise<HostFacts | undefined> {
  try {
    return await probe(conn, unit);
  } catch (err) {
    const msg = `host probe failed: ${(err as Error).message}`;
    warnings.push(msg);
    log(msg);
    return undefined;
  }
}

/**
 * The eBPF recorder when asked for (`ebpf`: an error naming why not, before anything changed) or
 * allowed (`auto`: strace when the host cannot run it, with the reason logged).
 */
async function chooseRecorder(
  conn: HostExec & Pick<Host, 'writeFileAtomic'>,
  unit: string,
  info: UnitInfo,
  choice: RecorderChoice,
  log: (line: string) => void,
): Promise<EbpfState | undefined> {
  if (choice === 'strace') return undefined;
  if ((info.properties.LoadState ?? '') !== 'loaded')
    throw new ProfilingError(
      `${unit} cannot be profiled: LoadState=${info.properties.LoadState ?? 'unknown'}`,
    );
  const r = await prepareEbpf(conn, unit, info, log);
  if ('state' in r) {
    log(`recorder: ebpf (in-kernel, attached to ${r.state.cgroup})`);
    return r.state;
  }
  if (choice === 'ebpf')
    throw new ProfilingError(`the eBPF recorder is not available: ${r.why}. ${unit} was not changed.`);
  log(`recorder: strace (eBPF recorder not available: ${r.why})`);
  return undefined;
}

/** What every session plan holds, whatever records the unit. */
function planBase(
  unit: string,
  info: UnitInfo,
  facts: HostFacts | undefined,
  opts: Omit<ProfileServiceOptions, 'connect'>,
  conn: PlanHost,
  session: string,
  setAside: SetAside | undefined,
): Omit<SessionPlan, 'recorder' | 'sink'> {
  return {
    format: SESSION_PLAN_FORMAT,
    unit,
    session,
    startedAt: new Date().toISOString(),
    wasActive: isActive(info),
    watchdogTimeoutSec: watchdogTimeoutSec(opts.watchdogTimeoutSec),
    restartTimeoutMs: restartTimeoutMs(info.properties, timeoutScale(opts.timeoutScale)),
    settleTimeoutMs: opts.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS,
    source: `unit:${unit}@${conn.host}`,
    cwd: unitCwd(info.properties.WorkingDirectory),
    info,
    ...(setAside ? { setAside } : {}),
    facts,
  };
}

function ebpfPlan(
  unit: string,
  info: UnitInfo,
  facts: HostFacts | undefined,
  opts: Omit<ProfileServiceOptions, 'connect'>,
  conn: PlanHost,
  recorder: EbpfState,
  setAside: SetAside | undefined,
): SessionPlan {
  return {
    ...planBase(unit, info, facts, opts, conn, randomBytes(8).toString('hex'), setAside),
    recorder,
    sink: { kind: 'live', compress: opts.compress ?? false },
  };
}
