/**
 * The SSH target flags shared by the remote commands (`profile`, `apply`, `reset`, `status`):
 *
 *   --host H  --port N  --user U  --identity FILE  --host-key KEY|@FILE  --insecure-accept-any-host-key
 *
 * Secrets never come from flags (they would show in `ps` and shell history): a key passphrase is
 * read from $HUSH_SSH_KEY_PASSPHRASE, a password from $HUSH_SSH_PASSWORD; without --identity or a
 * password the SSH agent ($SSH_AUTH_SOCK) is used.
 */
import { readFileSync } from 'node:fs';
import { connect, ConnectionConfigError, type Connection, type ConnectionArgs } from '../remote/connection';
import type { Tracing } from '../core/tracing';
import type { RecorderChoice } from '../remote/profile';
import { parseProfile } from '../core/profile';
import type { Profile } from '../core/profile/schema';
import { InvalidUnitNameError, parseRunnableUnitName } from '../core/systemd/unitName';
import { UsageError, type CliIo } from './command';

export const TARGET_USAGE = `target flags:
  --host H             the host to connect to (required)
  --port N             SSH port (default 22)
  --user U             login user (default root; others need passwordless sudo)
  --identity FILE      private key file (passphrase from $HUSH_SSH_KEY_PASSPHRASE);
                       default: the SSH agent ($SSH_AUTH_SOCK), or $HUSH_SSH_PASSWORD
  --host-key KEY       the host's key: SHA256:… fingerprint, 'ssh-ed25519 AAAA…', a known_hosts
                       line, or @FILE (e.g. @known_hosts, or ssh-keyscan output). Required unless:
  --insecure-accept-any-host-key
                       accept any host key (UNSAFE: a man in the middle gets root on the host)
  --json               machine-readable result on stdout (progress stays on stderr)`;

export const TARGET_FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  identity: { type: 'string' },
  'host-key': { type: 'string' },
  'insecure-accept-any-host-key': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface TargetFlagValues {
  host?: string;
  port?: string;
  user?: string;
  identity?: string;
  'host-key'?: string;
  'insecure-accept-any-host-key'?: boolean;
}

/** Flags + environment → ConnectionArgs (validated later by zod in connect). */
export function connectionArgsFromFlags(
  v: TargetFlagValues,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionArgs {
  if (!v.host) throw new UsageError('--host is required');
  const args: ConnectionArgs = { host: v.host };
  if (v.port !== undefined) {
    if (!/^\d+$/.test(v.port)) throw new UsageError(`--port expects a number, got ${JSON.stringify(v.port)}`);
    args.port = Number(v.port);
  }
  if (v.user !== undefined) args.user = v.user;
  if (v.identity !== undefined) {
    try {
      args.privateKey = readFileSync(v.identity, 'utf8');
    } catch (err) {
      throw new UsageError(
        `--identity: cannot read ${v.identity}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (env.HUSH_SSH_KEY_PASSPHRASE) args.privateKeyPassword = env.HUSH_SSH_KEY_PASSPHRASE;
  if (env.HUSH_SSH_PASSWORD) args.password = env.HUSH_SSH_PASSWORD;
  const hk = v['host-key'];
  if (hk !== undefined) {
    if (hk.startsWith('@')) {
      try {
        args.hostKey = readFileSync(hk.slice(1), 'utf8');
      } catch (err) {
        throw new UsageError(
          `--host-key: cannot read ${hk.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    } else args.hostKey = hk;
  }
  if (v['insecure-accept-any-host-key']) args.insecureAcceptAnyHostKey = true;
  if (args.hostKey === undefined && !args.insecureAcceptAnyHostKey) {
    throw new UsageError(
      "--host-key is required: pin the host's key (ssh-keyscan -t ed25519 HOST, or ssh-keygen -lf on the host), " +
        'or pass --insecure-accept-any-host-key (unsafe)',
    );
  }
  return args;
}

/** A progress writer to stderr: `hush NAME: line`. */
export function progress(io: CliIo, name: string): (line: string) => void {
  return (line) => io.stderr.write(`hush ${name}: ${line}\n`);
}

/** Connects with the flags; connection config problems become usage errors. */
export async function connectFromFlags(v: TargetFlagValues, io: CliIo, name: string): Promise<Connection> {
  const args = connectionArgsFromFlags(v);
  const log = progress(io, name);
  try {
    // Security warnings go to stderr whatever the verbosity: nothing can silence them.
    const conn = await connect(args, { log, warn: (m) => io.stderr.write(`hush ${name}: ${m}\n`) });
    log(`connected to ${conn.target} (host key ${conn.presentedHostKey}${conn.viaSudo ? ', via sudo' : ''})`);
    return conn;
  } catch (err) {
    if (err instanceof ConnectionConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--tracing MODE` (profile, apply): the profiling session's strace mode; undefined = the engine's default. */
export function tracingFromFlag(value: string | undefined): Tracing | undefined {
  if (value === undefined || value === 'decisions' || value === 'full') return value;
  throw new UsageError(`--tracing must be decisions or full, got ${JSON.stringify(value)}`);
}

/** `--recorder KIND` (profile, apply): what records the unit; undefined = the engine's default. */
export function recorderFromFlag(value: string | undefined): RecorderChoice | undefined {
  if (value === undefined || value === 'auto' || value === 'ebpf' || value === 'strace') return value;
  throw new UsageError(`--recorder must be auto, ebpf or strace, got ${JSON.stringify(value)}`);
}

/** Parses `5s`, `500ms`, `2m`, or plain seconds into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m)
    throw new UsageError(`${flag} expects a duration like 5s, 500ms or 2m, got ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = Math.round(
    n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'],
  );
  // A foreground session longer than a week is a typo (600h for 60h?), not a plan.
  if (ms > MAX_DURATION_MS)
    throw new UsageError(`${flag} ${text.trim()} is longer than the 7 days hush accepts`);
  return ms;
}

/** The longest duration a flag accepts (the waits themselves are chunked: remote/sleep.ts). */
export const MAX_DURATION_MS = 7 * 86_400_000;

/** The one UNIT positional of a remote command, validated (a bad name is a usage error). */
export function unitFromPositionals(positionals: readonly string[]): string {
  if (positionals.length !== 1) throw new UsageError('give exactly one UNIT');
  try {
    return parseRunnableUnitName(positionals[0] as string).unit;
  } catch (err) {
    if (err instanceof InvalidUnitNameError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--profile FILE`: the profile document, or a usage error naming the file and what is wrong. */
export function profileFromFlag(file: string | undefined): Profile | undefined {
  if (file === undefined) return undefined;
  try {
    return parseProfile(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--profile ${file}: ${(err as Error).message}`);
  }
}
