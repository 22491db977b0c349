// Minimal SSH for the test harness (ssh2), with the host key pinned to the one baked into the
// image: a test never talks to a host it did not build. The product's own SSH layer lives in
// remote/; this one only serves test/host (checks, baselines, assertions in tests).
import { Client } from 'ssh2';
import { handshake } from './handshakes';
import type { TestHostConnection } from './testhost';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** bytes written to the command's stdin, then EOF */
  stdin?: string;
  timeoutMs?: number;
}

/** The raw public key blob of an "ssh-ed25519 AAAA…" line. */
export function hostKeyBlob(hostKey: string): Buffer {
  const base64 = hostKey.trim().split(/\s+/)[1];
  if (!base64) throw new Error('malformed host key');
  return Buffer.from(base64, 'base64');
}

/**
 * Handshake failures worth another dial: the host's sshd dropped or reset the connection before
 * or during the key exchange (MaxStartups, a restarting sshd), or the dial timed out on a busy
 * host. An authentication or host key failure is final.
 */
function transient(err: unknown): boolean {
  const e = err as { code?: string; level?: string; message?: string };
  return (
    e.code === 'ECONNRESET' ||
    e.code === 'ECONNREFUSED' ||
    e.code === 'ETIMEDOUT' ||
    e.level === 'client-timeout' ||
    /Connection lost before handshake|connection closed during handshake/.test(e.message ?? '')
  );
}

/** One dial: resolves once authenticated; every later error of the client is absorbed (see below). */
function dialOnce(host: TestHostConnection, timeoutMs: number): Promise<Client> {
  const pinned = hostKeyBlob(host.hostKey);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyMismatch = false;
    let settled = false;
    client.once('ready', () => {
      settled = true;
      resolve(client);
    });
    // ssh2 can emit several 'error' events on one client (ECONNRESET, then 'Connection lost
    // before handshake'), before or after 'ready': a listener for the client's whole life, or a
    // late one is an uncaught exception that ends the jest process. After 'ready' the error ends
    // the connection, and execOn rejects the command running on it.
    client.on('error', (err: Error) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(hostKeyMismatch ? new Error(`host key of ${host.name} does not match the pinned key`) : err);
    });
    client.once('close', () => {
      if (settled) return;
      settled = true;
      reject(new Error(`connection to ${host.name} closed during handshake`));
    });
    client.connect({
      host: host.host,
      port: host.port,
      username: host.user,
      privateKey: host.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        const ok = Buffer.isBuffer(key) && key.equals(pinned);
        if (!ok) hostKeyMismatch = true;
        return ok;
      },
    });
  });
}

/**
 * Opens an SSH connection; rejects unless the server presents exactly the pinned host key. At
 * most MAX_HANDSHAKES_IN_FLIGHT dials of this process run at once (handshakes.ts); a dial the
 * host dropped before authentication is retried (`attempts` in all).
 */
export async function connect(host: TestHostConnection, timeoutMs = 60_000, attempts = 5): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handshake(() => dialOnce(host, timeoutMs));
    } catch (err) {
      if (attempt >= attempts || !transient(err)) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

/**
 * Runs one command on an open connection and collects its output. Rejects (never throws
 * asynchronously) when the connection ends before the command does.
 */
export function execOn(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.off('close', onLost);
      client.off('error', onError);
      fn();
    };
    const what = command.slice(0, 80);
    const onLost = () => finish(() => reject(new Error(`connection closed while running: ${what}`)));
    const onError = (err: Error) =>
      finish(() => reject(new Error(`connection failed while running: ${what}: ${err.message}`)));
    client.once('close', onLost);
    client.on('error', onError);
    client.exec(command, (err, stream) => {
      if (err) return finish(() => reject(err));
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      timer = setTimeout(() => {
        stream.close();
        finish(() => reject(new Error(`command timed out after ${timeoutMs} ms: ${what}`)));
      }, timeoutMs);
      stream.on('data', (chunk: Buffer) => stdout.push(chunk));
      stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      stream.on('close', (code: number | null, signal: string | null) => {
        finish(() =>
          resolve({
            code: code ?? null,
            signal: signal ?? null,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
          }),
        );
      });
      if (options.stdin !== undefined) stream.end(options.stdin);
      else stream.end();
    });
  });
}

/** Connects, runs one command as the host's user (root), disconnects. */
export async function sshExec(
  host: TestHostConnection,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const client = await connect(host);
  try {
    return await execOn(client, command, options);
  } finally {
    client.end();
  }
}
