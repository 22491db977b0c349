/**
 * One measurement of the parser benchmark, in its own process so that its peak RSS is its own:
 *
 *   node dist/bench/parser-worker.js MODE FILE [MIN_BYTES]
 *
 * MODE: `raw` (line splitting only: the floor any line parser pays), `parse` (parseStraceBatches
 * with the summary's full-parse set), `summarize` (parse + createSummarizer().push + finish).
 * MIN_BYTES: replay FILE until at least that many bytes went through (the 2 GB memory check
 * streams a repeated log rather than storing one). Prints one JSON line: WorkerResult.
 */
import { createHash } from 'node:crypto';
import { fileChunks, parseStraceBatches, newStats } from '../core/strace';
import { createSummarizer, HANDLED_SYSCALLS } from '../core/summary';

export type WorkerMode = 'raw' | 'parse' | 'summarize';

export interface WorkerResult {
  mode: WorkerMode;
  lines: number;
  bytes: number;
  seconds: number;
  /** CPU time (user + system) of the measurement: the figure that holds on a shared machine. */
  cpuSeconds: number;
  /** Peak resident set size of the worker process, bytes. */
  maxRss: number;
  /**
   * Replayed runs (MIN_BYTES): the peak RSS when the first pass over the file ended. Beside maxRss
   * it shows whether memory keeps growing with the input or stays at what one pass needed.
   */
  firstPassMaxRss?: number;
  events: number;
  unparsed: number;
  /** A digest of the result so the work cannot be optimised away (and to compare runs). */
  check: string;
  /**
   * parse+summarize: sha256 of the profile's JSON, taken after the measurement (its time and
   * memory are not counted), so two builds can be shown to give byte-identical profiles.
   */
  digest?: string;
}

/** The profile of the last summarize run, digested once the measurement is over. */
let lastProfile: unknown;

/** Peak RSS at the end of the first pass of a replayed run (see WorkerResult.firstPassMaxRss). */
let firstPassMaxRss: number | undefined;

/**
 * The file's chunks as `hush summarize FILE` reads them (core/strace fileChunks: one reused
 * buffer), replayed until `minBytes` went through (whole passes only).
 */
async function* chunks(file: string, minBytes: number): AsyncIterable<Buffer> {
  let total = 0;
  do {
    for await (const chunk of fileChunks(file)) {
      total += chunk.length;
      yield chunk;
    }
    firstPassMaxRss ??= process.resourceUsage().maxRSS * 1024;
  } while (total < minBytes);
}

/** The parser's text slices (core/strace/parser.ts SLICE). */
const SLICE = 64 * 1024;

/** Line splitting as a parser must at least do it: latin1 text, every line cut out. */
async function raw(
  file: string,
  minBytes: number,
): Promise<Omit<WorkerResult, 'mode' | 'seconds' | 'cpuSeconds' | 'maxRss'>> {
  let lines = 0;
  let bytes = 0;
  let carry = '';
  let sum = 0;
  for await (const chunk of chunks(file, minBytes)) {
    bytes += chunk.length;
    // in 64 KiB strings, as the parser scans (bigger ones land in V8's large-object space)
    for (let at = 0; at < chunk.length; at += SLICE) {
      const s = chunk.toString('latin1', at, Math.min(chunk.length, at + SLICE));
      let pos = 0;
      for (;;) {
        const nl = s.indexOf('\n', pos);
        if (nl < 0) break;
        const line = pos === 0 && carry ? carry + s.slice(0, nl) : s.slice(pos, nl);
        carry = '';
        sum += line.length;
        lines++;
        pos = nl + 1;
      }
      carry = carry + s.slice(pos);
    }
  }
  return { lines, bytes, events: 0, unparsed: 0, check: String(sum) };
}

async function parse(
  file: string,
  minBytes: number,
  summarize: boolean,
): Promise<Omit<WorkerResult, 'mode' | 'seconds' | 'cpuSeconds' | 'maxRss'>> {
  const stats = newStats();
  const fullParse = (name: string): boolean => HANDLED_SYSCALLS.has(name);
  const summarizer = summarize ? createSummarizer({ cwd: '/' }) : null;
  let events = 0;
  let sum = 0;
  for await (const batch of parseStraceBatches(chunks(file, minBytes), { fullParse, stats })) {
    events += batch.length;
    if (summarizer) for (const ev of batch) summarizer.push(ev);
    else for (const ev of batch) if (ev.type === 'syscall' && ev.args) sum += ev.args.length;
  }
  let check = String(sum);
  if (summarizer) {
    const profile = summarizer.finish({ lines: stats.lines, unparsable: stats.unparsed });
    check = `${profile.actions.length} actions, ${Object.keys(profile.syscalls).length} syscall names`;
    lastProfile = profile;
  }
  return { lines: stats.lines, bytes: stats.bytes, events, unparsed: stats.unparsed, check };
}

export async function runWorker(mode: WorkerMode, file: string, minBytes: number): Promise<WorkerResult> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = mode === 'raw' ? await raw(file, minBytes) : await parse(file, minBytes, mode === 'summarize');
  const cpu = process.cpuUsage(c0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const digest =
    lastProfile === undefined
      ? {}
      : { digest: createHash('sha256').update(JSON.stringify(lastProfile)).digest('hex') };
  return { mode, seconds, cpuSeconds, maxRss, ...(minBytes > 0 ? { firstPassMaxRss } : {}), ...r, ...digest };
}

if (require.main === module) {
  const [mode, file, minBytes] = process.argv.slice(2);
  if ((mode !== 'raw' && mode !== 'parse' && mode !== 'summarize') || !file) {
    process.stderr.write('usage: parser-worker.js raw|parse|summarize FILE [MIN_BYTES]\n');
    process.exit(2);
  }
  runWorker(mode, file, Number(minBytes ?? 0)).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
