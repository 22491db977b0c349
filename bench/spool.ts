/**
 * `npm run bench:spool [-- --size 1G]`: the controller's side of finishing a detached recording
 * (issue 14): a compressed spool, in the format the host keeps it (gzip of one slot's trace, strace
 * sessions separated by END_OF_TRACE lines, as remote/profile/liveSink.ts's compressed reader writes
 * it), read through the same stream path the session uses (remote/profile/collect.ts: gunzip →
 * split at the markers → core/strace's streaming parser → core/summary's summarizer, one per strace
 * session) and merged into one profile. Figures: wall time, CPU time, peak RSS (sampled and the
 * kernel's maxRSS), lines per CPU second, against a baseline in the same run: gunzip alone.
 *
 * The spool is generated once per size and cached: the real nginx trace of core/summary's fixtures
 * (strace 6.13, the debian-13 host) repeated, a marker every ~64 MiB of trace (a restart), gzip -1.
 * A long nginx recording is this repetitive: the same requests, over and over.
 *
 * Run it as the CLI runs (`hush` sets these V8 flags in its shebang, cli/main.ts):
 *   node --max-semi-space-size=2 --heap-growing-percent=20 dist/bench/spool.js --size 1G
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip, constants } from 'node:zlib';
import { mergeProfiles } from '../core/profile';
import { PROFILE_SCHEMA, type Profile } from '../core/profile/schema';
import { collectStream, END_OF_TRACE } from '../remote/profile/collect';
import { straceSegment } from '../remote/profile/recorder';

const FIXTURE = join(__dirname, '..', '..', 'core', 'summary', 'fixtures', 'nginx.strace613.strace');
const SEGMENT_BYTES = 64 * 1024 * 1024;

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text.trim());
  if (!m) throw new Error(`--size expects e.g. 1G, 200M, got ${text}`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * mult);
}

/** Writes the spool: the fixture repeated (markers between sessions) until gzip's output reaches `size`. */
async function makeSpool(path: string, size: number): Promise<{ traceBytes: number }> {
  const fixture = readFileSync(FIXTURE);
  const marker = Buffer.from(`${END_OF_TRACE}\n`);
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let traceBytes = 0;
  let inSegment = 0;
  const source = Readable.from(
    (function* () {
      // the compressed size is known only as it is written: check the file every 256 chunks
      let n = 0;
      for (;;) {
        if (n++ % 256 === 0 && out.bytesWritten >= size) return;
        yield fixture;
        traceBytes += fixture.length;
        inSegment += fixture.length;
        if (inSegment >= SEGMENT_BYTES) {
          inSegment = 0;
          yield marker;
        }
      }
    })(),
  );
  await pipeline(source, createGzip({ level: 1 }), out);
  renameSync(tmp, path);
  return { traceBytes };
}

interface Measured {
  wallS: number;
  cpuS: number;
  peakRssMiB: number;
}

async function measure(fn: () => Promise<void>): Promise<Measured> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wallS: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuS: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: Math.max(peak, process.memoryUsage().rss) / 1024 ** 2,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sizeArg = args[args.indexOf('--size') + 1];
  const size = parseSize(args.includes('--size') && sizeArg ? sizeArg : '1G');
  const dir = join(process.env.HUSH_CACHE ?? '/var/cache/hush', 'bench');
  mkdirSync(dir, { recursive: true });
  const spool = join(dir, `spool-nginx-${size}.gz`);
  const say = (l: string) => process.stdout.write(`bench:spool: ${l}\n`);
  if (!existsSync(spool)) {
    say(`generating ${spool} (${(size / 1024 ** 2).toFixed(0)} MiB of gzip -1)`);
    const g = await measure(async () => void (await makeSpool(spool, size)));
    say(`generated in ${g.wallS.toFixed(1)} s`);
  }
  const compressed = statSync(spool).size;

  // baseline: gunzip to nowhere, the least any reader of this spool pays
  let raw = 0;
  const base = await measure(async () => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024, flush: constants.Z_SYNC_FLUSH });
    gunzip.on('data', (b: Buffer) => (raw += b.length));
    await pipeline(createReadStream(spool), gunzip);
  });

  let lines = 0;
  let segments = 0;
  let profile: Profile = { schema: PROFILE_SCHEMA, actions: [], syscalls: {}, failedSyscalls: {}, runs: [] };
  const finish = await measure(async () => {
    const segs = await collectStream(createReadStream(spool), {
      slot: 'ExecStart-0',
      source: 'bench:spool',
      compressed: true,
      newSegment: () => straceSegment(undefined),
      onSegment: (s) => {
        lines += s.lines;
        segments++;
      },
    });
    for (const s of segs) profile = mergeProfiles(profile, s.profile);
  });
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  const mib = (n: number) => (n / 1024 ** 2).toFixed(0);
  say(
    `spool ${mib(compressed)} MiB gzip = ${mib(raw)} MiB of trace (${(raw / compressed).toFixed(1)}x), ${lines} lines in ${segments} strace sessions`,
  );
  say(
    `gunzip alone: ${base.wallS.toFixed(1)} s wall, ${base.cpuS.toFixed(1)} s CPU, peak RSS ${base.peakRssMiB.toFixed(0)} MiB`,
  );
  say(
    `finish (gunzip + parse + summarize + merge): ${finish.wallS.toFixed(1)} s wall, ${finish.cpuS.toFixed(1)} s CPU ` +
      `(${(finish.cpuS / Math.max(base.cpuS, 1e-9)).toFixed(1)}x gunzip), ${(lines / finish.cpuS / 1000).toFixed(0)}k lines/CPU s, ` +
      `${(raw / 1024 ** 2 / finish.wallS).toFixed(0)} MiB/s of trace`,
  );
  say(
    `controller memory: peak RSS ${finish.peakRssMiB.toFixed(0)} MiB sampled, maxRSS ${maxRssMiB.toFixed(0)} MiB (whole run)`,
  );
  say(
    `profile: ${profile.actions.length} actions, ${Object.keys(profile.syscalls).length} syscalls, ${profile.runs.length} runs`,
  );
  say(
    `CPU: ${process.env.HUSH_BENCH_CPU ?? 'this machine (real CPU, not emulated)'}; load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:spool: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
