/**
 * What a resource operation needs besides its inputs: where its progress and warnings go, and
 * when it must give up. The provider plugin fills it with the engine's log (attached to the
 * resource) and the resource's customTimeouts; the dynamic provider with the engine's log too;
 * unit tests with arrays.
 */
import { connect, type Connection, type ConnectionConfig } from '../../remote/connection';

export interface OperationContext {
  /** A progress line (window open, restarts seen, lines traced, verify steps). */
  info(line: string): void;
  /** A warning: shown by the engine at once, and kept in the resource's `warnings` output. */
  warn(line: string): void;
  /** Fires when the operation's customTimeouts deadline passes. */
  signal?: AbortSignal;
  /** The deadline as the user wrote it, for the error message (e.g. `customTimeouts.create 20m`). */
  deadlineName?: string;
}

/** Collects the warnings of one operation while passing them on. */
export function collectingWarnings(ctx: OperationContext): { ctx: OperationContext; warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    ctx: {
      ...ctx,
      warn: (line) => {
        if (!warnings.includes(line)) warnings.push(line);
        ctx.warn(line);
      },
    },
  };
}

/** The host a connection points at: moving it is a replacement, rotating credentials is not. */
export function targetOf(connection: { host: string; port?: number }): string {
  return `${connection.host}:${connection.port ?? 22}`;
}

/**
 * Opens a connection for an operation: the deadline (or a cancellation) ends the wait for it at
 * once, however long the dials would still retry (a host that accepts TCP and never answers
 * holds each dial for perDialTimeout); a connection that opens after that is closed unused. What
 * the connection warns about (a host key accepted unverified under insecureAcceptAnyHostKey,
 * with the key it presented) is a warning of the operation.
 */
export function connectBeforeDeadline(
  connection: ConnectionConfig,
  ctx: OperationContext,
): Promise<Connection> {
  const dial = connect(connection, { warn: ctx.warn });
  const signal = ctx.signal;
  if (!signal) return dial;
  return new Promise<Connection>((resolve, reject) => {
    const onAbort = () => reject(deadlineError(ctx));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    dial.then(
      (conn) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) void conn.close().catch(() => undefined);
        else resolve(conn);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Opens a connection (connectBeforeDeadline), runs `fn`, always closes. The deadline closes the
 * connection, which ends any command in flight.
 */
export async function withConnection<T>(
  connection: ConnectionConfig,
  ctx: OperationContext,
  fn: (conn: Connection) => Promise<T>,
): Promise<T> {
  checkDeadline(ctx);
  const conn = await connectBeforeDeadline(connection, ctx);
  const onAbort = () => void conn.close().catch(() => undefined);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn(conn);
  } catch (err) {
    if (ctx.signal?.aborted) throw deadlineError(ctx, err);
    throw err;
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
    await conn.close();
  }
}

export function checkDeadline(ctx: OperationContext): void {
  if (ctx.signal?.aborted) throw deadlineError(ctx);
}

export function deadlineError(ctx: OperationContext, cause?: unknown): Error {
  const what = ctx.deadlineName ?? 'the operation deadline';
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new Error(`${what} passed${detail}`);
}

/** Progress lines that are a workload's own output (the service's business; may echo a secret command's data). */
export const WORKLOAD_OUTPUT = /^\[(host )?workload\] /;

/** Milliseconds as seconds with one decimal. */
export const seconds = (ms: number): number => Math.round(ms / 100) / 10;
