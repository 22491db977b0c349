/**
 * Messages to the Pulumi engine's log from a provider process: what `pulumi up` prints under the
 * resource while it works (progress as info, problems as warnings). The engine hands every
 * provider process its address as the first argument. `@pulumi/pulumi`'s `log` only reaches the
 * engine once a program or `construct` has configured the runtime, which plain CRUD calls never
 * do, so this talks to the engine's Log service itself.
 *
 * Messages are sent in order; a failure to deliver one is dropped (the operation goes on).
 */
import * as grpc from '@grpc/grpc-js';
import { EngineClient } from '@pulumi/pulumi/proto/engine_grpc_pb';
import { LogRequest, LogSeverity } from '@pulumi/pulumi/proto/engine_pb';

export type Severity = 'debug' | 'info' | 'warning' | 'error';

const SEVERITY: Record<Severity, LogSeverity> = {
  debug: LogSeverity.DEBUG,
  info: LogSeverity.INFO,
  warning: LogSeverity.WARNING,
  error: LogSeverity.ERROR,
};

export interface EngineLog {
  /** Logs `message`, attached to the resource `urn` ('' = the stack as a whole). */
  log(severity: Severity, message: string, urn: string, opts?: { ephemeral?: boolean }): Promise<void>;
}

/**
 * The engine address a provider process was started with: the first argument that is not a flag
 * (the engine may pass `--logtostderr`, `-v=N`, `--tracing URL` first).
 */
export function engineAddressFrom(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--tracing') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** A logger to the engine at `address`; without an address (a unit test), messages go nowhere. */
export function engineLog(address: string | undefined): EngineLog {
  if (!address) return { log: async () => undefined };
  let client: EngineClient | undefined;
  let last: Promise<void> = Promise.resolve();
  return {
    log(severity, message, urn, opts = {}) {
      client ??= new EngineClient(address, grpc.credentials.createInsecure());
      const c = client;
      const req = new LogRequest();
      req.setSeverity(SEVERITY[severity]);
      req.setMessage(message);
      req.setUrn(urn);
      req.setEphemeral(opts.ephemeral === true);
      last = last.then(
        () =>
          new Promise<void>((resolve) => {
            c.log(req, () => resolve());
          }),
      );
      return last;
    },
  };
}
