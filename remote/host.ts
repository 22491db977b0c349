/**
 * The host hush works on, as its steps see it. `HostExec` is the part most steps need: a target
 * name for messages and `exec` with the semantics of remote/connection.ts (ExecOptions: stdin, a
 * time limit run by coreutils `timeout`, `check`, an output cap). `Host` adds a command with live
 * streams, reading a file, writing one atomically, and the host's facts. The SSH `Connection` is
 * one Host; `LocalShell` is the other and runs the same commands on this machine, so probe,
 * exec-mode and drop-in-state code is one code path for `hush profile` and `hush run`, tested
 * against a real shell instead of a cast.
 *
 * `HostLink` is a host behind a connection that can be cut (the SSH Connection): whether the
 * connection is gone (a profiling session's Link or a watch re-dials then) and ending it. A
 * profiling or recording session's host is both, with its name (`SessionHost`); each step takes
 * only the part it uses, so a step's test fakes that part, typed.
 *
 *   const local = new LocalShell();
 *   const facts = await withExecModes(local, profile, await local.facts('hush-run.service'));
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { HostFacts } from '../core/profile/hostFacts';
import {
  CommandTimeoutError,
  RemoteCommandError,
  type ExecOptions,
  type ExecResult,
  type RemoteProcess,
} from './connection';
import { probeLocal } from './probe';
import { atomicWriteCommand, timeLimited, type ShellCommand } from './shell';

export interface HostExec {
  /** Names the host in messages (`user@host:port`, `local`). */
  readonly target: string;
  exec(cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult>;
}

export interface Host extends HostExec {
  /** A command with live streams (long outputs: traces, journals). Resolves once it runs. */
  execStream(cmd: ShellCommand, opts?: { stdin?: string | Buffer }): Promise<RemoteProcess>;
  /** A file's bytes; undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Replaces a file so that readers see the old or the new content, never a mix (shell.ts atomicWriteCommand). */
  writeFileAtomic(path: string, data: string | Buffer, opts?: { mode?: number }): Promise<void>;
  /** Host and unit facts (remote/probe.ts: one script for both hosts). */
  facts(unit: string): Promise<HostFacts>;
}

export interface HostLink extends HostExec {
  /** The connection is gone: later commands fail (a Link dials a new one). */
  readonly closed: boolean;
  /** Ends the connection. Idempotent. */
  close(): Promise<void>;
}

/** What a profiling or recording session works on: a whole Host over a link that can be cut. */
export interface SessionHost extends Host, HostLink {
  /** The host's name (a profile's source `unit:NAME@host`, messages). */
  readonly host: string;
}

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** `sh -c` on this machine, as the current user (no sudo): what `hush run` and tests use. */
export class LocalShell implements Host {
  readonly target = 'local';

  /** `env`: the commands' environment (default: this process's). */
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /**
   * This machine as if the traced command were a system service named `unit` run by the current
   * user (no unit file: no properties but User=, no drop-ins, no Exec lines).
   */
  facts(unit: string): Promise<HostFacts> {
    const { uid, username } = userInfo();
    return probeLocal(this, unit, { uid, username });
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async writeFileAtomic(path: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    await this.exec(atomicWriteCommand(path, opts.mode), { stdin: data, check: true });
  }

  execStream(cmd: ShellCommand, opts: { stdin?: string | Buffer } = {}): Promise<RemoteProcess> {
    // Its own process group, so kill reaches what the shell started too (as the SSH channel's end does).
    const child = spawn('sh', ['-c', cmd.text], {
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdin.on('error', () => undefined); // a command that does not read its stdin
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    const done = new Promise<{ code: number; signal?: string }>((resolve) => {
      child.on('error', () => resolve({ code: -1 }));
      child.on('close', (code, signal) =>
        resolve(
          code === null ? { code: -1, ...(signal ? { signal: signal.replace(/^SIG/, '') } : {}) } : { code },
        ),
      );
    });
    return Promise.resolve({
      stdout: child.stdout,
      stderr: child.stderr,
      stdin: child.stdin,
      done,
      kill: (signal = 'TERM') => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, `SIG${signal}`);
        } catch {
          /* already gone */
        }
      },
    });
  }

  async exec(cmd: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    const limited = timeLimited(cmd, opts.timeoutMs);
    const t0 = Date.now();
    const result = await this.#run(limited.text, opts);
    const timedOut =
      opts.timeoutMs !== undefined &&
      (result.code === 124 || result.code === 137) &&
      Date.now() - t0 >= opts.timeoutMs - 1000;
    if (timedOut) throw new CommandTimeoutError(cmd.text, opts.timeoutMs ?? 0, result);
    if (opts.check && result.code !== 0) throw new RemoteCommandError(cmd.text, result);
    return result;
  }

  #run(script: string, opts: ExecOptions): Promise<ExecResult> {
    const max = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', script], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const collect = (into: Buffer[]) => {
        let size = 0;
        return (b: Buffer) => {
          if (size < max) into.push(b.subarray(0, max - size));
          size += b.length;
        };
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => undefined); // a command that does not read its stdin
      child.stdin.end(opts.stdin ?? '');
      let settled = false;
      const finish = (code: number, signal?: string) => {
        if (settled) return;
        settled = true;
        const r: ExecResult = {
          code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        };
        if (signal) r.signal = signal;
        resolve(r);
      };
      child.on('error', (e) => {
        err.push(Buffer.from(`cannot run sh: ${e.message}`));
        finish(-1);
      });
      child.on('close', (code, signal) => finish(code ?? -1, signal ?? undefined));
    });
  }
}
