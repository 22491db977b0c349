import net, { type AddressInfo } from 'node:net';
import { Server, utils } from 'ssh2';
import { ConnectionConfigError, connect, parseConnectionArgs, redact } from './connection';

const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
const PIN = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';

describe('connection args', () => {
  it('applies @pulumi/command defaults', () => {
    const c = parseConnectionArgs({ host: 'h', privateKey: KEY, hostKey: PIN });
    expect(c).toMatchObject({
      host: 'h',
      port: 22,
      user: 'root',
      dialErrorLimit: 10,
      perDialTimeout: 15,
      insecureAcceptAnyHostKey: false,
    });
  });

  it.each([
    [{ privateKey: KEY, hostKey: PIN }, /connection\.host: is required/],
    [{ host: 'h', port: 70000, hostKey: PIN }, /connection\.port: must be 1 to 65535/],
    [{ host: 'h', agentSocketPath: '', hostKey: PIN }, /connection\.agentSocketPath: must not be empty/],
    [{ host: 'h', port: '22', hostKey: PIN }, /connection\.port: must be a number/],
    [{ host: 'h', dialErrorLimit: 0, hostKey: PIN }, /connection\.dialErrorLimit: must be -1/],
    [{ host: 'h', perDialTimeout: -1, hostKey: PIN }, /connection\.perDialTimeout/],
    [
      { host: 'h', privateKey: '/root/.ssh/id_ed25519', hostKey: PIN },
      /connection\.privateKey: must be the key contents/,
    ],
    [{ host: 'h', privatekey: KEY, hostKey: PIN }, /unknown field\(s\) "privatekey"/],
    [{ host: 'h' }, /connection\.hostKey: is required: pin the host's key/],
    [{ host: 'h', hostKey: 'nonsense' }, /connection\.hostKey: not a SHA256/],
    [{ host: 'h', hostKey: PIN, proxy: { host: 'bastion' } }, /connection\.proxy\.hostKey: is required/],
    [
      { host: 'h', hostKey: PIN, insecureAcceptAnyHostKey: 'yes' },
      /insecureAcceptAnyHostKey: must be true or false/,
    ],
  ])('rejects %j naming the field', (input, msg) => {
    expect(() => parseConnectionArgs(input)).toThrow(ConnectionConfigError);
    expect(() => parseConnectionArgs(input)).toThrow(msg);
  });

  it('accepts the explicit insecure opt-in without a pin', () => {
    expect(parseConnectionArgs({ host: 'h', insecureAcceptAnyHostKey: true }).insecureAcceptAnyHostKey).toBe(
      true,
    );
  });

  it('never echoes secret values in validation errors', () => {
    const secret = 'hunter2-very-secret';
    let msg = '';
    try {
      parseConnectionArgs({
        host: 'h',
        password: secret,
        privateKey: secret,
        privateKeyPassword: 42,
        port: secret,
      });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/connection\.privateKey/);
    expect(msg).not.toContain(secret);
  });

  it('redact removes secrets and key lines', () => {
    expect(redact('auth with hunter2 failed', ['hunter2'])).toBe('auth with [redacted] failed');
  });

  it('an unparsable key fails before any network use, without the key in the message', async () => {
    const bad =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-really-a-key-but-secret-text\n-----END OPENSSH PRIVATE KEY-----\n';
    // Port 1 on loopback: nothing listens; a key error must come first and not be retried.
    const err = await connect({
      host: '127.0.0.1',
      port: 1,
      privateKey: bad,
      hostKey: PIN,
      dialErrorLimit: 1,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('not-really-a-key-but-secret-text');
  });

  it('reports a refused dial after dialErrorLimit attempts', async () => {
    const err = await connect({
      host: '127.0.0.1',
      port: 1,
      password: 'pw-secret',
      hostKey: PIN,
      dialErrorLimit: 2,
    }).catch((e: Error) => e);
    expect((err as Error).name).toBe('DialError');
    expect((err as Error).message).toMatch(/after 2 attempt/);
    expect((err as Error).message).not.toContain('pw-secret');
  });
});

// Key generation and handshakes are CPU work: generous on a loaded shared machine.
jest.setTimeout(60_000);

describe('host keys against a real SSH handshake (an in-process ssh2 server on loopback)', () => {
  const keys = utils.generateKeyPairSync('ed25519');
  const publicLine = keys.public.split(' ').slice(0, 2).join(' ');
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = new Server({ hostKeys: [keys.private] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('error', () => undefined);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));
  const base = () => ({ host: '127.0.0.1', port, password: 'pw', dialErrorLimit: 1 });

  it('accepting any key is loud: a warning through opts.warn and on the connection, never process.emitWarning', async () => {
    const emitted = jest.spyOn(process, 'emitWarning');
    const heard: string[] = [];
    const conn = await connect(
      { ...base(), insecureAcceptAnyHostKey: true },
      { skipPrivilegeCheck: true, warn: (m) => heard.push(m) },
    );
    await conn.close();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatch(/^WARNING: accepting ANY host key for 127\.0\.0\.1:\d+ .*it presented SHA256:/);
    expect(conn.warnings).toEqual(heard);
    expect(emitted).not.toHaveBeenCalled();
    emitted.mockRestore();
  });

  it('a known_hosts line pins only its own host: [127.0.0.1]:PORT, not another name', async () => {
    const ok = await connect(
      { ...base(), hostKey: `[127.0.0.1]:${port} ${publicLine}` },
      { skipPrivilegeCheck: true },
    );
    expect(ok.warnings).toEqual([]);
    await ok.close();
    await expect(
      connect({ ...base(), hostKey: `otherhost ${publicLine}` }, { skipPrivilegeCheck: true }),
    ).rejects.toThrow(/no pin for \[127\.0\.0\.1\]:\d+: every known_hosts line names other hosts/);
  });

  it("a connection the server drops before its banner (sshd's MaxStartups) is dialed again", async () => {
    // a front that closes its first two connections at once, as sshd past MaxStartups does
    let dropped = 0;
    const open = new Set<net.Socket>();
    const front = net.createServer((sock) => {
      open.add(sock);
      if (dropped < 2) {
        dropped++;
        sock.end();
        return;
      }
      const back = net.connect(port, '127.0.0.1');
      open.add(back);
      sock.pipe(back).pipe(sock);
      back.on('error', () => sock.destroy());
      sock.on('error', () => back.destroy());
    });
    await new Promise<void>((done) => front.listen(0, '127.0.0.1', done));
    const frontPort = (front.address() as AddressInfo).port;
    const attempts: string[] = [];
    try {
      const conn = await connect(
        { ...base(), port: frontPort, dialErrorLimit: 3, insecureAcceptAnyHostKey: true },
        { skipPrivilegeCheck: true, warn: () => undefined, log: (l) => attempts.push(l) },
      );
      await conn.close();
      expect(dropped).toBe(2);
      expect(attempts.filter((l) => /connecting to/.test(l))).toHaveLength(3);
    } finally {
      for (const s of open) s.destroy();
      await new Promise<void>((done) => front.close(() => done()));
    }
  });

  it('a @revoked line refuses the key even when another line pins it', async () => {
    const text = `[127.0.0.1]:${port} ${publicLine}\n@revoked * ${publicLine}\n`;
    await expect(connect({ ...base(), hostKey: text }, { skipPrivilegeCheck: true })).rejects.toThrow(
      /a @revoked known_hosts line refuses/,
    );
  });
});
