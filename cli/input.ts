/**
 * What the offline commands read (resolve, summarize, score): a profile, a strace log or a drop-in,
 * from a file or stdin. Garbage in is an error, never hardening out: an empty input, binary data,
 * JSON that is not a profile of this schema version, a "log" with no system call in it, or a
 * drop-in systemd would not read all fail with a message that names the input and the field or
 * line, and the command exits non-zero.
 */
import { parseProfile, ProfileError, PROFILE_SCHEMA } from '../core/profile';
import type { HostFacts } from '../core/profile/hostFacts';
import type { Profile } from '../core/profile/schema';
import { fileChunks, newStats, parseStraceBatches, type ParseStats, type UnparsedLine } from '../core/strace';
import { HANDLED_SYSCALLS, createSummarizer, type Summarizer, type SummarizerOptions } from '../core/summary';
import type { CliIo } from './command';

/** Bad input data (not bad flags): `hush CMD: message`, exit 1. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** How much of an input is looked at to tell a profile from a log from garbage. */
const HEAD_BYTES = 4096;

interface Input {
  /** `stdin` or the file name, for messages. */
  name: string;
  /** The first bytes (up to HEAD_BYTES; all of a short input). */
  head: Buffer;
  /** Every byte, the head included, as a stream (a chunk is valid until the next is read: fileChunks). */
  chunks: AsyncIterable<Buffer>;
}

async function openInput(path: string, io: CliIo): Promise<Input> {
  const name = path === '-' ? 'stdin' : path;
  const source: AsyncIterable<Buffer | string> =
    path === '-' ? (io.stdin as AsyncIterable<Buffer>) : fileChunks(path);
  const iterator = source[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let size = 0;
  let done = false;
  try {
    while (size < HEAD_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      // a copy: the next read may reuse the chunk's buffer (fileChunks; a FIFO reads short)
      const chunk = Buffer.from(next.value);
      first.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    throw new InputError(`${name}: ${(err as Error).message}`);
  }
  const head = Buffer.concat(first).subarray(0, HEAD_BYTES);
  async function* chunks(): AsyncIterable<Buffer> {
    yield* first;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  return { name, head, chunks: chunks() };
}

async function readAll(input: Input): Promise<Buffer> {
  const parts: Buffer[] = [];
  // a copy each: a file's chunks share one buffer (fileChunks)
  for await (const c of input.chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function isBlank(head: Buffer): boolean {
  return head.toString('latin1').trim() === '';
}

/**
 * Text that cannot be a strace log, a profile or a drop-in: NUL bytes, or not UTF-8. A `cut` head
 * may end inside a character, so its last 3 bytes are not judged.
 */
function binaryReason(bytes: Buffer, cut: boolean): string | undefined {
  if (bytes.includes(0)) return 'binary data (NUL bytes)';
  const judged = cut ? bytes.subarray(0, Math.max(0, bytes.length - 3)) : bytes;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(judged);
  } catch {
    return 'binary data (not UTF-8 text)';
  }
  return undefined;
}

function looksLikeJson(head: Buffer): boolean {
  const t = head.toString('utf8').trimStart();
  return t.startsWith('{') || t.startsWith('[');
}

/** A profile from JSON text, with the schema version checked first so the message says so. */
function profileFromJson(name: string, text: string): Profile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${name}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InputError(`${name}: a profile is a JSON object with "schema": "${PROFILE_SCHEMA}"`);
  const schema = (value as { schema?: unknown }).schema;
  if (schema !== PROFILE_SCHEMA) {
    throw new InputError(
      schema === undefined
        ? `${name}: schema: missing (a hush profile has "schema": "${PROFILE_SCHEMA}")`
        : `${name}: schema: ${JSON.stringify(schema)} is not supported (this hush reads "${PROFILE_SCHEMA}")`,
    );
  }
  try {
    return parseProfile(value);
  } catch (err) {
    if (err instanceof ProfileError) throw new InputError(`${name}: ${err.message}`);
    throw err;
  }
}

/**
 * A strace log is one when it has system calls and is mostly strace's lines: more unparsable lines
 * than half of all is something else with a few look-alike lines in it.
 */
export function assertStraceLog(name: string, stats: ParseStats, unparsable: number): void {
  if (stats.syscalls === 0) {
    throw new InputError(
      `${name}: no system calls found in ${stats.lines} line${stats.lines === 1 ? '' : 's'}: not a strace log (hush reads strace -f -xx -y -v output)`,
    );
  }
  if (unparsable * 2 > stats.lines) {
    throw new InputError(
      `${name}: ${unparsable} of ${stats.lines} lines are not strace output: not a strace log`,
    );
  }
}

/** Summarize a log input into `summarizer`, refusing what is not a strace log. */
async function summarizeLog(
  input: Input,
  summarizer: Summarizer,
  onUnparsed?: (u: UnparsedLine) => void,
): Promise<{ stats: ParseStats; unparsable: number }> {
  const stats = newStats();
  let unparsable = 0;
  for await (const batch of parseStraceBatches(input.chunks, {
    fullParse: (n) => HANDLED_SYSCALLS.has(n),
    stats,
    onUnparsed: (u) => {
      unparsable++;
      onUnparsed?.(u);
    },
  })) {
    for (const ev of batch) summarizer.push(ev);
  }
  assertStraceLog(input.name, stats, unparsable);
  return { stats, unparsable };
}

function refuseEmptyOrBinary(input: Input, what: string): void {
  if (input.head.length === 0 || isBlank(input.head))
    throw new InputError(`${input.name}: empty input (expected ${what})`);
  const binary = binaryReason(input.head, input.head.length === HEAD_BYTES);
  if (binary !== undefined) throw new InputError(`${input.name}: ${binary}, not ${what}`);
}

/** `hush resolve`'s inputs: a hush profile (JSON) or a strace log. */
export async function readProfileOrLog(
  path: string,
  io: CliIo,
  opts: { cwd?: string; host?: HostFacts } = {},
): Promise<Profile> {
  const input = await openInput(path, io);
  refuseEmptyOrBinary(input, 'a hush profile or a strace log');
  if (looksLikeJson(input.head)) return profileFromJson(input.name, (await readAll(input)).toString('utf8'));
  const summarizer = createSummarizer({
    source: input.name,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.host ? { host: opts.host } : {}),
  });
  const { stats, unparsable } = await summarizeLog(input, summarizer);
  return summarizer.finish({ source: input.name, lines: stats.lines, unparsable });
}

/** `hush summarize`'s input: a strace log only. */
export async function summarizeLogInput(
  path: string,
  io: CliIo,
  opts: SummarizerOptions & { source?: string },
  onUnparsed?: (u: UnparsedLine) => void,
): Promise<{ profile: Profile; summarizer: Summarizer; unparsable: number }> {
  const input = await openInput(path, io);
  refuseEmptyOrBinary(input, 'a strace log');
  if (looksLikeJson(input.head))
    throw new InputError(`${input.name}: JSON, not a strace log (a profile goes to hush resolve)`);
  const source = opts.source ?? input.name;
  const summarizer = createSummarizer({ ...opts, source });
  const { stats, unparsable } = await summarizeLog(input, summarizer, onUnparsed);
  return { profile: summarizer.finish({ source, lines: stats.lines, unparsable }), summarizer, unparsable };
}

/** `hush score`'s input: drop-in or unit file text (UTF-8, no NUL). */
export async function readUnitText(path: string, io: CliIo, what = 'a drop-in'): Promise<string> {
  const input = await openInput(path, io);
  refuseEmptyOrBinary(input, what);
  const bytes = await readAll(input);
  const binary = binaryReason(bytes, false);
  if (binary !== undefined) throw new InputError(`${input.name}: ${binary}, not ${what}`);
  return bytes.toString('utf8');
}
