/**
 * The handler table: syscall name → handler, assembled from the per-family tables. Its keys are the
 * parser's full-parse set (`HANDLED_SYSCALLS`); every other syscall takes the parser's name-only
 * fast path and is only counted.
 */
import type { ArgReads } from '../../strace/args';
import type { ArgSpec, Handler, HandlerTable } from '../handler';
import { fsArgReads, fsHandlers } from './fs';
import { netHandlers } from './net';
import { procHandlers } from './proc';
import { systemHandlers } from './system';

function assemble(tables: readonly HandlerTable[]): ReadonlyMap<string, Handler> {
  const map = new Map<string, Handler>();
  for (const table of tables) {
    for (const [name, handler] of Object.entries(table)) {
      if (map.has(name)) throw new Error(`syscall handler registered twice: ${name}`);
      map.set(name, handler);
    }
  }
  return map;
}

export const HANDLERS: ReadonlyMap<string, Handler> = assemble([
  fsHandlers,
  netHandlers,
  procHandlers,
  systemHandlers,
]);

/** Syscall names with a handler: the parser parses their arguments fully. */
export const HANDLED_SYSCALLS: ReadonlySet<string> = new Set(HANDLERS.keys());

/** Which arguments the handlers read, for the calls that declare it (see fsArgReads). */
export const ARG_SPECS: ReadonlyMap<string, ArgSpec> = new Map(Object.entries(fsArgReads));

const ARG_READS: ReadonlyMap<string, ArgReads> = new Map(
  [...ARG_SPECS].map(([name, spec]) => [
    name,
    { arity: spec.arity, reads: spec.reads.reduce((bits, k) => bits | (1 << k), 0) },
  ]),
);

/**
 * The parser's `argReads` option for the summary: arguments outside a handler's spec may be left
 * unparsed. Pass it with `fullParse: (n) => HANDLED_SYSCALLS.has(n)` wherever events go to the
 * summarizer (never where every argument is printed, as `hush parse` does).
 */
export function argReadsOf(name: string): ArgReads | undefined {
  return ARG_READS.get(name);
}
