/**
 * `npm run bench:overhead`: what profiling costs a service on this machine's own CPU (no VM).
 *
 *   bash bench/overhead/setup.sh      # once: Debian's nginx, redis, wrk, bpftrace; tracefs
 *   npm run bench:overhead            # HUSH_OVERHEAD_ROUNDS (5), HUSH_OVERHEAD_SECONDS (8),
 *                                     # HUSH_OVERHEAD_SERVICES (nginx,redis), HUSH_OVERHEAD_RECORDERS
 *                                     # ('hush ebpf baseline': HUSH_OVERHEAD_EBPF_BASELINE=BINARY)
 *
 * Each round runs every recorder once per service, in an order rotated round by round, so that
 * the shared machine's load drifts over all of them alike: the service unprofiled, under hush's
 * default recorder, under hush's full tracing, and under SHH's own `shh run` (scripts/install-shh;
 * its strace through bench/overhead/shh-strace when the host's is older than 6.6). Every profiled
 * rate is divided by the unprofiled rate of the same round; min and median over the rounds are
 * reported, with the load average before each run. Figures go to stdout and to
 * ${HUSH_CACHE}/bench/overhead-local.json (bench:compare's `cpu` section renders them).
 * Not a test: a missed target is printed as missed.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { sigLines } from '../../core/ebpf';
import { localRecorderBinary } from '../../remote/profile/ebpfRecorder';
import { prototypeProgram } from './bpftrace-prototype';
import { hushWrapped, localStrace, type LocalStrace, type RecorderName } from './recorders';
import { nginxService, redisService, type BenchService } from './services';
import { summarizeRuns, renderLocalOverhead, type LocalOverheadResults, type LocalRun } from './report';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SRC = fs.existsSync(path.join(REPO, 'bench', 'overhead')) ? REPO : path.resolve(__dirname, '..', '..');
const ROUNDS = Number(process.env.HUSH_OVERHEAD_ROUNDS ?? 5);
const SECONDS = Number(process.env.HUSH_OVERHEAD_SECONDS ?? 8);
const REDIS_REQUESTS = Number(process.env.HUSH_OVERHEAD_REDIS_REQUESTS ?? 100_000);
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

const log = (line: string) =>
  process.stderr.write(`[overhead ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cacheDir(): string {
  return path.join(process.env.HUSH_CACHE || '/var/cache/hush', 'bench');
}

function loadAvg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function waitPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answers on port ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function exited(p: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    p.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Async on purpose: the readers' pipes into this process must keep draining while the load runs. */
async function run(argv: string[], timeoutMs: number): Promise<string> {
  const r = await execFileAsync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, env: ENV });
  return r.stdout;
}

interface Started {
  /** Processes to wait for after the service is stopped (the service or shh, the reader). */
  waitFor: ChildProcess[];
  /** Processes that only end when told to, once the service is gone (bpftrace). */
  interruptAfter?: ChildProcess[];
  /** CPU µs so far of the recorder's processes outside the run's cgroup (bpftrace). */
  outsideCpuUs?: () => number;
  traceBytes: () => number;
  /** Trace lines so far (one per traced call; an interrupted call's two halves are two). */
  traceLines?: () => number;
  /** shh's stdout (its options), for the note. */
  output: () => string;
  note: string;
}

/** The cgroup v2 hierarchy (unified, or the hybrid layout's unified/). */
function cgroup2Root(): string {
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n');
  const m = mounts.map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2');
  if (!m?.[1]) throw new Error('no cgroup2 hierarchy mounted');
  return m[1];
}

/**
 * Spawns `argv` inside the run's cgroup (the shell joins it, then execs), so that everything the
 * recorder runs there (the service, strace as its -D grandchild, the reader, SHH) is charged to
 * it: its cpu.stat over the measured load is the CPU each request cost, which other engineers'
 * load on the shared machine shifts far less than it shifts the request rate.
 */
function spawnIn(
  cg: string,
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; stdio: 'ignore' | ['ignore', 'pipe', 'pipe' | 'inherit'] },
): ChildProcess {
  return spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, ...argv], {
    env: opts.env ?? ENV,
    stdio: opts.stdio,
  });
}

/** CPU µs used by the cgroup so far (cgroup v2 cpu.stat, present without the cpu controller). */
function cgroupCpuUs(cg: string): number {
  const m = /^usage_usec (\d+)$/m.exec(fs.readFileSync(path.join(cg, 'cpu.stat'), 'utf8'));
  if (!m) throw new Error(`no usage_usec in ${cg}/cpu.stat`);
  return Number(m[1]);
}

/** CPU µs of a process outside the cgroup (bpftrace's user-space side), from /proc/PID/stat. */
function processCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

async function startBpftracePrototype(service: BenchService, cg: string): Promise<Started> {
  let out = '';
  let bytes = 0;
  const bt = spawn('bpftrace', ['-B', 'line', '-e', prototypeProgram(cg)], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bt.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    if (out.length < 4096) out += d.toString();
  });
  bt.stderr.on('data', (d: Buffer) => {
    if (out.length < 4096) out += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!/Attaching \d+ probes/.test(out)) {
    if (bt.exitCode !== null || Date.now() > deadline)
      throw new Error(`bpftrace did not attach (exit ${bt.exitCode}): ${out}`);
    await sleep(50);
  }
  // bpftrace itself stays outside the cgroup (it would record itself); its CPU is added per run
  const p = spawnIn(cg, service.execStart.split(' '), { stdio: 'ignore' });
  return {
    waitFor: [p],
    interruptAfter: [bt],
    outsideCpuUs: () => processCpuUs(bt.pid),
    traceBytes: () => bytes,
    output: () => out,
    note: 'bpftrace',
  };
}

/**
 * hush's in-kernel recorder (native/recorder, built by npm run build) attached to the run's cgroup
 * as a profiling session attaches it to a unit's: the same binary, the same decoding plan
 * (sigLines), its stream drained into this process. Its kernel side runs in the service's own
 * syscalls (charged to the cgroup); its user-space side is outside the cgroup and added per run.
 */
async function startHushEbpf(
  service: BenchService,
  cg: string,
  scratch: string,
  binary: string | undefined,
): Promise<Started> {
  if (!binary)
    throw new Error('hush ebpf: the recorder is not built (npm run build; native/recorder/build.sh)');
  const sigs = path.join(scratch, 'recorder.sigs');
  const ready = path.join(scratch, 'recorder.ready');
  fs.writeFileSync(sigs, sigLines());
  fs.rmSync(ready, { force: true });
  const root = cgroup2Root();
  let bytes = 0;
  let lines = 0;
  let err = '';
  const rec = spawn(
    binary,
    [
      '--cgroup',
      cg.slice(root.length),
      '--cgroup-root',
      root,
      '--sigs',
      sigs,
      '--out',
      '-',
      '--ready',
      ready,
    ],
    { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  rec.stdout.on('data', (d: Buffer) => {
    bytes += d.length;
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
  });
  rec.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(ready) || fs.readFileSync(ready, 'utf8') === '') {
    if (rec.exitCode !== null || Date.now() > deadline)
      throw new Error(`hush-recorder did not attach (exit ${rec.exitCode}): ${err}`);
    await sleep(20);
  }
  const p = spawnIn(cg, service.execStart.split(' '), { stdio: 'ignore' });
  return {
    waitFor: [p],
    interruptAfter: [rec],
    outsideCpuUs: () => processCpuUs(rec.pid),
    traceBytes: () => bytes,
    // one line per distinct call (the kernel drops repeats): records per request
    traceLines: () => lines,
    output: () => err,
    note: 'in-kernel (tracepoints, deduplicated)',
  };
}

async function startRecorder(
  recorder: RecorderName,
  service: BenchService,
  strace: LocalStrace,
  scratch: string,
  shh: string | undefined,
  cg: string,
): Promise<Started> {
  const command = service.execStart.split(' ');
  if (recorder === 'bpftrace prototype') return startBpftracePrototype(service, cg);
  if (recorder === 'hush ebpf') return startHushEbpf(service, cg, scratch, localRecorderBinary());
  if (recorder === 'hush ebpf baseline') {
    // another build of native/recorder (e.g. main's, before a change), run in the same rounds
    const baseline = process.env.HUSH_OVERHEAD_EBPF_BASELINE;
    if (!baseline || !fs.existsSync(baseline))
      throw new Error('hush ebpf baseline: set HUSH_OVERHEAD_EBPF_BASELINE to a hush-recorder binary');
    return startHushEbpf(service, cg, scratch, baseline);
  }
  if (recorder === 'unprofiled') {
    const p = spawnIn(cg, command, { stdio: 'ignore' });
    return { waitFor: [p], traceBytes: () => 0, output: () => '', note: '' };
  }
  if (recorder === 'shh') {
    if (!shh) throw new Error('shh is not built (scripts/install-shh)');
    let out = '';
    const p = spawnIn(cg, [shh, 'run', '--', ...command], {
      env: { ...ENV, PATH: `${path.join(SRC, 'bench', 'overhead', 'shh-strace')}:${ENV.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!p.stdout || !p.stderr) throw new Error('shh: no output pipes');
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { waitFor: [p], traceBytes: () => 0, output: () => out, note: 'shh run' };
  }
  const fifoDir = path.join(scratch, 'fifo');
  fs.rmSync(fifoDir, { recursive: true, force: true });
  fs.mkdirSync(fifoDir, { recursive: true });
  const w = hushWrapped(service, strace, recorder === 'hush full' ? 'full' : undefined, fifoDir);
  execFileSync('mkfifo', ['-m', '0600', w.fifo]);
  let bytes = 0;
  let lines = 0;
  const reader = spawnIn(cg, w.reader, { stdio: ['ignore', 'pipe', 'inherit'] });
  reader.stdout?.on('data', (d: Buffer) => {
    bytes += d.length;
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
  });
  const p = spawnIn(cg, w.argv, { stdio: 'ignore' });
  return {
    waitFor: [p, reader],
    traceBytes: () => bytes,
    traceLines: () => lines,
    output: () => '',
    note: `tracing ${w.tracing}`,
  };
}

async function oneRun(
  round: number,
  recorder: RecorderName,
  service: BenchService,
  strace: LocalStrace,
  scratch: string,
  shh: string | undefined,
): Promise<LocalRun> {
  fs.rmSync(service.pidFile, { force: true });
  const cg = path.join(cgroup2Root(), 'hush-bench-overhead', `run-${process.pid}-${round}`);
  fs.mkdirSync(cg, { recursive: true });
  const load = loadAvg();
  const t0 = Date.now();
  const s = await startRecorder(recorder, service, strace, scratch, shh, cg);
  let result: LocalRun;
  try {
    await waitPort(service.port, 120_000);
    const startMs = Date.now() - t0;
    await run(service.warmup, 300_000);
    const loadBefore = loadAvg();
    const cpu0 = cgroupCpuUs(cg) + (s.outsideCpuUs?.() ?? 0);
    const lines0 = s.traceLines?.();
    const out = await run(service.load(SECONDS), 900_000);
    const cpuUs = cgroupCpuUs(cg) + (s.outsideCpuUs?.() ?? 0) - cpu0;
    const measured = service.parseLoad(out);
    const lines1 = s.traceLines?.();
    result = {
      round,
      service: service.name,
      recorder,
      ...measured,
      cpuUsPerRequest: cpuUs / Math.max(1, measured.requests),
      // the reader passes 8 KiB blocks: the window's edges are off by a block, not a request
      ...(lines0 !== undefined && lines1 !== undefined
        ? { tracedCallsPerRequest: (lines1 - lines0) / Math.max(1, measured.requests) }
        : {}),
      loadAtStart: load,
      loadBeforeLoad: loadBefore,
      startMs,
      traceBytes: 0,
      note: s.note,
    };
  } finally {
    await stop(service, s);
    try {
      fs.rmdirSync(cg);
    } catch (e) {
      log(`cgroup ${cg} not removed: ${(e as Error).message}`);
    }
  }
  // the reader has seen the whole trace once the tracer and the reader have exited
  return { ...result, traceBytes: s.traceBytes() };
}

async function stop(service: BenchService, s: Started): Promise<void> {
  let pid: number | undefined;
  for (let i = 0; i < 100 && pid === undefined; i++) {
    try {
      pid = Number(fs.readFileSync(service.pidFile, 'utf8').trim());
    } catch {
      await sleep(50);
    }
  }
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  for (const p of s.waitFor) await ended(p);
  for (const p of s.interruptAfter ?? []) {
    // bpftrace prints its maps, hush-recorder its closing counters
    p.kill('SIGINT');
    await ended(p);
  }
}

async function ended(p: ChildProcess): Promise<void> {
  if (await exited(p, 120_000)) return;
  log(`pid ${p.pid} did not exit within 120 s of the stop: killing it`);
  p.kill('SIGKILL');
  await exited(p, 10_000);
}

function shhBinary(): string | undefined {
  try {
    return execFileSync(path.join(SRC, 'scripts', 'install-shh'), [], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch (e) {
    log(`SHH unavailable, its runs are skipped: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const strace = localStrace();
  const wanted = (process.env.HUSH_OVERHEAD_RECORDERS ?? 'unprofiled,hush decisions,hush full,shh')
    .split(',')
    .map((r) => r.trim() as RecorderName);
  // SHH is built (cargo, minutes) only when a run asks for it
  const shh = wanted.includes('shh') ? shhBinary() : undefined;
  const recorders = wanted.filter((r) => r !== 'shh' || shh);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hush-overhead-'));
  fs.chmodSync(scratch, 0o755);
  const services: BenchService[] = (process.env.HUSH_OVERHEAD_SERVICES ?? 'nginx,redis')
    .split(',')
    .map((n) => n.trim())
    .map((n) => {
      if (n === 'nginx') return nginxService(scratch, 18080);
      if (n === 'redis') return redisService(scratch, 16379, REDIS_REQUESTS);
      throw new Error(`HUSH_OVERHEAD_SERVICES: unknown service ${n}`);
    });
  const started = new Date().toISOString();
  const uptimeAtStart = execFileSync('uptime', { encoding: 'utf8' }).trim();
  log(`${uptimeAtStart}; ${ROUNDS} rounds, ${recorders.join(', ')}; ${strace.versionLine}`);
  for (const svc of services) {
    for (const t of [undefined, 'full'] as const) {
      const w = hushWrapped(svc, strace, t, path.join(scratch, 'fifo'));
      log(
        `${svc.name}: hush ${w.why}: ExecStart=${w.execLine.slice(10, 400)}${w.execLine.length > 400 ? '…' : ''}`,
      );
    }
  }
  const runs: LocalRun[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const svc of services) {
      const order = recorders.map((_, i) => recorders[(i + round) % recorders.length]!);
      for (const rec of order) {
        const r = await oneRun(round, rec, svc, strace, scratch, shh);
        runs.push(r);
        log(
          `round ${round + 1} ${svc.name} ${rec}: ${r.requestsPerSec.toFixed(0)} req/s (${r.requests} requests, ${r.errors} errors; load ${r.loadBeforeLoad}; up after ${r.startMs} ms)`,
        );
      }
    }
  }
  const results: LocalOverheadResults = {
    started,
    finished: new Date().toISOString(),
    uptimeAtStart,
    uptimeAtEnd: execFileSync('uptime', { encoding: 'utf8' }).trim(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, ${os.type()} ${os.release()}`,
    strace: strace.versionLine,
    shh: shh ? path.basename(path.dirname(path.dirname(shh))) : 'not built',
    rounds: ROUNDS,
    seconds: SECONDS,
    runs,
    summary: summarizeRuns(runs),
  };
  fs.mkdirSync(cacheDir(), { recursive: true });
  fs.writeFileSync(path.join(cacheDir(), 'overhead-local.json'), JSON.stringify(results, null, 2) + '\n');
  fs.rmSync(scratch, { recursive: true, force: true });
  // the runs' cgroups are removed one by one; their parent only once nothing is left in it
  try {
    fs.rmdirSync(path.join(cgroup2Root(), 'hush-bench-overhead'));
  } catch {
    /* a run's cgroup still has a process (logged when it was left): keep the parent */
  }
  process.stdout.write(renderLocalOverhead(results) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:overhead: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
