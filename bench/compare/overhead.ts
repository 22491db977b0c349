/**
 * Comparison (b): profiling overhead. nginx in the debian-13 VM under a fixed wrk load generated
 * inside the VM; requests/s unprofiled, while hush profiles it (remote/profile/, the workload
 * run by hush's own session as its `remoteWorkload`), and while SHH profiles it
 * (`shh service start-profile nginx`, wrk, `shh service finish-profile nginx`). The VM is reset
 * (loadvm) before each profiled run, and nginx's unprofiled rate is measured on that fresh VM right
 * before it: each profiled rate is a ratio to its own paired baseline, because the shared
 * machine's load (and so the emulated VM's speed) drifts by 2x between runs minutes apart.
 */
import { profileService, type ProfileServiceOptions } from '../../remote/profile';
import { parseWrk } from '../overhead/services';
import { VM_DIR, VM_SHH, type Vm } from './vm';

export const WRK_SECONDS = Number(process.env.HUSH_COMPARE_WRK_SECONDS ?? 20);
const WRK_ARGS = `-t2 -c8 -d${WRK_SECONDS}s http://127.0.0.1/`;
const WRK_OUT = `${VM_DIR}/wrk.out`;
const WRK_WARMUP_OUT = `${VM_DIR}/wrk-warmup.out`;
/** A short warm-up (its summary kept: its requests are traced too), then the measured run, written to WRK_OUT on the VM. */
export const WRK_WORKLOAD = `mkdir -p ${VM_DIR}; wrk -t2 -c8 -d3s http://127.0.0.1/ > ${WRK_WARMUP_OUT} 2>&1; wrk ${WRK_ARGS} > ${WRK_OUT} 2>&1`;
const NGINX_UP = 'curl -fsS -o /dev/null http://127.0.0.1/';

export type WrkResult = ReturnType<typeof parseWrk>;

export type OverheadVariant = 'hush' | `hush (${string})` | 'shh';

export interface OverheadRun extends WrkResult {
  variant: OverheadVariant;
  /** nginx unprofiled, measured on the same fresh VM right before this profiled run */
  paired: number;
  /** the profiler's own timings and trace size, when there was one */
  note: string;
}

export interface OverheadComparison {
  wrk: string;
  runs: OverheadRun[];
  baseline: number;
  hush: number;
  shh: number;
  /** hush's rate ÷ the unprofiled rate measured just before it */
  hushVsUnprofiled: number;
  shhVsUnprofiled: number;
  /**
   * hushVsUnprofiled ÷ shhVsUnprofiled: each rate normalised by its own paired baseline, since the
   * shared machine's load (and so the VM's speed) drifts between runs minutes apart.
   */
  hushVsShh: number;
  /** extra hush variants (e.g. tracing modes) */
  variants: { name: string; requestsPerSec: number; vsUnprofiled: number }[];
}

async function readWrk(vm: Vm): Promise<WrkResult> {
  return parseWrk(await vm.run(`cat ${WRK_OUT}`));
}

/** nginx unprofiled on the VM as it is now: the paired baseline of the profiled run that follows. */
async function unprofiled(vm: Vm): Promise<number> {
  await vm.run(WRK_WORKLOAD, (WRK_SECONDS + 120) * 1000);
  return (await readWrk(vm)).requestsPerSec;
}

async function underHush(
  vm: Vm,
  variant: OverheadVariant,
  extra: Partial<ProfileServiceOptions>,
  log: (l: string) => void,
): Promise<OverheadRun> {
  await vm.reset();
  await vm.waitReady('nginx.service', NGINX_UP);
  const paired = await unprofiled(vm);
  const r = await profileService({
    unit: 'nginx.service',
    connect: vm.connector(),
    remoteWorkload: WRK_WORKLOAD,
    watchdogTimeoutSec: 300,
    log: (l) => log(`hush: ${l}`),
    ...extra,
  });
  if (r.workloads.remote?.code !== 0) throw new Error(`wrk under hush exited ${r.workloads.remote?.code}`);
  const t = r.timings;
  // which tracing hush actually used (the field exists once hush has tracing modes)
  const tracing = (r as { tracing?: string }).tracing ?? 'full (no tracing modes yet)';
  // what stopped nginx most: the traced syscalls by count (the cost of ptrace is per stop)
  const top = Object.entries(r.profile.syscalls)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([n, c]) => `${n} ${c}`)
    .join(', ');
  const wrk = await readWrk(vm);
  // Traced calls per request (each is a ptrace stop pair): every traced call of the session, start-up
  // included, over the warm-up's and the measured run's requests, so an upper bound per request.
  const tracedCalls = r.profile.runs.reduce((n, run) => n + run.syscalls, 0);
  const warmup = parseWrk(await vm.run(`cat ${WRK_WARMUP_OUT}`)).requests;
  const perRequest = tracedCalls / Math.max(1, warmup + wrk.requests);
  return {
    variant,
    paired,
    ...wrk,
    note: `tracing ${tracing}; ${tracedCalls} traced calls for ${warmup + wrk.requests} requests (warm-up included): ${perRequest.toFixed(1)} per request, start-up included; trace ${(r.traceBytes / 1024 ** 2).toFixed(1)} MiB; wrapped restart ${(t.wrappedRestartMs / 1000).toFixed(0)} s, finish ${(t.finishMs / 1000).toFixed(0)} s; most traced: ${top}`,
  };
}

async function underShh(vm: Vm, localShh: string, log: (l: string) => void): Promise<OverheadRun> {
  await vm.reset();
  await vm.installShh(localShh);
  await vm.waitReady('nginx.service', NGINX_UP);
  const paired = await unprofiled(vm);
  const t0 = Date.now();
  await vm.run(`${VM_SHH} service start-profile nginx 2>&1`, 10 * 60_000);
  await vm.waitReady('nginx.service', NGINX_UP);
  const started = Date.now() - t0;
  log(`shh: nginx up under shh after ${(started / 1000).toFixed(0)} s; running wrk`);
  await vm.run(WRK_WORKLOAD, (WRK_SECONDS + 120) * 1000);
  const wrk = await readWrk(vm);
  const t1 = Date.now();
  const fin = await vm.exec(`${VM_SHH} service finish-profile nginx 2>&1`, 10 * 60_000);
  log(`shh: finish-profile exited ${fin.code} after ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  return {
    variant: 'shh',
    paired,
    ...wrk,
    note: `start-profile → serving ${(started / 1000).toFixed(0)} s; finish-profile ${((Date.now() - t1) / 1000).toFixed(0)} s (exit ${fin.code})`,
  };
}

/**
 * Extra hush runs asked for with HUSH_COMPARE_TRACING=full,decisions,compress: hush's `tracing` profiling
 * option (being added as this bench is written; passed untyped so the bench builds either way,
 * and each run's note says which tracing hush reported it used).
 */
export function tracingVariants(
  spec = process.env.HUSH_COMPARE_TRACING ?? '',
): { name: string; options: Partial<ProfileServiceOptions> }[] {
  return spec
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) =>
      // `compress`: gzip the trace on the host (fewer, larger writes through sshd), default tracing
      v === 'compress'
        ? { name: 'compressed trace', options: { compress: true } }
        : { name: `tracing ${v}`, options: { tracing: v } as unknown as Partial<ProfileServiceOptions> },
    );
}

/**
 * `hushVariants`: extra ProfileServiceOptions to measure besides hush's default (e.g. a tracing
 * mode), each as one more run.
 */
export async function compareOverhead(
  vm: Vm,
  localShh: string,
  log: (l: string) => void,
  hushVariants: { name: string; options: Partial<ProfileServiceOptions> }[] = [],
): Promise<OverheadComparison> {
  const runs: OverheadRun[] = [];
  const step = async (p: Promise<OverheadRun>) => {
    const r = await p;
    log(
      `overhead: ${r.variant}: ${r.requestsPerSec.toFixed(1)} req/s, unprofiled just before ${r.paired.toFixed(1)} ` +
        `(${r.requests} requests, ${r.errors} errors) ${r.note}`,
    );
    runs.push(r);
    return r;
  };
  const hush = await step(underHush(vm, 'hush', {}, log));
  const shh = await step(underShh(vm, localShh, log));
  const variants: { name: string; requestsPerSec: number; vsUnprofiled: number }[] = [];
  for (const v of hushVariants) {
    const r = await step(underHush(vm, `hush (${v.name})`, v.options, log));
    variants.push({
      name: v.name,
      requestsPerSec: r.requestsPerSec,
      vsUnprofiled: r.requestsPerSec / r.paired,
    });
  }
  const hushRel = hush.requestsPerSec / hush.paired;
  const shhRel = shh.requestsPerSec / shh.paired;
  return {
    wrk: `wrk ${WRK_ARGS} (after a 3 s warm-up), inside the VM`,
    runs,
    baseline: hush.paired,
    hush: hush.requestsPerSec,
    shh: shh.requestsPerSec,
    hushVsUnprofiled: hushRel,
    shhVsUnprofiled: shhRel,
    hushVsShh: hushRel / shhRel,
    variants,
  };
}
