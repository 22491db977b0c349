import { createServer, type Server, type Socket } from 'node:net';
import { utils } from 'ssh2';
import { ConnectionArgs } from '../../remote/connection';
import { withConnection, type OperationContext } from './context';

describe('withConnection and the deadline', () => {
  // A host that accepts TCP and never says a word: each SSH dial waits for its banner until
  // perDialTimeout (60 s here), far beyond the operation's deadline.
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((done) => server.close(done));
  });

  const connection = () =>
    ConnectionArgs.parse({
      host: '127.0.0.1',
      port,
      user: 'root',
      privateKey: utils.generateKeyPairSync('ed25519').private,
      hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      perDialTimeout: 60,
    });
  const context = (signal: AbortSignal): OperationContext => ({
    info: () => undefined,
    warn: () => undefined,
    signal,
    deadlineName: 'customTimeouts.create (0.5 s) or a cancellation',
  });

  // (jest's 5 s limit is what fails without the deadline: the dial alone would wait 60 s.)
  it('ends the wait for a silent host when the deadline passes, naming the deadline', async () => {
    let ran = false;
    const outcome = withConnection(connection(), context(AbortSignal.timeout(500)), async () => {
      ran = true;
    });
    await expect(outcome).rejects.toThrow('customTimeouts.create (0.5 s) or a cancellation passed');
    expect(ran).toBe(false);
    // The dial did reach the host (it was the dial that waited, not something before it).
    expect(sockets.length).toBeGreaterThan(0);
  });

  it('does not dial once the deadline has passed', async () => {
    const before = sockets.length;
    const controller = new AbortController();
    controller.abort();
    await expect(
      withConnection(connection(), context(controller.signal), async () => undefined),
    ).rejects.toThrow(/customTimeouts\.create .* passed/);
    await new Promise((done) => setTimeout(done, 200));
    expect(sockets.length).toBe(before);
  });
});
