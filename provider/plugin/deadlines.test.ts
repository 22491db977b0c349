// The request-timeout capture of deadlines.ts over a real gRPC round trip on the SDK's own
// grpc-js: a handler registered after captureRequestDeadlines() sees its request's timeout as an
// AbortSignal (create/update/delete/read), other methods see only the cancellation, and
// cancelAll() fires every signal. The request objects are built by the service's own deserializer
// with the getTimeout() accessor the engine's protobuf requests have.
import path from 'node:path';
import { cancelAll, captureRequestDeadlines, requestSignal } from './deadlines';

/* eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's own grpc-js, as deadlines.ts finds it */
const grpc = require(
  require.resolve('@grpc/grpc-js', {
    paths: [path.dirname(require.resolve('@pulumi/pulumi/provider/server'))],
  }),
) as typeof import('@grpc/grpc-js');

interface Reply {
  deadlineName?: string;
  abortedAfterMs?: number;
  abortedAtOnce: boolean;
}

const json = {
  requestSerialize: (v: { timeout: number }) => Buffer.from(JSON.stringify(v)),
  requestDeserialize: (b: Buffer) => {
    const { timeout } = JSON.parse(b.toString()) as { timeout: number };
    return { getTimeout: () => timeout };
  },
  responseSerialize: (v: Reply) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()) as Reply,
};
const method = (name: string) => ({
  path: `/hush.test.Provider/${name}`,
  requestStream: false,
  responseStream: false,
  ...json,
});
const service = { create: method('Create'), check: method('Check') };

/** Answers at once, or when its signal fires (at most after `waitMs`). */
function handler(waitMs: number) {
  return (_call: unknown, callback: (err: null, reply: Reply) => void) => {
    const t0 = Date.now();
    const { signal, deadlineName } = requestSignal();
    const answer = () =>
      callback(null, {
        ...(deadlineName ? { deadlineName } : {}),
        abortedAtOnce: false,
        abortedAfterMs: signal.aborted ? Date.now() - t0 : -1,
      });
    if (signal.aborted) return callback(null, { abortedAtOnce: true });
    const timer = setTimeout(answer, waitMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      answer();
    });
  };
}

describe('the request deadlines of the plugin', () => {
  let server: InstanceType<typeof grpc.Server>;
  let client: {
    create(req: { timeout: number }, cb: (err: Error | null, r: Reply) => void): void;
    check(req: { timeout: number }, cb: (err: Error | null, r: Reply) => void): void;
    close(): void;
  };
  beforeAll(async () => {
    captureRequestDeadlines();
    server = new grpc.Server();
    server.addService(service as never, { create: handler(5_000), check: handler(300) } as never);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(service as never, 'Provider');
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });
  const call = (m: 'create' | 'check', timeout: number) =>
    new Promise<Reply>((resolve, reject) =>
      client[m]({ timeout }, (err, r) => (err ? reject(err) : resolve(r))),
    );

  it("fires a create's signal at its customTimeouts, named in the message", async () => {
    const r = await call('create', 1);
    expect(r.deadlineName).toBe('customTimeouts.create (1 s) or a cancellation');
    expect(r.abortedAfterMs).toBeGreaterThanOrEqual(900);
    expect(r.abortedAfterMs).toBeLessThan(4_000);
  });

  it('gives a create without a timeout, and an untimed method, only the cancellation', async () => {
    expect(await call('check', 1)).toMatchObject({ deadlineName: 'the cancellation', abortedAfterMs: -1 });
    // (timeout 0 = none: the handler answers after its own 5 s only if nothing fired, so cancel it)
    const pending = call('create', 0);
    setTimeout(cancelAll, 200);
    const r = await pending;
    expect(r.deadlineName).toBe('the cancellation');
    expect(r.abortedAfterMs).toBeGreaterThanOrEqual(150);
    expect(r.abortedAfterMs).toBeLessThan(4_000);
  });

  it('after a cancellation, every later operation starts aborted', async () => {
    expect(await call('create', 30)).toEqual({ abortedAtOnce: true });
  });
});
