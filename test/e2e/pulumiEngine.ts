// The real Pulumi engine for end-to-end tests: the CLI built by scripts/install-pulumi, a
// throwaway file backend and PULUMI_HOME per suite, a passphrase from the environment, and
// cleanup in `finally` (the shape of pulumi/pulumi's automation test utilities).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const PulumiEnv = z.object({
  version: z.string(),
  root: z.string(),
  binDir: z.string(),
  env: z.record(z.string(), z.string()),
});

export interface Engine {
  /** Environment for `pulumi` calls: PATH with the engine and Node 24, offline settings, backend. */
  env: NodeJS.ProcessEnv;
  binDir: string;
  /** The state directory (file backend) and PULUMI_HOME; removed by dispose(). */
  stateDir: string;
  dispose(): void;
}

/** A fresh backend + PULUMI_HOME with the project's engine (scripts/pulumi-env). */
export function createEngine(): Engine {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hush-pulumi-'));
  const backend = path.join(stateDir, 'backend');
  const home = path.join(stateDir, 'home');
  const raw = execFileSync(path.join(REPO_ROOT, 'scripts', 'pulumi-env'), ['--json'], {
    env: { ...process.env, PULUMI_HOME: home, PULUMI_BACKEND_URL: `file://${backend}` },
    encoding: 'utf8',
  });
  const parsed = PulumiEnv.parse(JSON.parse(raw));
  execFileSync('mkdir', ['-p', backend, home]);
  return {
    env: {
      ...process.env,
      ...parsed.env,
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? 'hush-e2e',
    },
    binDir: parsed.binDir,
    stateDir,
    dispose: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the pulumi CLI in `cwd` (a project directory) and collects its output. */
export function pulumi(
  engine: Engine,
  cwd: string,
  args: string[],
  timeoutMs = 30 * 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(engine.binDir, 'pulumi'), [...args, '--non-interactive'], {
      cwd,
      env: engine.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Like pulumi() but fails with the whole output when the exit code is not 0. */
export async function pulumiOk(engine: Engine, cwd: string, args: string[]): Promise<CliResult> {
  const r = await pulumi(engine, cwd, args);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}
