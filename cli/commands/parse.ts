/**
 * `hush parse [FILE|-]`: a strace log in, one JSON object per syscall out (JSON Lines), with
 * arguments in a compact readable form. Unparsable lines go to stderr with their line numbers.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { newStats, parseStraceBatches } from '../../core/strace';
import type { Arg, TraceEvent, UnparsedLine } from '../../core/strace';
import { UsageError, type CliCommand } from '../command';

const usage = `usage: hush parse [--all] [--names-only] [--strict] [FILE|-]

Parses a strace log (hush's -f -xx -y -v format, or a log captured with other flags, with or
without pid and timestamp columns) and prints one JSON object per syscall:
  {"line":3,"pid":41,"name":"openat","args":["AT_FDCWD</srv>","/etc/hosts","O_RDONLY|O_CLOEXEC"],"ret":3,"retPath":"/etc/hosts"}
Failed calls carry "errno"; calls merged from <unfinished ...>/<... resumed> carry "resumed".
FILE defaults to stdin. Unparsable lines are reported on stderr (file:line: reason: text).

  --all          also print signals ({"signal":…}) and process exits ({"exit":…})
  --names-only   skip argument parsing (name, pid and return only: the summary's fast path)
  --strict       exit with status 1 when any line could not be parsed
`;

/** How many unparsable lines are shown individually before only counting them. */
const SHOW_UNPARSED = 50;

/** JSON-friendly, readable form of an argument: strace's own notation where it reads best. */
export function compactArg(a: Arg): unknown {
  switch (a.t) {
    case 'int':
      return /^-?[1-9]\d*$|^0$/.test(a.raw) && Number.isSafeInteger(a.value) ? a.value : a.raw;
    case 'str':
      return (a.abstract ? '@' : '') + a.value + (a.truncated ? '...' : '');
    case 'null':
      return null;
    case 'array': {
      const items = a.items.map(compactArg);
      if (a.truncated) items.push('...');
      return items;
    }
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a.fields)) out[k] = compactArg(v);
      if (a.truncated) out['...'] = true;
      return out;
    }
    case 'inout':
      return { in: compactArg(a.in), out: compactArg(a.out) };
    default:
      return argText(a);
  }
}

/** strace-like text of a scalar-ish argument (flags, ops, macro calls, sets, fds, symbols). */
function argText(a: Arg): string {
  switch (a.t) {
    case 'int':
      return a.raw;
    case 'sym':
      return a.path === undefined ? a.name : `${a.name}<${a.path}>`;
    case 'fd':
      return `${a.fd}<${a.path}>`;
    case 'flags':
      return a.items.map(argText).join('|');
    case 'op':
      return a.op === '&&' || a.op === '||' || a.op === '==' || a.op === '!='
        ? `${argText(a.left)} ${a.op} ${argText(a.right)}`
        : `${argText(a.left)}${a.op}${argText(a.right)}`;
    case 'call':
      return `${a.fn}(${a.args.map(argText).join(', ')})`;
    case 'set':
      return `${a.negated ? '~' : ''}[${a.items.join(' ')}]`;
    case 'str':
      return JSON.stringify(a.value) + (a.truncated ? '...' : '');
    case 'raw':
      return a.text;
    case 'null':
      return 'NULL';
    default:
      return JSON.stringify(compactArg(a));
  }
}

/** The JSON object printed for one event, or null when it is not to be printed. */
export function eventJson(ev: TraceEvent, all: boolean): Record<string, unknown> | null {
  if (ev.type === 'syscall') {
    const o: Record<string, unknown> = { line: ev.line, pid: ev.pid, name: ev.name };
    o.args = ev.args === null ? null : ev.args.map(compactArg);
    const r = ev.ret;
    o.ret = r.value !== null && /^-?\d+$/.test(r.raw) && Number.isSafeInteger(r.value) ? r.value : r.raw;
    if (r.errno !== undefined) o.errno = r.errno;
    if (r.fdPath !== undefined) o.retPath = r.fdPath;
    if (r.comment !== undefined) o.comment = r.comment;
    if (ev.ts !== undefined) o.ts = ev.ts;
    if (ev.duration !== undefined) o.duration = ev.duration;
    if (ev.resumed) o.resumed = true;
    if (ev.unfinished) o.unfinished = true;
    if (ev.argsError !== undefined) o.argsError = ev.argsError;
    return o;
  }
  if (!all) return null;
  if (ev.type === 'signal') {
    const o: Record<string, unknown> = { line: ev.line, pid: ev.pid, signal: ev.signal };
    if (ev.ts !== undefined) o.ts = ev.ts;
    return o;
  }
  if (ev.type === 'personality') {
    const o: Record<string, unknown> = { line: ev.line, pid: ev.pid, abi: ev.mode };
    if (ev.ts !== undefined) o.ts = ev.ts;
    return o;
  }
  const o: Record<string, unknown> = { line: ev.line, pid: ev.pid, exit: ev.code };
  if (ev.signal !== undefined) o.killedBy = ev.signal;
  if (ev.ts !== undefined) o.ts = ev.ts;
  return o;
}

export const command: CliCommand = {
  name: 'parse',
  summary: 'strace log → one JSON object per syscall',
  usage,
  async run(argv, io) {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean' },
        'names-only': { type: 'boolean' },
        strict: { type: 'boolean' },
      },
    });
    const { values, positionals } = parsed;
    if (positionals.length > 1) throw new UsageError('one input at most');
    const file = positionals[0] ?? '-';
    const source = file === '-' ? 'stdin' : file;
    const input = file === '-' ? io.stdin : createReadStream(file);
    const stats = newStats();
    let unparsable = 0;
    const onUnparsed = (u: UnparsedLine): void => {
      unparsable++;
      if (unparsable <= SHOW_UNPARSED)
        io.stderr.write(`hush parse: ${source}:${u.line}: ${u.reason}: ${u.text}\n`);
    };
    const namesOnly = values['names-only'] === true;
    const all = values.all === true;
    // eager: every argument is parsed now, so every grammar error is reported against its line
    for await (const batch of parseStraceBatches(input, {
      fullParse: namesOnly ? () => false : () => true,
      lazy: false,
      stats,
      onUnparsed,
    })) {
      let out = '';
      for (const ev of batch) {
        const o = eventJson(ev, all);
        if (o) out += JSON.stringify(o) + '\n';
      }
      if (out && !io.stdout.write(out)) await once(io.stdout, 'drain');
    }
    if (unparsable > SHOW_UNPARSED) {
      io.stderr.write(`hush parse: ${unparsable} unparsable lines in all (first ${SHOW_UNPARSED} shown)\n`);
    }
    return values.strict && unparsable > 0 ? 1 : 0;
  },
};
