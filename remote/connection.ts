/**
 * The SSH session to a target host (ssh2). Input: the shape of `@pulumi/command`'s
 * `remote.ConnectionArgs`, validated by zod, plus host-key pinning, which hush requires:
 *
 *   const conn = await connect({ host: '10.0.0.5', privateKey, hostKey: 'SHA256:…' });
 *   const r = await conn.exec(sh`systemctl show -- ${unit}`);           // {code, stdout, stderr}
 *   const p = await conn.execStream(argv(['journalctl', '-f']));        // p.stdout: Readable
 *   await conn.writeFileAtomic('/etc/x.conf', text);  const b = await conn.readFile('/etc/x.conf');
 *   await conn.close();
 *
 * Every command runs under `sh` as root: `sh -c CMD` when logged in as root, `sudo -n -- sh -c CMD`
 * otherwise. `connect` checks this once and fails with SudoRequiredError when sudo would prompt.
 *
 * Host keys: `hostKey` (SHA256 fingerprint, `TYPE BASE64` key, or known_hosts lines) must match,
 * or the connection is refused with HostKeyMismatchError before authentication (no credential is
 * ever sent to an unverified host). Accepting any key needs `insecureAcceptAnyHostKey: true`,
 * and is warned about on every connect.
 *
 * Secrets (password, privateKey, privateKeyPassword) never appear in errors or logs: they live in
 * a private field, errors pass through `redact`, and zod messages never echo input values.
 */
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import {
  fingerprintOf,
  hostKeyAlgorithmsFor,
  HostKeyPinError,
  keyTypeOf,
  matchesPins,
  parseHostKeyPins,
  pinsForHost,
  type HostKeyPin,
} from './hostKey';
import type { HostFacts } from '../core/profile/hostFacts';
import type { SessionHost } from './host';
import { probe } from './probe';
import { asRoot, atomicWriteCommand, sh, ShellCommand, timeLimited, trustedScript } from './shell';

// ------------------------------------------------------------------------------- input schema

/** zod type errors that say "is required" for a missing field and never echo the value given. */
const must = (what: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${what}`),
});

const commonFields = {
  host: z.string(must('a string')).min(1, 'must not be empty'),
  port: z
    .number(must('a number'))
    .int('must be an integer')
    .min(1, 'must be 1 to 65535')
    .max(65535, 'must be 1 to 65535')
    .default(22),
  user: z.string(must('a string')).min(1, 'must not be empty').default('root'),
  password: z.string(must('a string')).optional(),
  /** The private key's contents (PEM / OpenSSH format), not a path: same as @pulumi/command. */
  privateKey: z
    .string({ error: 'must be a string' })
    .refine((s) => s.includes('PRIVATE KEY') || s.includes('PuTTY-User-Key-File'), {
      message: 'must be the key contents (-----BEGIN … PRIVATE KEY-----), not a file path',
    })
    .optional(),
  privateKeyPassword: z.string(must('a string')).optional(),
  agentSocketPath: z.string(must('a string')).min(1, 'must not be empty').optional(),
  /** Dial attempts before giving up; -1 = unlimited (as @pulumi/command). */
  dialErrorLimit: z
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .refine((n) => n === -1 || n >= 1, { message: 'must be -1 (unlimited) or at least 1' })
    .default(10),
  /** Seconds per dial attempt (TCP + handshake + auth); 0 = no limit (as @pulumi/command). */
  perDialTimeout: z.number(must('a number')).min(0, 'must be >= 0').default(15),
  /** Pinned host key(s): `SHA256:…`, `ssh-ed25519 AAAA…`, or known_hosts lines. */
  hostKey: z.string(must('a string')).optional(),
  /** Accept whatever key the host presents. Unsafe: a man in the middle gets root. Warned about. */
  insecureAcceptAnyHostKey: z.boolean(must('true or false')).default(false),
};

function requirePin(
  v: { host: string; port: number; hostKey?: string | undefined; insecureAcceptAnyHostKey: boolean },
  ctx: z.RefinementCtx,
): void {
  if (v.hostKey !== undefined) {
    try {
      pinsForHost(parseHostKeyPins(v.hostKey), v.host, v.port);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostKey'],
        message: (err as Error).message.replace(/^hostKey:?\s*/, ''),
      });
    }
  } else if (!v.insecureAcceptAnyHostKey) {
    ctx.addIssue({
      code: 'custom',
      path: ['hostKey'],
      message:
        "is required: pin the host's key (a SHA256:… fingerprint, or a 'ssh-ed25519 AAAA…' / known_hosts line " +
        'as printed by ssh-keyscan), or set insecureAcceptAnyHostKey: true to accept any key (unsafe)',
    });
  }
}

export const ProxyConnectionArgs = z.strictObject(commonFields).superRefine(requirePin);
export type ProxyConnectionArgs = z.input<typeof ProxyConnectionArgs>;

export const ConnectionArgs = z
  .strictObject({ ...commonFields, proxy: z.strictObject(commonFields).superRefine(requirePin).optional() })
  .superRefine(requirePin);
/** What callers pass (defaults optional). */
export type ConnectionArgs = z.input<typeof ConnectionArgs>;
/** After validation and defaults. */
export type ConnectionConfig = z.output<typeof ConnectionArgs>;
type HopConfig = z.output<typeof ProxyConnectionArgs>;

export class ConnectionConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid connection: ${problems.join('; ')}`);
    this.name = 'ConnectionConfigError';
  }
}

/**
 * Validates connection input; throws ConnectionConfigError naming each bad field
 * (`connection.port: …`), never echoing a value.
 */
export function parseConnectionArgs(input: unknown): ConnectionConfig {
  const r = ConnectionArgs.safeParse(input);
  if (r.success) return r.data;
  throw new ConnectionConfigError(
    r.error.issues.map((i) => `${['connection', ...i.path.map(String)].join('.')}: ${issueMessage(i)}`),
  );
}

function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys')
    return `unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return i.message;
}

// ------------------------------------------------------------------------------- errors

/** Base class: everything connect/exec throw for a reason on the remote side. */
export class RemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** The host presented a key that matches no pin. Never retried. */
export class HostKeyMismatchError extends RemoteError {
  constructor(
    readonly target: string,
    readonly presented: string,
    readonly expected: readonly string[],
    revoked = false,
  ) {
    super(
      revoked
        ? `host key verification failed for ${target}: it presented ${presented}, which a @revoked known_hosts ` +
            'line refuses. Refusing to connect.'
        : `host key verification failed for ${target}: it presented ${presented}, which matches no pinned key ` +
            `(${expected.join(', ')}). Refusing to connect: this is either a different host or a man in the middle. ` +
            'If the host was legitimately re-keyed, update hostKey.',
    );
  }
}
export class AuthenticationError extends RemoteError {}
export class DialError extends RemoteError {}
/** Logged in as a non-root user and `sudo -n` does not work. */
export class SudoRequiredError extends RemoteError {}
export class CommandTimeoutError extends RemoteError {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    readonly partial: ExecResult,
  ) {
    super(`remote command timed out after ${timeoutMs} ms: ${abbreviate(command)}`);
  }
}
/** A command exited non-zero where success was required (`check: true`). */
export class RemoteCommandError extends RemoteError {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
    what?: string,
  ) {
    const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
    const err = result.stderr.trim().split('\n').slice(-5).join(' | ');
    super(`${what ?? `remote command failed: ${abbreviate(command)}`} (${why})${err ? `: ${err}` : ''}`);
  }
}

/** How long after the host-side `timeout` the controller gives up on its own. */
const TIMEOUT_GRACE_MS = 10_000;

function abbreviate(s: string, max = 200): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

// ------------------------------------------------------------------------------- exec types

export interface ExecOptions {
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /**
   * Stop the command after this long (rounded up to whole seconds): the host runs it under
   * `timeout` (TERM, KILL 5 s later); exit code 124/137 then means timed out and throws
   * CommandTimeoutError. Default: no limit.
   */
  timeoutMs?: number;
  /** Throw RemoteCommandError when the exit code is not 0. Default false. */
  check?: boolean;
  /** Cap on collected stdout and stderr each (bytes); the rest is dropped. Default 64 MiB. */
  maxBuffer?: number;
}

export interface ExecResult {
  /** Exit code; -1 when the command died from a signal or the channel closed without a status. */
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** A running remote command with live streams (for long outputs: strace logs, journals). */
export interface RemoteProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable;
  /** Settles when the channel closes: exit code (or -1) and signal. Never rejects. */
  readonly done: Promise<{ code: number; signal?: string }>;
  /** Asks the remote side to stop the command (signal, default TERM) and closes the channel. */
  kill(signal?: 'TERM' | 'KILL' | 'INT' | 'HUP'): void;
}

export interface ConnectOptions {
  /** Progress lines (no secrets). */
  log?: (line: string) => void;
  /** SSH keepalive interval (ms) and missed replies before the connection counts as dead. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Skip the root/sudo check (only for tests of that check itself). */
  skipPrivilegeCheck?: boolean;
  /**
   * Security warnings (an unpinned host key accepted under insecureAcceptAnyHostKey), as they
   * happen. Also kept in `Connection.warnings` for callers that report later (a Pulumi provider
   * turns them into engine warnings). Without it they go to `log`.
   */
  warn?: (message: string) => void;
}

/** The warning for a host key accepted without a pin: it says what was accepted and what it risks. */
export function insecureHostKeyWarning(target: string, presented: string): string {
  return (
    `WARNING: accepting ANY host key for ${target} (insecureAcceptAnyHostKey): it presented ${presented}. ` +
    'A man in the middle could read and change every root command hush sends. Pin it with hostKey.'
  );
}

// ------------------------------------------------------------------------------- connect

/** Opens a verified, authenticated session and checks that commands can run as root. */
export async function connect(
  input: ConnectionArgs | ConnectionConfig,
  opts: ConnectOptions = {},
): Promise<Connection> {
  const config = parseConnectionArgs(input);
  const secrets = collectSecrets(config);
  try {
    const warnings: string[] = [];
    const dialOpts: ConnectOptions = {
      ...opts,
      warn: (message) => {
        warnings.push(message);
        (opts.warn ?? opts.log)?.(message);
      },
    };
    let proxyClient: Client | undefined;
    let sock: Readable | undefined;
    if (config.proxy) {
      proxyClient = (await dialWithRetries(config.proxy, undefined, dialOpts, secrets)).client;
      sock = await forwardOut(proxyClient, config.host, config.port);
    }
    const { client, presented } = await dialWithRetries(config, sock, dialOpts, secrets, proxyClient);
    const conn = new Connection(config, client, presented, proxyClient, secrets, warnings);
    if (!opts.skipPrivilegeCheck) await conn.checkPrivileges();
    return conn;
  } catch (err) {
    throw sanitize(err, secrets);
  }
}

const RETRYABLE_LEVELS = new Set(['client-socket', 'client-timeout', 'client-dns']);
/**
 * The server closed the TCP connection before its SSH banner: sshd does that to connections past
 * its MaxStartups (random early drop while too many handshakes are in flight, e.g. a fleet of
 * sessions against one host) and while it re-executes itself on reload. Transient: dial again.
 */
const DROPPED_BEFORE_HANDSHAKE = /^Connection lost before handshake$/;

async function dialWithRetries(
  hop: HopConfig,
  sock: Readable | undefined,
  opts: ConnectOptions,
  secrets: readonly string[],
  proxyClient?: Client,
): Promise<{ client: Client; presented: string }> {
  const target = `${hop.user}@${hop.host}:${hop.port}`;
  const limit = hop.dialErrorLimit === -1 ? Infinity : hop.dialErrorLimit;
  for (let attempt = 1; ; attempt++) {
    opts.log?.(`ssh: connecting to ${target}${proxyClient ? ' via proxy' : ''} (attempt ${attempt})`);
    try {
      return await dialOnce(hop, sock, opts);
    } catch (err) {
      const level = (err as { level?: string }).level;
      const code = (err as NodeJS.ErrnoException).code;
      const retryable =
        !sock && // a forwarded channel cannot be re-dialed; the proxy connection's own retries cover it
        (RETRYABLE_LEVELS.has(level ?? '') ||
          DROPPED_BEFORE_HANDSHAKE.test((err as Error).message ?? '') ||
          code === 'ECONNREFUSED' ||
          code === 'ECONNRESET' ||
          code === 'ETIMEDOUT');
      if (!retryable || attempt >= limit) {
        proxyClient?.end();
        if (err instanceof RemoteError) throw err;
        const msg = redact((err as Error).message ?? String(err), secrets);
        if (level === 'client-authentication') {
          throw new AuthenticationError(`authentication failed for ${target}: ${msg}`);
        }
        throw new DialError(`cannot connect to ${target} after ${attempt} attempt(s): ${msg}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
    }
  }
}

function dialOnce(
  hop: HopConfig,
  sock: Readable | undefined,
  opts: ConnectOptions,
): Promise<{ client: Client; presented: string }> {
  const target = `${hop.host}:${hop.port}`;
  let keys: HopKeys;
  try {
    keys = hopKeys(hop);
  } catch (err) {
    if (err instanceof HostKeyPinError) return Promise.reject(new ConnectionConfigError([err.message]));
    throw err;
  }
  const seen: HandshakeSeen = { presented: '' };
  const cfg: ConnectConfig = {
    host: hop.host,
    port: hop.port,
    username: hop.user,
    readyTimeout: hop.perDialTimeout === 0 ? 0 : Math.round(hop.perDialTimeout * 1000),
    keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: opts.keepaliveCountMax ?? 4,
    hostVerifier: hostVerifier(target, keys, opts, seen),
  };
  const algos = keys.pins ? hostKeyAlgorithmsFor(keys.pins) : undefined;
  if (algos) cfg.algorithms = { serverHostKey: algos as never };
  if (sock) cfg.sock = sock;
  if (!withCredentials(cfg, hop)) {
    return Promise.reject(
      new ConnectionConfigError([
        `no authentication method for ${target}: give privateKey, password or agentSocketPath (or set SSH_AUTH_SOCK)`,
      ]),
    );
  }
  const client = new Client();
  if (hop.password !== undefined) {
    client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => {
      finish(prompts.map(() => hop.password as string));
    });
  }
  return handshake(client, cfg, seen);
}

/** The hop's host key pins and the revoked ones (none given: any key, with a warning). */
interface HopKeys {
  pins: HostKeyPin[] | undefined;
  revoked: HostKeyPin[];
}

function hopKeys(hop: HopConfig): HopKeys {
  if (hop.hostKey === undefined) return { pins: undefined, revoked: [] };
  return pinsForHost(parseHostKeyPins(hop.hostKey), hop.host, hop.port);
}

/** What the handshake saw: the key the host presented, and why it was refused (if it was). */
interface HandshakeSeen {
  presented: string;
  mismatch?: HostKeyMismatchError;
}

/** ssh2's host key check: a pinned key passes, a revoked or unpinned one is refused (said in `seen`). */
function hostVerifier(
  target: string,
  { pins, revoked }: HopKeys,
  opts: ConnectOptions,
  seen: HandshakeSeen,
): (blob: Buffer) => boolean {
  return (blob) => {
    seen.presented = `${fingerprintOf(blob)} (${keyTypeOf(blob) ?? 'unknown type'})`;
    if (!pins) {
      opts.warn?.(insecureHostKeyWarning(target, seen.presented));
      return true;
    }
    if (matchesPins(blob, revoked)) {
      seen.mismatch = new HostKeyMismatchError(target, seen.presented, [], true);
      return false;
    }
    if (matchesPins(blob, pins)) return true;
    seen.mismatch = new HostKeyMismatchError(
      target,
      seen.presented,
      pins.map((p) => p.fingerprint),
    );
    return false;
  };
}

/** Puts the hop's credentials in `cfg`; false when it has none at all. */
function withCredentials(cfg: ConnectConfig, hop: HopConfig): boolean {
  if (hop.privateKey !== undefined) cfg.privateKey = hop.privateKey;
  if (hop.privateKeyPassword !== undefined) cfg.passphrase = hop.privateKeyPassword;
  if (hop.password !== undefined) {
    cfg.password = hop.password;
    cfg.tryKeyboard = true; // as @pulumi/command: answer keyboard-interactive prompts with the password
  }
  // The agent: explicit path, else $SSH_AUTH_SOCK only when no key or password was given, so a
  // wrong key is reported as wrong rather than silently replaced by whatever the agent holds.
  const agent =
    hop.agentSocketPath ?? (hop.privateKey || hop.password ? undefined : process.env.SSH_AUTH_SOCK);
  if (agent) cfg.agent = agent;
  return Boolean(cfg.privateKey || cfg.password || cfg.agent);
}

/** Connects and settles once: ready, or the first error (a refused host key says why). */
function handshake(
  client: Client,
  cfg: ConnectConfig,
  seen: HandshakeSeen,
): Promise<{ client: Client; presented: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    client.once('ready', () => {
      settled = true;
      resolve({ client, presented: seen.presented });
    });
    // ssh2 may emit more than one error (e.g. a handshake timeout after a refused host key): keep
    // a listener for the client's whole life, or a late one would crash the process.
    client.on('error', (err: Error & { level?: string }) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(seen.mismatch ?? err);
    });
    client.once('close', () => {
      if (settled) return;
      settled = true;
      reject(
        seen.mismatch ??
          Object.assign(new Error('connection closed during handshake'), { level: 'client-socket' }),
      );
    });
    try {
      client.connect(cfg);
    } catch (err) {
      // ssh2 throws synchronously for unparsable keys ("Cannot parse privateKey: …").
      settled = true;
      reject(
        new ConnectionConfigError([
          `privateKey: ${(err as Error).message.replace(/^Cannot parse privateKey: /, 'cannot be parsed: ')}`,
        ]),
      );
    }
  });
}

function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
      if (err) reject(new DialError(`proxy could not open a tunnel to ${host}:${port}: ${err.message}`));
      else resolve(ch);
    });
  });
}

function collectSecrets(c: ConnectionConfig): string[] {
  const out: string[] = [];
  for (const hop of [c, c.proxy]) {
    if (!hop) continue;
    for (const s of [hop.password, hop.privateKeyPassword, hop.privateKey]) if (s) out.push(s);
    // Lines of a key body too, in case a library quotes only part of it.
    if (hop.privateKey)
      out.push(...hop.privateKey.split(/\r?\n/).filter((l) => l.length >= 16 && !l.startsWith('-----')));
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Replaces every secret (and every long line of a key) in a text by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

function sanitize(err: unknown, secrets: readonly string[]): Error {
  if (!(err instanceof Error)) return new RemoteError(redact(String(err), secrets));
  const clean = redact(err.message, secrets);
  if (clean !== err.message) {
    err.message = clean;
    if (err.stack) err.stack = redact(err.stack, secrets);
  }
  return err;
}

// ------------------------------------------------------------------------------- the session

export class Connection implements SessionHost {
  readonly #config: ConnectionConfig;
  readonly #client: Client;
  readonly #proxy: Client | undefined;
  readonly #secrets: readonly string[];
  #closed = false;
  /** true when commands go through `sudo -n` (login user is not root). Set by checkPrivileges. */
  viaSudo: boolean;

  /** Use `connect()`. */
  constructor(
    config: ConnectionConfig,
    client: Client,
    presentedHostKey: string,
    proxy: Client | undefined,
    secrets: readonly string[],
    warnings: readonly string[] = [],
  ) {
    this.warnings = warnings;
    this.#config = config;
    this.#client = client;
    this.#proxy = proxy;
    this.#secrets = secrets;
    this.presentedHostKey = presentedHostKey;
    this.viaSudo = config.user !== 'root';
    client.on('close', () => {
      this.#closed = true;
    });
    // Errors after the handshake (connection reset, keepalive timeout) end the session: running
    // and later commands fail with a RemoteError instead of crashing the process.
    client.on('error', (err: Error) => {
      this.#closed = true;
      this.lastError = redact(err.message, this.#secrets);
    });
  }

  /** The error that ended the session, if one did. */
  lastError: string | undefined;

  /** The host key fingerprint the host presented, e.g. `SHA256:… (ssh-ed25519)`. */
  readonly presentedHostKey: string;
  /** Security warnings of this session (an unpinned host key accepted): report them loudly. */
  readonly warnings: readonly string[];
  get host(): string {
    return this.#config.host;
  }
  get port(): number {
    return this.#config.port;
  }
  get user(): string {
    return this.#config.user;
  }
  /** `user@host:port`, for messages. */
  get target(): string {
    return `${this.#config.user}@${this.#config.host}:${this.#config.port}`;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** Never print secrets through util.inspect / JSON.stringify. */
  toJSON(): object {
    return { target: this.target, viaSudo: this.viaSudo };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Connection(${this.target}${this.viaSudo ? ', sudo' : ''})`;
  }

  /**
   * Verifies commands can run as root: uid 0, or passwordless `sudo -n`. One round trip. Throws
   * SudoRequiredError with the reason and what to change.
   */
  async checkPrivileges(): Promise<void> {
    // sudo's stderr is kept out of the uid it prints: a working sudo may still warn (e.g. "unable
    // to resolve host") and must not read as a failure; on failure its message is the reason.
    const probe = trustedScript(
      'if [ "$(id -u)" = 0 ]; then echo root; ' +
        'elif ! command -v sudo >/dev/null 2>&1; then echo no-sudo; ' +
        'elif out=$(sudo -n -- id -u 2>/dev/null) && [ "$out" = 0 ]; then echo sudo; ' +
        'else printf "sudo-failed %s\\n" "$(sudo -n -- id -u 2>&1 | tr "\\n" " ")"; fi',
    );
    const r = await this.#execRaw(argv0(probe), {});
    const out = r.stdout.toString('utf8').trim();
    if (out === 'root') this.viaSudo = false;
    else if (out === 'sudo') this.viaSudo = true;
    else {
      const who = `user '${this.#config.user}' on ${this.#config.host}`;
      const detail =
        out === 'no-sudo'
          ? 'is not root and sudo is not installed'
          : `is not root and 'sudo -n' does not work (${out.replace(/^sudo-failed\s*/, '').trim() || `exit ${r.code}`})`;
      throw new SudoRequiredError(
        `${who} ${detail}. hush needs root on the host: connect as root, or give ${this.#config.user} passwordless sudo ` +
          `(e.g. '${this.#config.user} ALL=(root) NOPASSWD: ALL' in /etc/sudoers.d/); hush never types a sudo password.`,
      );
    }
  }

  /**
   * A NEW session with the same login and settings (host key pin, credentials, proxy), checked
   * like the first (root, or `sudo -n`). `overrides` narrows the dialing (e.g. fewer attempts).
   * remote/access.ts uses it to prove that a change left the host reachable.
   */
  async reopen(
    overrides: { dialErrorLimit?: number; perDialTimeout?: number } = {},
    opts: ConnectOptions = {},
  ): Promise<Connection> {
    return connect({ ...this.#config, ...overrides }, opts);
  }

  /** Runs a command as root and collects its output. */
  async exec(cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const limited = timeLimited(cmd, opts.timeoutMs);
    const t0 = Date.now();
    const raw = await this.#execRaw(asRoot(limited, this.viaSudo), opts);
    if (
      opts.timeoutMs !== undefined &&
      (raw.code === 124 || raw.code === 137) &&
      Date.now() - t0 >= opts.timeoutMs - 1000
    ) {
      raw.timedOut = true;
    }
    const result: ExecResult = {
      code: raw.code,
      stdout: raw.stdout.toString('utf8'),
      stderr: raw.stderr.toString('utf8'),
    };
    if (raw.signal) result.signal = raw.signal;
    if (raw.timedOut) throw new CommandTimeoutError(cmd.text, opts.timeoutMs ?? 0, result);
    if (opts.check && result.code !== 0) throw new RemoteCommandError(cmd.text, result);
    return result;
  }

  /** `exec` with check: throws RemoteCommandError unless the exit code is 0; returns stdout. */
  async run(cmd: ShellCommand, opts: Omit<ExecOptions, 'check'> = {}): Promise<string> {
    return (await this.exec(cmd, { ...opts, check: true })).stdout;
  }

  /** Runs a command as root with live streams. Resolves once the channel is open. */
  async execStream(cmd: ShellCommand, opts: { stdin?: string | Buffer } = {}): Promise<RemoteProcess> {
    const ch = await this.#open(asRoot(cmd, this.viaSudo));
    let exit: { code: number; signal?: string } = { code: -1 };
    ch.on('exit', (code: number | null, signal?: string) => {
      exit = code === null || code === undefined ? { code: -1, signal: signal ?? 'unknown' } : { code };
    });
    const done = new Promise<{ code: number; signal?: string }>((resolve) =>
      ch.once('close', (c?: number | null, sig?: string) => {
        if (exit.code === -1 && exit.signal === undefined) {
          if (typeof c === 'number') exit = { code: c };
          else if (sig) exit = { code: -1, signal: sig };
        }
        resolve(exit);
      }),
    );
    if (opts.stdin !== undefined) ch.end(opts.stdin);
    return {
      stdout: ch,
      stderr: ch.stderr,
      stdin: ch,
      done,
      kill: (signal = 'TERM') => {
        try {
          ch.signal(signal);
        } catch {
          /* channel already closed */
        }
        ch.close();
      },
    };
  }

  /** Reads a file as root; undefined when it does not exist. */
  async readFile(path: string): Promise<Buffer | undefined> {
    const cmd = sh`if [ -e ${path} ] || [ -L ${path} ]; then exec cat -- ${path}; else exit 44; fi`;
    const r = await this.#execRaw(asRoot(cmd, this.viaSudo), {});
    if (r.code === 44) return undefined;
    if (r.code !== 0) {
      throw new RemoteCommandError(
        cmd.text,
        { code: r.code, stdout: '', stderr: r.stderr.toString('utf8') },
        `cannot read ${path}`,
      );
    }
    return r.stdout;
  }

  /** Writes a file as root atomically (shell.ts atomicWriteCommand says how). */
  async writeFileAtomic(path: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    await this.exec(atomicWriteCommand(path, opts.mode), { stdin: data, check: true });
  }

  /** Host and unit facts in one round trip (remote/probe.ts). */
  facts(unit: string): Promise<HostFacts> {
    return probe(this, unit);
  }

  /** Closes the session (and the proxy's). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      this.#client.once('close', () => resolve());
      this.#client.end();
      setTimeout(resolve, 2000).unref();
    });
    this.#closed = true;
    this.#proxy?.end();
  }

  #open(full: ShellCommand): Promise<ClientChannel> {
    if (this.#closed) {
      return Promise.reject(
        new RemoteError(
          `connection to ${this.target} is closed${this.lastError ? ` (${this.lastError})` : ''}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#client.exec(full.text, (err, ch) => {
        if (err)
          reject(
            new RemoteError(
              `cannot start a command on ${this.target}: ${redact(err.message, this.#secrets)}`,
            ),
          );
        else resolve(ch);
      });
    });
  }

  async #execRaw(
    full: ShellCommand,
    opts: ExecOptions,
  ): Promise<{ code: number; signal?: string; stdout: Buffer; stderr: Buffer; timedOut: boolean }> {
    const ch = await this.#open(full);
    const max = opts.maxBuffer ?? 64 * 1024 * 1024;
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let code = -1;
      let signal: string | undefined;
      let timedOut = false;
      ch.on('data', (b: Buffer) => {
        if (outLen < max) out.push(b);
        outLen += b.length;
      });
      ch.stderr.on('data', (b: Buffer) => {
        if (errLen < max) err.push(b);
        errLen += b.length;
      });
      ch.on('exit', (c: number | null, sig?: string) => {
        if (c === null || c === undefined) signal = sig ?? 'unknown';
        else code = c;
      });
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        const r: { code: number; signal?: string; stdout: Buffer; stderr: Buffer; timedOut: boolean } = {
          code,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
          timedOut,
        };
        if (signal) r.signal = signal;
        resolve(r);
      };
      // The host's `timeout` (see exec) stops the command itself; this is the backstop for a host
      // that does not answer: ask sshd to signal the session, close the channel, and stop waiting
      // (sshd keeps a channel open until its process exits).
      const timer =
        opts.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              try {
                ch.signal('KILL');
              } catch {
                /* closed */
              }
              ch.close();
              setTimeout(finish, 2000).unref();
            }, opts.timeoutMs + TIMEOUT_GRACE_MS)
          : undefined;
      ch.once('close', (c?: number | null, sig?: string) => {
        // ssh2 repeats the exit status on 'close'; take it from there if 'exit' was not seen.
        if (code === -1 && signal === undefined) {
          if (typeof c === 'number') code = c;
          else if (sig) signal = sig;
        }
        finish();
      });
      if (opts.stdin !== undefined) ch.end(opts.stdin);
      else ch.end();
    });
  }
}

/** The privilege probe runs before we know whether sudo is needed: plain `sh -c`. */
function argv0(cmd: ShellCommand): ShellCommand {
  return asRoot(cmd, false);
}
