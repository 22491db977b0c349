/**
 * The host a step runs commands on, as the steps see it: a target name for messages and `exec`
 * with the semantics of remote/connection.ts (ExecOptions: stdin, a time limit run by coreutils
 * `timeout`, `check`, an output cap). The SSH `Connection` is one; `LocalShell` runs the same
 * commands on this machine, so probe, exec-mode and drop-in-state code is the same for both and
 * is tested against a real shell, not a cast.
 *
 *   const facts = await withExecModes(new LocalShell(), profile, facts0);
 */
import { spawn } from 'node:child_process';
import { CommandTimeoutError, RemoteCommandError, type ExecOptions, type ExecResult } from './connection';
import { timeLimited, type ShellCommand } from './shell';

export interface HostExec {
  /** Names the host in messages (`user@host:port`, `local`). */
  readonly target: string;
  exec(cmd: ShellCommand, opts?: ExecOptions): Promise<ExecResult>;
}

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** `sh -c` on this machine, as the current user (no sudo): what `hush run` and tests use. */
export class LocalShell implements HostExec {
  readonly target = 'local';

  /** `env`: the commands' environment (default: this process's). */
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

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
