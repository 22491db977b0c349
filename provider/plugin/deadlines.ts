/**
 * customTimeouts and cancellation for the plugin's operations.
 *
 * The engine sends a resource's customTimeouts (create/update/delete, in seconds) in each request
 * and leaves enforcing them to the provider; `@pulumi/pulumi/provider` does not pass them on to
 * the Provider's methods. So the plugin wraps the gRPC handlers the SDK registers and keeps each
 * request's timeout in an AsyncLocalStorage, where the operation picks it up as an AbortSignal.
 * The same signal fires when the engine cancels (Ctrl-C): a profiling window then closes early
 * and the session restores the unit, as it always does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';

interface RequestDeadline {
  /** Seconds, 0 = none (the engine's value). */
  timeoutSeconds: number;
  operation: string;
}

const current = new AsyncLocalStorage<RequestDeadline>();
const cancelled = new AbortController();

/** Operations whose requests carry a timeout (provider.proto CreateRequest, UpdateRequest, …). */
const TIMED = new Set(['create', 'update', 'delete', 'read']);

interface TimedRequest {
  getTimeout?: () => number;
}
type Handler = (call: { request: TimedRequest }, callback: unknown) => unknown;
interface GrpcServer {
  addService(service: unknown, impl: Record<string, Handler>): void;
}

/**
 * Wraps the handlers of the next services added to gRPC servers of the grpc-js instance the
 * SDK's provider server uses (resolved from its own location, so a nested copy is the right one).
 * Call before `provider.main`.
 */
export function captureRequestDeadlines(): void {
  const proto = sdkGrpc().Server.prototype;
  const original = proto.addService;
  proto.addService = function (this: GrpcServer, service: unknown, impl: Record<string, Handler>) {
    // The handlers are the methods of the SDK's Server class (on its prototype): look them up by
    // the service's method names, as grpc-js does, and keep `this`.
    const wrapped: Record<string, Handler> = {};
    for (const name of Object.keys(service as object)) {
      const handler = impl[name];
      if (typeof handler !== 'function') continue;
      wrapped[name] = TIMED.has(name)
        ? (call, callback) =>
            current.run({ timeoutSeconds: call.request.getTimeout?.() ?? 0, operation: name }, () =>
              handler.call(impl, call, callback),
            )
        : handler.bind(impl);
    }
    return original.call(this, service, wrapped);
  };
}

interface GrpcModule {
  Server: { prototype: GrpcServer };
}

/**
 * The grpc-js instance the SDK's provider server uses. In the self-contained plugin (scripts/
 * pack-plugin bundles it into one file, HUSH_BUNDLED defined at bundle time) there is one copy,
 * the bundled one; installed from npm, the SDK may have a nested copy of its own.
 */
function sdkGrpc(): GrpcModule {
  /* eslint-disable @typescript-eslint/no-require-imports -- the SDK's own grpc-js instance */
  if (process.env.HUSH_BUNDLED === '1') return require('@grpc/grpc-js') as GrpcModule;
  const sdkServer = require.resolve('@pulumi/pulumi/provider/server');
  return require(require.resolve('@grpc/grpc-js', { paths: [path.dirname(sdkServer)] })) as GrpcModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** Fires every operation's signal: the engine asked the provider to stop. */
export function cancelAll(): void {
  cancelled.abort();
}

/**
 * The signal of the current request: its customTimeouts deadline or a cancellation, whichever
 * comes first; and the deadline's name for error messages.
 */
export function requestSignal(): { signal: AbortSignal; deadlineName?: string } {
  const d = current.getStore();
  if (!d || d.timeoutSeconds <= 0) return { signal: cancelled.signal, deadlineName: 'the cancellation' };
  return {
    signal: AbortSignal.any([cancelled.signal, AbortSignal.timeout(d.timeoutSeconds * 1000)]),
    deadlineName: `customTimeouts.${d.operation} (${d.timeoutSeconds} s) or a cancellation`,
  };
}
