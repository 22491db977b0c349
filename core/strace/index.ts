/**
 * core/strace: hush's strace log parser (streaming, never throws) and its strace invocation.
 *
 *   for await (const ev of parseStrace(fs.createReadStream(log), { fullParse: n => HANDLED.has(n) })) …
 *
 * Hot consumers (the summarizer, the benchmark) should use {@link parseStraceBatches}: one array
 * of events per input chunk saves an await per event.
 */
import type { TraceEvent, UnparsedLine } from './types';
import { StraceParser, newStats } from './parser';
import type { ParseOptions, ParseStats } from './parser';

export type {
  Arg,
  Syscall,
  SyscallReturn,
  SignalEvent,
  ExitEvent,
  PersonalityEvent,
  TraceEvent,
  UnparsedLine,
} from './types';
export { StraceParser, newStats, MAX_LINE } from './parser';
export type { ParseOptions, ParseStats } from './parser';
export * from './invocation';
export { fileChunks, FILE_CHUNK } from './fileChunks';
export { toPlainArg, LazyStruct, LazyArray, LazyFd, LazySym } from './argGrammar';

export type StraceInput = AsyncIterable<Buffer | string> | NodeJS.ReadableStream;

/** Parses a strace log stream into batches of events (one batch per input chunk, empty ones skipped). */
export async function* parseStraceBatches(
  input: StraceInput,
  opts: ParseOptions = {},
): AsyncIterable<TraceEvent[]> {
  const parser = new StraceParser(opts);
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const events = parser.push(chunk);
    if (events.length > 0) yield events;
  }
  const last = parser.end();
  if (last.length > 0) yield last;
}

/** Parses a strace log stream into events. Unparsable lines go to `opts.onUnparsed` and are skipped. */
export async function* parseStrace(input: StraceInput, opts: ParseOptions = {}): AsyncIterable<TraceEvent> {
  for await (const batch of parseStraceBatches(input, opts)) {
    for (const ev of batch) yield ev;
  }
}

/** Parses a whole log held in memory (tests, small logs). */
export function parseStraceText(
  text: string | Buffer,
  opts: Omit<ParseOptions, 'onUnparsed'> = {},
): { events: TraceEvent[]; unparsed: UnparsedLine[]; stats: ParseStats } {
  const unparsed: UnparsedLine[] = [];
  const stats = opts.stats ?? newStats();
  const parser = new StraceParser({ ...opts, stats, onUnparsed: (u) => unparsed.push(u) });
  const events = parser.push(text);
  for (const ev of parser.end()) events.push(ev);
  return { events, unparsed, stats };
}

/**
 * Parses one line on its own. A complete call, signal or exit gives its event; an
 * `<unfinished ...>` line gives the call marked `unfinished`; anything not understood gives an
 * `UnparsedLine`; a blank or informational line gives null. (A `<... resumed>` line alone has no
 * start to join: it gives the call with `args: null`.)
 */
export function parseLine(
  line: string,
  opts: Pick<ParseOptions, 'fullParse' | 'lazy'> = {},
): TraceEvent | UnparsedLine | null {
  const { events, unparsed } = parseStraceText(line.endsWith('\n') ? line : line + '\n', opts);
  return events[0] ?? unparsed[0] ?? null;
}
