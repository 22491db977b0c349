/**
 * The window: the unit runs under the recorder for a duration and/or while workloads run (on the
 * host as root, and/or on the controller), or until the caller's AbortSignal fires. Whichever
 * ends first ends the others (5 s grace for workloads to exit).
 */
import { spawn } from 'node:child_process';
import { ProfilingError } from '../../core/profiling/errors';
import { childEnv, userScriptFromStdin } from '../shell';
import type { Link } from './link';
import type { ProfileServiceOptions, ProfileServiceResult } from './options';
import { sleep } from './sleep';

type Workloads = ProfileServiceResult['workloads'];

export async function runWindow(
  opts: ProfileServiceOptions,
  link: Link,
  log: (l: string) => void,
): Promise<Workloads> {
  const result: Workloads = {};
  const waits: Promise<void>[] = [];
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort());
  if (opts.durationMs !== undefined) waits.push(sleep(opts.durationMs, stop.signal));
  if (opts.remoteWorkload !== undefined)
    waits.push(hostWorkload(opts.remoteWorkload, link, stop.signal, log, result));
  if (opts.localWorkload !== undefined)
    waits.push(localWorkload(opts.localWorkload, stop.signal, log, result));
  if (waits.length === 0) {
    if (!opts.signal)
      throw new ProfilingError('no profile window: give a duration, a workload or an abort signal');
    await aborted(stop.signal);
    return result;
  }
  await Promise.race([Promise.all(waits), aborted(stop.signal)]);
  stop.abort();
  await Promise.race([Promise.all(waits), sleep(5000, undefined, { unref: true })]);
  return result;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve());
  });
}

/**
 * The host workload: a shell as root over the session's connection, ended by `stop`. The script
 * travels on stdin: an argv is visible to every user of the host (`ps`) and logged by sudo, and a
 * workload may carry a token.
 */
async function hostWorkload(
  cmd: string,
  link: Link,
  stop: AbortSignal,
  log: (l: string) => void,
  result: Workloads,
): Promise<void> {
  log('running the host workload');
  const conn = await link.get();
  const proc = await conn.execStream(userScriptFromStdin(), { stdin: cmd });
  proc.stdout.on('data', (b: Buffer) => log(`[host workload] ${b.toString('utf8').trimEnd()}`));
  proc.stderr.on('data', (b: Buffer) => log(`[host workload] ${b.toString('utf8').trimEnd()}`));
  stop.addEventListener('abort', () => proc.kill('TERM'));
  const r = await proc.done;
  result.remote = { code: r.code };
  log(`host workload exited with ${r.code}`);
}

/** The controller's workload: `sh -c` here, without hush's own credentials (childEnv), ended by `stop`. */
function localWorkload(
  cmd: string,
  stop: AbortSignal,
  log: (l: string) => void,
  result: Workloads,
): Promise<void> {
  return new Promise<void>((resolve) => {
    log('running the local workload');
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    child.stdout.on('data', (b: Buffer) => log(`[workload] ${b.toString('utf8').trimEnd()}`));
    child.stderr.on('data', (b: Buffer) => log(`[workload] ${b.toString('utf8').trimEnd()}`));
    stop.addEventListener('abort', () => child.kill('SIGTERM'));
    child.on('close', (code, signal) => {
      result.local = signal ? { code, signal } : { code };
      log(`local workload exited with ${signal ?? code}`);
      resolve();
    });
    child.on('error', (err) => {
      result.local = { code: null, signal: err.message };
      resolve();
    });
  });
}
