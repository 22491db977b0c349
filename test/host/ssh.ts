// Minimal SSH for the test harness (ssh2), with the host key pinned to the one baked into the
// image: a test never talks to a host it did not build. The product's own SSH layer lives in
// remote/; this one only serves test/host (checks, baselines, assertions in tests).
import { Client } from 'ssh2';
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

/** Opens an SSH connection; rejects unless the server presents exactly the pinned host key. */
export function connect(host: TestHostConnection, timeoutMs = 60_000): Promise<Client> {
  const pinned = hostKeyBlob(host.hostKey);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyMismatch = false;
    client
      .once('ready', () => resolve(client))
      .once('error', (err: Error) => {
        client.end();
        reject(hostKeyMismatch ? new Error(`host key of ${host.name} does not match the pinned key`) : err);
      })
      .connect({
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

/** Runs one command on an open connection and collects its output. */
export function execOn(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const timer = setTimeout(() => {
        stream.close();
        reject(new Error(`command timed out after ${timeoutMs} ms: ${command.slice(0, 80)}`));
      }, timeoutMs);
      stream.on('data', (chunk: Buffer) => stdout.push(chunk));
      stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      stream.on('close', (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({
          code: code ?? null,
          signal: signal ?? null,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
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
