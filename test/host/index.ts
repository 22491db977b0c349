// Jest-facing API of the hush test hosts.
//
//   import { withTestHost, checkService } from '../host';
//   test('nginx still serves', () =>
//     withTestHost('debian-13', async (host) => {
//       const r = await host.exec('systemctl is-active nginx');
//       expect((await checkService(host, 'nginx')).ok).toBe(true);
//     }), HOST_TEST_TIMEOUT_MS);
//
// Each jest worker gets its own VM per image, booted once (globalSetup boots worker 1's) and
// returned to its freshly booted state before a test that follows another one on it, so every
// test starts from the pristine host. All VMs of a run are stopped by globalTeardown, by an exit
// hook, and by a watchdog tied to the jest process (also on SIGKILL).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execOn, connect, type ExecOptions, type ExecResult } from './ssh';
import {
  resetHost,
  startHost,
  stopHosts,
  TEST_HOST_IMAGES,
  TESTHOST_SCRIPT,
  type TestHostConnection,
  type TestHostImage,
} from './testhost';
import { spawnSync } from 'node:child_process';

export { checkService, securityBaseline, corpusServices, startCorpus, CORPUS_TARGET } from './checks';
export type { CheckResult, UnitExposure, CorpusService } from './checks';
export { TEST_HOST_IMAGES, startHost, stopHosts, resetHost, buildImages } from './testhost';
export type { TestHostConnection, TestHostImage, HostInfo } from './testhost';
export { sshExec, connect, execOn } from './ssh';
export type { ExecResult, ExecOptions } from './ssh';

/**
 * The images a host test file runs on: HUSH_TESTHOST_IMAGES (comma-separated) narrows the default
 * of every image, so one can run a file against the host one is debugging without booting both.
 */
export function imagesUnderTest(): TestHostImage[] {
  const wanted = (process.env.HUSH_TESTHOST_IMAGES ?? '').split(',').map((s) => s.trim());
  const chosen = TEST_HOST_IMAGES.filter((i) => wanted.includes(i));
  return chosen.length > 0 ? chosen : [...TEST_HOST_IMAGES];
}

/** A generous per-test timeout for host tests: everything runs under TCG emulation here. */
export const HOST_TEST_TIMEOUT_MS = 10 * 60_000;

/** Environment contract between globalSetup (jest parent) and the test workers. */
export const ENV_RUN_ID = 'HUSH_TESTHOST_RUN';
export const ENV_OWNER_PID = 'HUSH_TESTHOST_OWNER';

export interface TestHost extends TestHostConnection {
  /** runs a command as root over SSH (host key pinned); one connection per call */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
}

/** Runs `command` on the host and returns its stdout; a non-zero exit throws with its stderr. */
export async function hostOutput(host: TestHost, command: string): Promise<string> {
  const r = await host.exec(command);
  if (r.code !== 0) throw new Error(`${command}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

interface RunContext {
  runId: string;
  ownerPid: number;
}

let adhocContext: RunContext | undefined;

/** The run this process belongs to: the jest run of globalSetup, or an ad-hoc one of its own. */
function runContext(): RunContext {
  const runId = process.env[ENV_RUN_ID];
  const owner = Number(process.env[ENV_OWNER_PID]);
  if (runId && Number.isInteger(owner) && owner > 0) return { runId, ownerPid: owner };
  if (!adhocContext) {
    // outside jest's globalSetup: this process owns its VMs and stops them when it exits
    adhocContext = { runId: `adhoc-${process.pid}`, ownerPid: process.pid };
    const prefix = adhocContext.runId;
    process.once('exit', () => stopRunSync(prefix));
  }
  return adhocContext;
}

export function instanceName(
  runId: string,
  image: TestHostImage,
  worker = process.env.JEST_WORKER_ID ?? '1',
) {
  return `${runId}-${image}-w${worker}`;
}

/** Stops every instance of a run, any worker's (synchronous: usable in exit hooks). */
export function stopRunSync(runId: string): void {
  spawnSync(TESTHOST_SCRIPT, ['down', '--prefix', `${runId}-`], { stdio: 'ignore', timeout: 120_000 });
}

// One test at a time per VM: tests of one file run serially, but test.concurrent would not.
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(task);
  queues.set(key, next);
  return next;
}

/**
 * Hands a pristine test host of the given image to fn. The instance is booted on first use in
 * this worker (or joined if globalSetup booted it), and reset to its booted state first if an
 * earlier test used it. A marker file in the instance's run directory records that use, so the
 * reset also happens across test files (jest reloads modules per file).
 */
export function withTestHost<T>(image: TestHostImage, fn: (host: TestHost) => Promise<T>): Promise<T> {
  const { runId, ownerPid } = runContext();
  const name = instanceName(runId, image);
  return serialized(name, async () => {
    let connection = await startHost(image, { name, ownerPid });
    const usedMarker = path.join(path.dirname(connection.knownHostsPath), 'used-by-test');
    if (existsSync(usedMarker)) connection = await resetHost(name);
    writeFileSync(path.join(path.dirname(connection.knownHostsPath), 'used-by-test'), `${process.pid}\n`);
    const host: TestHost = {
      ...connection,
      exec: async (command, options) => {
        const client = await connect(connection);
        try {
          return await execOn(client, command, options);
        } finally {
          client.end();
        }
      },
    };
    return fn(host);
  });
}

/** Stops this worker's instances now (e.g. in afterAll of a file that wants its memory back). */
export async function releaseTestHosts(): Promise<void> {
  const { runId } = runContext();
  await stopHosts(TEST_HOST_IMAGES.map((image) => instanceName(runId, image)));
}
