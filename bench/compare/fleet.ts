/**
 * Comparison (d): what `pulumi up` costs beyond the profiling window, for one host and for a fleet
 * of several hosts hardened in parallel (target: fleet ≤ 2x one host).
 *
 * The real engine (scripts/install-pulumi) with a throwaway file backend, exactly as the e2e tests
 * run it (test/e2e/pulumiEngine.ts), on the examples/fleet program itself (dist/, so bench:compare
 * builds first): `pulumi up` on a stack of one host, then on a stack of N hosts, back to back in the
 * same invocation on the same VMs (`flt-1`…`flt-N`, debian-13, booted one after another before
 * both runs so both see the same machine). Each run: stock unit recorded, `up` timed (wall clock),
 * outputs and the engine's event log read for the split, the functional check, `destroy` timed,
 * and the unit checked back to stock (`systemctl cat` byte-identical, no drop-in, active).
 *
 * "Beyond the window": up's wall time minus the profiling window (the longest measured window of
 * the run's hosts: they run side by side, so one window is inside the wall time, not N).
 * SHH has no Pulumi integration: the baseline is hush itself on one host, measured just before.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { checkService, resetHost, sshExec, startHost, type TestHostConnection } from '../../test/host';
import { runTesthost } from '../../test/host/testhost';
import { createEngine, pulumi, pulumiOk, REPO_ROOT, type Engine } from '../../test/e2e/pulumiEngine';

const PROJECT_DIR = path.join(REPO_ROOT, 'examples', 'fleet');
const UNIT = 'nginx.service';
const DROPIN = `/etc/systemd/system/${UNIT}.d/zz-hush-hardening.conf`;
export const FLEET_VM_PREFIX = 'flt-';
const TESTHOST_RUN_DIR = path.join(process.env.HUSH_CACHE || '/var/cache/hush', 'testhost', 'run');
/** Profiling window of every host: the example's default duration and workload. */
export const FLEET_PROFILE_SECONDS = 10;

/** One host's part of a run: where its time went, from its ServiceProfile stats and the event log. */
export interface FleetHostRun {
  host: string;
  tracing: string;
  /** Wall seconds of the profiling window (duration and workload). */
  windowSeconds: number;
  /** Profiling session before the window: leftovers, probe, FIFOs, watchdog, wrapped restart. */
  setupSeconds: number;
  wrappedRestartSeconds: number;
  /** After the window: stop under strace, restore, restart on its own configuration, drain. */
  finishSeconds: number;
  /** ServiceProfile create step, as the engine saw it (event log, whole seconds). */
  profileStepSeconds: number | null;
  /** HardeningDropIn create step: exposure before, write, reload, restart, verify, health, exposure after. */
  dropInStepSeconds: number | null;
  exposureBefore: number | null;
  exposureAfter: number | null;
  checkOk: boolean;
}

export interface FleetRun {
  hosts: number;
  /** `uptime`'s load averages (1, 5, 15 min) when the run started. */
  loadAtStart: number[];
  /** The 1-min load average sampled every 5 s while `up` ran: other VMs' work shows here. */
  loadDuringUp?: { mean: number; max: number };
  /**
   * CPU seconds used while `up` ran (both cores count): by the whole machine, by this run's VMs
   * (their qemu processes), and by the controller (pulumi CLI, language host, program, dynamic
   * provider: the bench's descendants, sampled every second and reaped; a lower bound).
   * machine − VMs − controller = everything else (other people's VMs on the machine).
   */
  cpuDuringUp?: { machine: number; vms: number; controller: number };
  upSeconds: number;
  /** The longest window of the run's hosts (they overlap). */
  windowSeconds: number;
  /**
   * The slowest host's own ServiceProfile + HardeningDropIn steps: up minus this is what the engine
   * added (program start, scheduling); this minus one host's is what running side by side cost.
   */
  slowestHostStepsSeconds?: number;
  beyondWindowSeconds: number;
  /**
   * From `up` starting until the first ServiceProfile step began: engine, language host, program,
   * dynamic-provider process (event-log timestamps are whole seconds).
   */
  engineStartSeconds: number | null;
  perHost: FleetHostRun[];
  destroySeconds: number;
  /** Every host's unit back to stock after destroy: `systemctl cat` identical, no drop-in, active. */
  restored: boolean;
  restoreProblems: string[];
  error?: string;
}

export interface FleetComparison {
  one: FleetRun;
  fleet: FleetRun;
  /** fleet.beyondWindowSeconds ÷ one.beyondWindowSeconds */
  ratio: number;
  profileSeconds: number;
  workload: string;
  engine: string;
  /** vCPUs of each VM (TESTHOST_CPUS) */
  vmCpus: number;
  /** Why the fleet has the size it has (e.g. fewer VMs than asked for). */
  note?: string;
}

// ------------------------------------------------------------------------- engine event log

/** The parts of `pulumi up --event-log` lines the split needs (sdk/go/common/apitype EngineEvent). */
const EngineEvent = z.object({
  timestamp: z.number(),
  resourcePreEvent: z.object({ metadata: z.object({ op: z.string(), urn: z.string() }) }).optional(),
  resOutputsEvent: z.object({ metadata: z.object({ op: z.string(), urn: z.string() }) }).optional(),
});

export interface StepTimes {
  /** the first step of a hush resource (unix seconds; the stack's own step comes at once) */
  firstStep: number | null;
  /** urn → seconds from its step's start to its outputs (create/update/delete steps only) */
  steps: Map<string, number>;
}

/** Step durations from an event log (JSON lines; timestamps are whole unix seconds). Pure. */
export function stepTimes(eventLog: string): StepTimes {
  const started = new Map<string, number>();
  const steps = new Map<string, number>();
  let firstStep: number | null = null;
  for (const line of eventLog.split('\n')) {
    if (!line.trim()) continue;
    const parsed = EngineEvent.safeParse(JSON.parse(line));
    if (!parsed.success) continue;
    const e = parsed.data;
    const pre = e.resourcePreEvent?.metadata;
    if (pre && pre.op !== 'same') {
      started.set(pre.urn, e.timestamp);
      if (pre.urn.includes('dynamic/hush:')) firstStep ??= e.timestamp;
    }
    const done = e.resOutputsEvent?.metadata;
    const t0 = done ? started.get(done.urn) : undefined;
    if (done && t0 !== undefined) steps.set(done.urn, e.timestamp - t0);
  }
  return { firstStep, steps };
}

/** The step of the resource named `name` (the last `::` part of its urn). */
function stepOf(times: StepTimes, name: string): number | null {
  for (const [urn, s] of times.steps) if (urn.endsWith(`::${name}`)) return s;
  return null;
}

// ------------------------------------------------------------------------- stack outputs

const ProfileStats = z.object({
  host: z.string(),
  windowSeconds: z.number(),
  tracing: z.string().default('?'),
  setupSeconds: z.number().default(NaN),
  wrappedRestartSeconds: z.number().default(NaN),
  finishSeconds: z.number().default(NaN),
});
const Outputs = z.object({
  exposure: z.array(
    z.object({ host: z.string(), before: z.number().nullable(), after: z.number().nullable() }),
  ),
  profileStats: z.array(ProfileStats),
});

// ------------------------------------------------------------------------- one run

interface StockUnit {
  vm: TestHostConnection;
  cat: string;
}

async function sh(vm: TestHostConnection, command: string): Promise<string> {
  const r = await sshExec(vm, command, { timeoutMs: 5 * 60_000 });
  if (r.code !== 0)
    throw new Error(`on ${vm.name}: \`${command}\` exited ${r.code}: ${r.stderr.slice(-800)}`);
  return r.stdout;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux: /proc times are in 1/100 s

/** Fields of a /proc/…/stat line after the command name (the name may hold spaces). */
function statFields(file: string): number[] {
  const text = readFileSync(file, 'utf8');
  return text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** CPU seconds so far: the machine (non-idle, all cores), each VM's qemu, this process's reaped children. */
export function cpuNow(vms: TestHostConnection[]): { machine: number; vms: number; controller: number } {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  const busy = cpu.slice(0, 8).reduce((a, b, i) => (i === 3 || i === 4 ? a : a + b), 0);
  let vmTicks = 0;
  for (const vm of vms) {
    try {
      const pid = readFileSync(path.join(TESTHOST_RUN_DIR, vm.name, 'qemu.pid'), 'utf8').trim();
      const f = statFields(`/proc/${pid}/stat`); // f[11] utime, f[12] stime (stat fields 14, 15)
      vmTicks += (f[11] ?? 0) + (f[12] ?? 0);
    } catch {
      vmTicks += NaN;
    }
  }
  const self = statFields('/proc/self/stat'); // f[13] cutime, f[14] cstime (stat fields 16, 17)
  return {
    machine: busy / CLOCK_TICKS,
    vms: vmTicks / CLOCK_TICKS,
    controller: ((self[13] ?? 0) + (self[14] ?? 0)) / CLOCK_TICKS,
  };
}

/**
 * CPU ticks so far of every live descendant of `root` (pid → utime + stime). Sampled while `up`
 * runs, because a plugin the engine kills is not always reaped before the CLI exits, and then its
 * CPU never reaches our children's times (cutime). qemu is not a descendant (it daemonizes).
 */
function descendantTicks(root: number, into: Map<number, number>): void {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(`/proc/${entry}/stat`); // f[1] ppid, f[11] utime, f[12] stime
      parent.set(Number(entry), f[1] ?? 0);
      ticks.set(Number(entry), (f[11] ?? 0) + (f[12] ?? 0));
    } catch {
      // gone meanwhile
    }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parent.get(pid), hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++)
      if (p === root) return true;
    return false;
  };
  for (const [pid, t] of ticks) if (isDescendant(pid)) into.set(pid, Math.max(into.get(pid) ?? 0, t));
}

/** Load averages now, as `uptime` prints them. */
const loadNow = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

/**
 * `pulumi up` of examples/fleet over `vms` on a fresh stack, then destroy and check every unit is
 * back to stock. Never throws for a failed up/destroy: the run records the error.
 */
export async function fleetRun(
  engine: Engine,
  stack: string,
  vms: TestHostConnection[],
  log: (line: string) => void,
): Promise<FleetRun> {
  const stackArgs = ['--stack', stack];
  const names = vms.map((_, i) => `host${i}`);
  const run: FleetRun = {
    hosts: vms.length,
    loadAtStart: [],
    upSeconds: NaN,
    windowSeconds: NaN,
    beyondWindowSeconds: NaN,
    engineStartSeconds: null,
    perHost: [],
    destroySeconds: NaN,
    restored: false,
    restoreProblems: [],
  };
  const stock: StockUnit[] = [];
  for (const vm of vms) stock.push({ vm, cat: await sh(vm, `systemctl cat ${UNIT}`) });
  await pulumiOk(engine, PROJECT_DIR, ['stack', 'init', stack]);
  const eventLog = path.join(engine.stateDir, `${stack}-up-events.jsonl`);
  try {
    const hosts = vms.map((vm, i) => ({
      name: names[i],
      host: vm.host,
      port: vm.port,
      user: vm.user,
      hostKey: vm.hostKeyFingerprint,
      privateKeyPath: vm.privateKeyPath,
    }));
    await pulumiOk(engine, PROJECT_DIR, ['config', 'set', 'hosts', JSON.stringify(hosts), ...stackArgs]);
    await pulumiOk(engine, PROJECT_DIR, [
      'config',
      'set',
      'profileSeconds',
      String(FLEET_PROFILE_SECONDS),
      ...stackArgs,
    ]);

    run.loadAtStart = loadNow();
    log(`fleet: ${stack}: pulumi up on ${vms.length} host(s), load ${run.loadAtStart.join(' ')}`);
    const cpu0 = cpuNow(vms);
    const t0 = Date.now();
    const samples: number[] = [];
    const children = new Map<number, number>();
    let tick = 0;
    const sampler = setInterval(() => {
      descendantTicks(process.pid, children);
      if (tick++ % 5 === 0) samples.push(os.loadavg()[0] ?? NaN);
    }, 1000);
    // --event-log is registered only with PULUMI_DEBUG_COMMANDS (it adds nothing else to `up`)
    const debug: Engine = { ...engine, env: { ...engine.env, PULUMI_DEBUG_COMMANDS: 'true' } };
    const up = await pulumi(debug, PROJECT_DIR, [
      'up',
      '--yes',
      '--skip-preview',
      '--event-log',
      eventLog,
      ...stackArgs,
    ]).finally(() => clearInterval(sampler));
    run.upSeconds = (Date.now() - t0) / 1000;
    const cpu1 = cpuNow(vms);
    const round = (n: number) => Math.round(n * 10) / 10;
    run.cpuDuringUp = {
      machine: round(cpu1.machine - cpu0.machine),
      vms: round(cpu1.vms - cpu0.vms),
      // both are lower bounds (the sampled sum misses each process's last second)
      controller: round(
        Math.max(
          cpu1.controller - cpu0.controller,
          [...children.values()].reduce((a, b) => a + b, 0) / CLOCK_TICKS,
        ),
      ),
    };
    if (samples.length > 0)
      run.loadDuringUp = {
        mean: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10,
        max: Math.max(...samples),
      };
    log(`fleet: ${stack}: up exited ${up.code} after ${run.upSeconds.toFixed(0)} s`);
    if (up.code !== 0)
      throw new Error(`pulumi up exited ${up.code}: ${(up.stdout + up.stderr).slice(-2000)}`);

    const times = stepTimes(readFileSync(eventLog, 'utf8'));
    if (times.firstStep !== null)
      run.engineStartSeconds = Math.max(0, times.firstStep - Math.floor(t0 / 1000));
    const outputs = Outputs.parse(
      JSON.parse((await pulumiOk(engine, PROJECT_DIR, ['stack', 'output', '--json', ...stackArgs])).stdout),
    );
    for (const [i, vm] of vms.entries()) {
      const name = names[i] ?? `host${i}`;
      const stats = outputs.profileStats.find((s) => s.host === name);
      const exposure = outputs.exposure.find((e) => e.host === name);
      if (!stats) throw new Error(`no profileStats for ${name} in the stack outputs`);
      const check = await checkService(vm, 'nginx').catch(() => ({ ok: false }));
      run.perHost.push({
        host: `${name} (${vm.name})`,
        tracing: stats.tracing,
        windowSeconds: stats.windowSeconds,
        setupSeconds: stats.setupSeconds,
        wrappedRestartSeconds: stats.wrappedRestartSeconds,
        finishSeconds: stats.finishSeconds,
        profileStepSeconds: stepOf(times, `${name}-profile`),
        dropInStepSeconds: stepOf(times, `${name}-dropin`),
        exposureBefore: exposure?.before ?? null,
        exposureAfter: exposure?.after ?? null,
        checkOk: check.ok,
      });
    }
    run.windowSeconds = Math.max(...run.perHost.map((h) => h.windowSeconds));
    run.beyondWindowSeconds = run.upSeconds - run.windowSeconds;
    run.slowestHostStepsSeconds = Math.max(
      ...run.perHost.map((h) => (h.profileStepSeconds ?? NaN) + (h.dropInStepSeconds ?? NaN)),
    );
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    log(`fleet: ${stack}: ${run.error}`);
  } finally {
    const t1 = Date.now();
    const destroy = await pulumi(engine, PROJECT_DIR, ['destroy', '--yes', '--skip-preview', ...stackArgs]);
    run.destroySeconds = (Date.now() - t1) / 1000;
    if (destroy.code !== 0) {
      run.restoreProblems.push(
        `destroy exited ${destroy.code}: ${(destroy.stdout + destroy.stderr).slice(-600)}`,
      );
    }
    for (const s of stock) {
      const cat = await sh(s.vm, `systemctl cat ${UNIT}`).catch((e: unknown) => String(e));
      if (cat !== s.cat)
        run.restoreProblems.push(`${s.vm.name}: systemctl cat ${UNIT} differs from before up`);
      const left = await sshExec(s.vm, `test -e ${DROPIN}`);
      if (left.code === 0) run.restoreProblems.push(`${s.vm.name}: ${DROPIN} is still there`);
      const active = (await sshExec(s.vm, `systemctl is-active ${UNIT}`)).stdout.trim();
      if (active !== 'active') run.restoreProblems.push(`${s.vm.name}: ${UNIT} is ${active}`);
    }
    run.restored = run.restoreProblems.length === 0;
    log(
      `fleet: ${stack}: destroy ${run.destroySeconds.toFixed(0)} s; ${run.restored ? 'every unit back to stock' : run.restoreProblems.join('; ')}`,
    );
    await pulumi(engine, PROJECT_DIR, ['stack', 'rm', '--yes', '--force', ...stackArgs]);
  }
  return run;
}

// ------------------------------------------------------------------------- the comparison

/** Boots `count` VMs one after another (each boot is a CPU burst); fewer when a boot fails. */
async function bootFleet(
  count: number,
  log: (line: string) => void,
): Promise<{ vms: TestHostConnection[]; failure?: string }> {
  const vms: TestHostConnection[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `${FLEET_VM_PREFIX}${i}`;
    try {
      log(`fleet: booting ${name}`);
      vms.push(await startHost('debian-13', { name, ownerPid: process.pid }));
    } catch (err) {
      return {
        vms,
        failure: `${name} did not boot: ${err instanceof Error ? err.message.split('\n')[0] : err}`,
      };
    }
  }
  return { vms };
}

/**
 * One host, then `count` hosts in parallel, back to back. The VMs are stopped at the end, the
 * engine's state directory removed.
 */
export async function compareFleet(count: number, log: (line: string) => void): Promise<FleetComparison> {
  const engine = createEngine();
  const booted = await bootFleet(count, log);
  try {
    if (booted.vms.length < 2) throw new Error(`a fleet needs 2 VMs: ${booted.failure ?? 'none booted'}`);
    const version = (await pulumiOk(engine, PROJECT_DIR, ['version'])).stdout.trim();
    const first = booted.vms[0] as TestHostConnection;
    const one = await fleetRun(engine, 'bench-one', [first], log);
    // the fleet starts from freshly booted VMs too: flt-1 back to its boot state
    const vms = [await resetHost(first.name), ...booted.vms.slice(1)];
    const fleet = await fleetRun(engine, `bench-fleet${vms.length}`, vms, log);
    return {
      one,
      fleet,
      ratio: fleet.beyondWindowSeconds / one.beyondWindowSeconds,
      profileSeconds: FLEET_PROFILE_SECONDS,
      workload: 'for i in $(seq 20); do curl -fsS -o /dev/null http://127.0.0.1/ || true; done',
      engine: version,
      vmCpus: Number(process.env.TESTHOST_CPUS ?? 2),
      ...(booted.failure ? { note: booted.failure } : {}),
    };
  } finally {
    // by prefix: a VM whose boot failed half-way is stopped too
    await runTesthost(['down', '--prefix', FLEET_VM_PREFIX], 120_000).catch((err: unknown) =>
      log(`fleet: stopping the VMs: ${String(err)}`),
    );
    engine.dispose();
  }
}
