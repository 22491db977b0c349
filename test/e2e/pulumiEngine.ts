// The real Pulumi engine for end-to-end tests: the CLI built by scripts/install-pulumi, a
// throwaway file backend and PULUMI_HOME per suite, a passphrase from the environment, and
// cleanup in `finally` (the shape of pulumi/pulumi's automation test utilities).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { hostOutput, type TestHost } from '../host';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const PulumiEnv = z.object({
  version: z.string(),
  root: z.string(),
  binDir: z.string(),
  python: z.string(),
  env: z.record(z.string(), z.string()),
});

export interface Engine {
  /** Environment for `pulumi` calls: PATH with the engine and Node 24, offline settings, backend. */
  env: NodeJS.ProcessEnv;
  binDir: string;
  /** The Python of the virtualenv with the Pulumi Python SDK (install-pulumi --with-python). */
  python: string;
  /** The state directory (file backend) and PULUMI_HOME; removed by dispose(). */
  stateDir: string;
  /** Everything every `pulumi` call of this engine printed (checked for leaked secrets). */
  transcript: { path: string; text: string }[];
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
      // The Python Automation API finds the engine here (examples/python/automation.py).
      HUSH_PULUMI_ROOT: parsed.root,
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? 'hush-e2e',
    },
    binDir: parsed.binDir,
    python: parsed.python,
    stateDir,
    transcript: [],
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
  opts: { timeoutMs?: number; stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return run(engine, path.join(engine.binDir, 'pulumi'), [...args, '--non-interactive'], cwd, opts);
}

/** Runs a program in the engine's environment, collecting its output (and the transcript). */
export function run(
  engine: Engine,
  program: string,
  args: string[],
  cwd: string,
  opts: { timeoutMs?: number; stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd,
      env: { ...engine.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A secret goes in on stdin (as `pulumi config set KEY --secret` reads it), never in argv.
    child.stdin.end(opts.stdin ?? '');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 30 * 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = {
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      engine.transcript.push({
        path: `${path.basename(program)} ${args.join(' ')}`,
        text: result.stdout + result.stderr,
      });
      resolve(result);
    });
  });
}

/** Like pulumi() but fails with the whole output when the exit code is not 0. */
export async function pulumiOk(
  engine: Engine,
  cwd: string,
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const r = await pulumi(engine, cwd, args, opts);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** One step of `pulumi preview --json`, reduced to what the tests assert on. */
export interface PreviewStep {
  op: string;
  /** The resource's type token, e.g. `pulumi-nodejs:dynamic/hush:ServiceProfile`. */
  type: string;
  name: string;
  diffReasons: string[];
  replaceReasons: string[];
}

const PreviewJson = z.object({
  steps: z
    .array(
      z.object({
        op: z.string(),
        urn: z.string(),
        diffReasons: z.array(z.string()).optional(),
        replaceReasons: z.array(z.string()).optional(),
      }),
    )
    .default([]),
  changeSummary: z.record(z.string(), z.number()).default({}),
});

/** The steps and change summary of a `pulumi preview --json` output. */
export function parsePreview(stdout: string): {
  steps: PreviewStep[];
  changeSummary: Record<string, number>;
} {
  const parsed = PreviewJson.parse(JSON.parse(stdout));
  return {
    changeSummary: parsed.changeSummary,
    steps: parsed.steps.map((s) => {
      // urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME — the type is the last `$` segment.
      const [, , typePath = '', name = ''] = s.urn.split('::');
      return {
        op: s.op,
        type: typePath.split('$').pop() ?? typePath,
        name,
        diffReasons: s.diffReasons ?? [],
        replaceReasons: s.replaceReasons ?? [],
      };
    }),
  };
}

export const SERVICE_PROFILE_TYPE = 'pulumi-nodejs:dynamic/hush:ServiceProfile';
export const HARDENING_DROPIN_TYPE = 'pulumi-nodejs:dynamic/hush:HardeningDropIn';
/** The same resources served by the provider plugin. */
export const PLUGIN_SERVICE_PROFILE_TYPE = 'hush:index:ServiceProfile';
export const PLUGIN_HARDENING_DROPIN_TYPE = 'hush:index:HardeningDropIn';

const StackHistory = z.array(
  z.object({
    kind: z.string(),
    result: z.string(),
    resourceChanges: z.record(z.string(), z.number()).optional(),
  }),
);

/** The newest update of a stack (kind, result, resourceChanges), from `pulumi stack history --json`. */
export async function lastUpdate(
  engine: Engine,
  cwd: string,
  stackArgs: string[],
): Promise<z.infer<typeof StackHistory>[number]> {
  const r = await pulumiOk(engine, cwd, ['stack', 'history', '--json', ...stackArgs]);
  const history = StackHistory.parse(JSON.parse(r.stdout));
  const newest = history[0];
  if (!newest) throw new Error('the stack has no history');
  return newest;
}

/** A resource's outputs in the stack's state (`pulumi stack export`: secrets stay encrypted). */
export async function resourceOutputs(
  engine: Engine,
  cwd: string,
  stackArgs: string[],
  type: string,
): Promise<Record<string, unknown>> {
  const r = await pulumiOk(engine, cwd, ['stack', 'export', ...stackArgs]);
  const state = z
    .object({
      deployment: z.object({
        resources: z.array(
          z.object({ type: z.string(), outputs: z.record(z.string(), z.unknown()).optional() }),
        ),
      }),
    })
    .parse(JSON.parse(r.stdout));
  const matches = state.deployment.resources.filter((res) => res.type === type);
  if (matches.length !== 1) throw new Error(`expected one ${type} in the state, found ${matches.length}`);
  return matches[0]?.outputs ?? {};
}

/** Every file under the engine's state directory (backend: stacks, backups, history), as text. */
export function stateFilesText(engine: Engine): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push({ path: p, text: readFileSync(p).toString('latin1') });
    }
  };
  walk(path.join(engine.stateDir, 'backend'));
  return out;
}

/**
 * The distinctive lines of a private key (its base64 body, not the BEGIN/END armour nor the
 * format header every OpenSSH key shares): any one of them in a file or a log is a leak.
 */
export function privateKeyLines(privateKey: string): string[] {
  const body = privateKey
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('-----'));
  // The first line of an OpenSSH key starts with the same header for every key; keep its tail.
  return body.map((l, i) => (i === 0 ? l.slice(40) : l)).filter((l) => l.length >= 16);
}

/** Fails naming the places where any of `secrets` (distinctive strings) shows up in plain text. */
export function expectNoneInPlain(
  what: string,
  secrets: readonly string[],
  places: { path: string; text: string }[],
): void {
  if (secrets.length === 0 || secrets.some((s) => s.length < 8))
    throw new Error(`the leak check for ${what} needs distinctive strings of 8 characters or more`);
  const leaks = places.filter((p) => secrets.some((s) => p.text.includes(s))).map((p) => p.path);
  if (leaks.length > 0) throw new Error(`${what} appears in plain text in: ${leaks.join(', ')}`);
}

/** Fails naming the place when any line of the private key (or its armour) shows up in `places`. */
export function expectNoPrivateKey(privateKey: string, places: { path: string; text: string }[]): void {
  const lines = privateKeyLines(privateKey);
  if (lines.length === 0) throw new Error('the test key has no body lines: the leak check would be empty');
  expectNoneInPlain('the private key', ['PRIVATE KEY', ...lines], places);
}

/**
 * How many requests nginx logged from user agent `agent`: the e2e programs give their secret
 * workload and health commands their own agents, so the access log proves each one ran.
 */
export async function nginxRequestsFrom(host: TestHost, agent: string): Promise<number> {
  return Number(await hostOutput(host, `grep -c -F -- ' "${agent}"' /var/log/nginx/access.log || true`));
}
