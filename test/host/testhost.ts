// The TypeScript side of scripts/testhost: boot, reset and stop disposable Debian VMs with a real
// systemd PID 1. All VM work is done by the bash script (one implementation for people, CI and
// jest); this module runs it, validates what it prints with zod, and loads the key material.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const TEST_HOST_IMAGES = ['debian-12', 'debian-13'] as const;
export type TestHostImage = (typeof TEST_HOST_IMAGES)[number];

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const TESTHOST_SCRIPT = path.join(REPO_ROOT, 'scripts', 'testhost');

/** What `scripts/testhost up|info` prints: one JSON object. */
export const HostInfoSchema = z.object({
  name: z.string().min(1),
  image: z.enum(TEST_HOST_IMAGES),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  privateKeyPath: z.string().min(1),
  /** "ssh-ed25519 AAAA…", the only host key the harness accepts */
  hostKey: z.string().regex(/^ssh-ed25519 [A-Za-z0-9+/=]+$/),
  /** "SHA256:…", as `ssh-keygen -l` prints it */
  hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]+$/),
  knownHostsPath: z.string().min(1),
});
export type HostInfo = z.infer<typeof HostInfoSchema>;

/** Connection details of a running test host (plain data: safe to hand to other modules). */
export interface TestHostConnection extends HostInfo {
  /** PEM/OpenSSH private key text, for libraries that want the key rather than a path */
  privateKey: string;
}

export interface ScriptResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs scripts/testhost with arguments passed as argv (never through a shell). Progress on its
 * stderr is forwarded to ours when HUSH_TESTHOST_VERBOSE=1, and is part of the error otherwise.
 * On timeout the script gets SIGTERM, on which it stops whatever it had started. `env` is laid
 * over ours (e.g. a private HUSH_CACHE, a TESTHOST_SCOPE).
 */
export function runTesthost(
  args: readonly string[],
  timeoutMs = 30 * 60_000,
  env: NodeJS.ProcessEnv = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    execFile(
      TESTHOST_SCRIPT,
      [...args],
      {
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGTERM',
        env: { ...process.env, ...env },
      },
      (error, stdout, stderr) => {
        if (process.env.HUSH_TESTHOST_VERBOSE === '1' && stderr) process.stderr.write(stderr);
        if (error) {
          reject(new Error(`scripts/testhost ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

export function parseHostInfo(stdout: string): HostInfo {
  const line = stdout.trim().split('\n').pop() ?? '';
  return HostInfoSchema.parse(JSON.parse(line));
}

export function toConnection(info: HostInfo): TestHostConnection {
  return { ...info, privateKey: readFileSync(info.privateKeyPath, 'utf8') };
}

export interface StartOptions {
  /** instance name (default: the image name); lets several runs or workers have their own VM */
  name?: string;
  /** the instance is stopped by a watchdog as soon as this process is gone */
  ownerPid?: number;
  /** a real cold boot (~15 s under TCG) instead of restoring the saved booted state (~5 s) */
  cold?: boolean;
}

function startArgs(options: StartOptions): string[] {
  const args: string[] = [];
  if (options.name) args.push('--name', options.name);
  if (options.ownerPid !== undefined) args.push('--owner-pid', String(options.ownerPid));
  if (options.cold) args.push('--cold');
  return args;
}

/** Boots (or joins, when it already runs) an instance; builds the image first if needed. */
export async function startHost(
  image: TestHostImage,
  options: StartOptions = {},
): Promise<TestHostConnection> {
  const { stdout } = await runTesthost(['up', image, ...startArgs(options)]);
  return toConnection(parseHostInfo(stdout));
}

/** Returns a running instance to its freshly booted state (same name; the port may change). */
export async function resetHost(name: string): Promise<TestHostConnection> {
  const { stdout } = await runTesthost(['reset', name]);
  return toConnection(parseHostInfo(stdout));
}

export async function stopHosts(names: readonly string[]): Promise<void> {
  if (names.length > 0) await runTesthost(['down', ...names], 120_000);
}

/** Builds the images whose recipe changed; ownerPid: the build stops when that process is gone. */
export async function buildImages(
  images: readonly TestHostImage[] = TEST_HOST_IMAGES,
  options: { ownerPid?: number } = {},
): Promise<void> {
  const owner = options.ownerPid === undefined ? [] : ['--owner-pid', String(options.ownerPid)];
  await runTesthost(['build', ...images, ...owner]);
}

const dash = (s: string) => (s === '-' ? null : s);

/** One line of `scripts/testhost ps`: a hush test VM of this machine, or a run directory left without one. */
export const VmStatusSchema = z.object({
  pid: z.union([z.literal('-').transform(() => null), z.coerce.number().int().positive()]),
  name: z.string().min(1),
  image: z.string().min(1).transform(dash),
  port: z.union([z.literal('-').transform(() => null), z.coerce.number().int().min(1).max(65535)]),
  /** up: a running instance; snapshot: a build's boot; untracked: nothing tracks it (a leak); dead: a run directory without a VM */
  state: z.enum(['up', 'snapshot', 'untracked', 'dead']),
  scope: z.string().min(1).transform(dash),
  runDir: z.string().min(1),
});
export type VmStatus = z.infer<typeof VmStatusSchema>;

export function parseVmStatus(stdout: string): VmStatus[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      // PID NAME IMAGE PORT STATE AGE CPU OWNER SCOPE RUNDIR (RUNDIR may end in " (gone)")
      const [pid, name, image, port, state, _age, _cpu, _owner, scope, ...runDir] = line.trim().split(/\s+/);
      return VmStatusSchema.parse({ pid, name, image, port, state, scope, runDir: runDir.join(' ') });
    });
}

/** Every hush test VM running on this machine (any cache, any user), as `scripts/testhost ps` sees them. */
export async function listHosts(env: NodeJS.ProcessEnv = {}): Promise<VmStatus[]> {
  const { stdout } = await runTesthost(['ps'], 60_000, env);
  return parseVmStatus(stdout);
}
