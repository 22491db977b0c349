/**
 * The handler table: syscall name → handler, assembled from the per-family tables. Its keys are the
 * parser's full-parse set (`HANDLED_SYSCALLS`); every other syscall takes the parser's name-only
 * fast path and is only counted.
 */
import type { Handler, HandlerTable } from '../handler';
import { fsHandlers } from './fs';
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
