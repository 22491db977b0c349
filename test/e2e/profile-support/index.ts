/**
 * Helpers for the profiling e2e tests: connection arguments for a test host, a TCP relay that
 * can cut the SSH connection on demand, and host-side checks that no profiling wrapper is left.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { main } from '../../../cli/main';
import { type TestHost } from '../../host';
import { connect, type Connection, type ConnectionArgs } from '../../../remote/connection';
import { sessionPaths } from '../../../remote/profile/layout';

export function connectionArgs(host: TestHost, over: Partial<ConnectionArgs> = {}): ConnectionArgs {
  return {
    host: host.host,
    port: host.port,
    user: host.user,
    privateKey: readFileSync(host.privateKeyPath, 'utf8'),
    hostKey: host.hostKey,
    ...over,
  };
}

/** The CLI's target flags for a test host (`hush profile|apply|reset|status UNIT …`). */
export function cliTargetFlags(host: TestHost): string[] {
  return [
    '--host',
    host.host,
    '--port',
    String(host.port),
    '--identity',
    host.privateKeyPath,
    '--host-key',
    host.hostKey,
  ];
}

export function connector(host: TestHost, over: Partial<ConnectionArgs> = {}): () => Promise<Connection> {
  return () => connect(connectionArgs(host, over));
}

/**
 * A TCP relay on 127.0.0.1 in front of the host's SSH port. `cut()` destroys every connection
 * through it at once (both directions, as a network failure would); new connections still work.
 */
export class CuttableRelay {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  cuts = 0;
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as net.AddressInfo).port)),
    );
  }
  get open(): number {
    return this.#sockets.size;
  }
  cut(): void {
    this.cuts++;
    for (const s of this.#sockets) s.destroy();
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** What a profiling session could leave on the host for `unit`; all empty when clean. */
export async function profilingLeftovers(host: TestHost, unit: string): Promise<string> {
  const p = sessionPaths(unit);
  const r = await host.exec(
    `ls -d ${p.dropIn} ${p.root} 2>/dev/null; ` +
      `systemctl list-units --all --no-legend --plain 'hush-profile-*' 2>/dev/null | awk '$3 != "inactive" {print $1}'; ` +
      `pgrep -a strace; pgrep -a hush-recorder; true`,
  );
  return r.stdout.trim();
}

/** `systemctl cat` and the main pid of a unit. */
export async function unitSnapshot(
  host: TestHost,
  unit: string,
): Promise<{ cat: string; mainPid: string; active: string }> {
  const cat = await host.exec(`systemctl cat -- ${unit}`);
  const show = await host.exec(
    `systemctl show -p MainPID --value -- ${unit}; systemctl is-active -- ${unit}`,
  );
  const [mainPid = '', active = ''] = show.stdout.trim().split('\n');
  return { cat: cat.stdout, mainPid, active };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns true or the time is up; returns the elapsed ms, or -1 on timeout. */
export async function waitFor(
  fn: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 2000,
): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await fn()) return Date.now() - t0;
    await sleep(everyMs);
  }
  return -1;
}

/** Runs the `hush` CLI in-process (cli/main) and collects what it printed. */
export async function runHush(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  // HUSH_TEST_ECHO=1: the CLI's progress as it happens (a hung or slow step is visible in the log)
  if (process.env.HUSH_TEST_ECHO === '1')
    stderr.on('data', (b: Buffer) =>
      process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${b.toString()}`),
    );
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr });
  return { code, stdout: out, stderr: err };
}
