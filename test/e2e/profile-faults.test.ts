/**
 * Faults during a profiling session, on the Debian 12 and 13 test hosts. Each ends with the unit
 * active on its own configuration and no hush wrapper, FIFO holder, watchdog or strace left:
 * - strace missing on the host: a clear error, the unit never touched;
 * - the SSH connection cut in the middle of the window: hush re-dials, re-attaches its trace
 *   readers and finishes normally;
 * - the controller SIGKILLed mid-profile: the host watchdog restores the unit within its timeout;
 * - a controller gone and its watchdog gone too: the next hush operation clears the leftovers
 *   (and refuses while the other controller's heartbeat is still fresh).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { imagesUnderTest, withTestHost, type TestHost } from '../host';
import { connect } from '../../remote/connection';
import { profileService, StraceMissingError } from '../../remote/profile';
import { sessionPaths } from '../../remote/profile/layout';
import { clearLeftovers, ProfilingInProgressError } from '../../remote/profile/leftovers';
import {
  cliTargetFlags,
  connectionArgs,
  connector,
  CuttableRelay,
  profilingLeftovers,
  sleep,
  unitSnapshot,
  waitFor,
} from './profile-support';

const TIMEOUT = 25 * 60_000;
const REPO = path.resolve(__dirname, '..', '..');
const UNIT = 'nginx.service';

/** Runs the real CLI (`hush profile`) in a child process; resolves once its window is open. */
function spawnProfiler(host: TestHost, watchdogSec: number) {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(__dirname, '..', '..', 'scripts', 'ts-register.cjs'),
      path.join(REPO, 'cli', 'main.ts'),
      'profile',
      UNIT,
      ...cliTargetFlags(host),
      '--duration',
      '30m',
      '--watchdog-timeout',
      `${watchdogSec}s`,
      '-o',
      '/dev/null',
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const windowOpen = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (stderr.includes('profiling window open')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`hush profile exited early (${code}):\n${stderr}`)));
  });
  return { child, windowOpen, stderr: () => stderr };
}

async function restoredAndClean(host: TestHost, cat: string): Promise<boolean> {
  const now = await unitSnapshot(host, UNIT);
  return now.active === 'active' && now.cat === cat && (await profilingLeftovers(host, UNIT)) === '';
}

describe.each(imagesUnderTest())('profiling faults on %s', (image) => {
  const log = (l: string) => process.stderr.write(`[${image}] ${l}\n`);

  test(
    'strace missing: clear error, unit untouched',
    () =>
      withTestHost(image, async (host) => {
        const before = await unitSnapshot(host, UNIT);
        await host.exec('mv /usr/bin/strace /usr/bin/strace.hidden');
        try {
          const err = await profileService({
            unit: UNIT,
            connect: connector(host),
            durationMs: 1000,
            log,
          }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(StraceMissingError);
          expect((err as Error).message).toMatch(/strace is not installed.*nginx\.service was not changed/s);
        } finally {
          await host.exec('mv /usr/bin/strace.hidden /usr/bin/strace');
        }
        const after = await unitSnapshot(host, UNIT);
        expect(after).toEqual(before); // same text, same main process: never restarted
        expect(await profilingLeftovers(host, UNIT)).toBe('');
      }),
    TIMEOUT,
  );

  test(
    'SSH connection cut during the window: re-dialled, readers re-attached, finished normally',
    () =>
      withTestHost(image, async (host) => {
        const before = await unitSnapshot(host, UNIT);
        const relay = new CuttableRelay(host.host, host.port);
        const port = await relay.listen();
        try {
          let cutAt = 0;
          let reattachedInWindow = false;
          let windowClosed = false;
          const r = await profileService({
            unit: UNIT,
            connect: () => connect(connectionArgs(host, { host: '127.0.0.1', port })),
            // long enough for the re-dial and re-attach (seconds) to happen inside the window
            durationMs: 30_000,
            watchdogTimeoutSec: 120,
            log: (l) => {
              log(l);
              if (l.startsWith('closing the window')) windowClosed = true;
              if (l.startsWith('re-attaching') && !windowClosed) reattachedInWindow = true;
              if (l.includes('profiling window open') && cutAt === 0) {
                cutAt = Date.now();
                setTimeout(() => relay.cut(), 3000);
              }
            },
          });
          expect(relay.cuts).toBe(1);
          expect(r.reconnects).toBeGreaterThanOrEqual(1);
          expect(reattachedInWindow).toBe(true);
          expect(r.restored).toEqual({ wasActive: true, activeState: 'active', catIdentical: true });
          // the start-up trace (before the cut) made it into the profile
          expect(
            r.profile.actions.some(
              (a) =>
                a.action.kind === 'net' &&
                (a.action as { op: string; port?: number }).op === 'bind' &&
                (a.action as { port?: number }).port === 80,
            ),
          ).toBe(true);
          // the final stop was traced by a reader attached after the reconnect
          expect(r.segments.some((s) => s.slot === 'ExecStop-0' && s.complete)).toBe(true);
        } finally {
          await relay.close();
        }
        expect(await restoredAndClean(host, before.cat)).toBe(true);
      }),
    TIMEOUT,
  );

  test(
    'controller killed mid-profile: the host watchdog restores the unit within its timeout',
    () =>
      withTestHost(image, async (host) => {
        const before = await unitSnapshot(host, UNIT);
        // long enough that a heartbeat delayed by a busy emulated host does not fire it early
        const watchdogSec = 20;
        const p = spawnProfiler(host, watchdogSec);
        await p.windowOpen;
        const wrapped = await host.exec(`systemctl cat ${UNIT} | grep -c zz-hush-profile.conf`);
        expect(wrapped.stdout.trim()).toBe('1');
        p.child.kill('SIGKILL');
        const killedAt = Date.now();
        // while the dead controller's heartbeat is fresh, another operation refuses to interfere
        await expect(clearLeftovers(await connector(host)(), UNIT)).rejects.toBeInstanceOf(
          ProfilingInProgressError,
        );
        const took = await waitFor(() => restoredAndClean(host, before.cat), 10 * 60_000, 1000);
        log(`watchdog restored ${UNIT} ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
        expect(took).toBeGreaterThan(0);
        const journal = await host.exec(
          `journalctl --no-pager -u '${sessionPaths(UNIT).watchdogUnit}.service'`,
        );
        expect(journal.stdout).toMatch(/no heartbeat from the profiling controller/);
        expect(journal.stdout).toMatch(/profiling wrapper removed from nginx\.service/);
      }),
    TIMEOUT,
  );

  test(
    'controller and watchdog both gone: the next hush operation clears the leftovers',
    () =>
      withTestHost(image, async (host) => {
        const before = await unitSnapshot(host, UNIT);
        const watchdogSec = 30;
        const p = spawnProfiler(host, watchdogSec);
        await p.windowOpen;
        p.child.kill('SIGKILL');
        // take the watchdog away too (as if its timer had been stopped by hand)
        await host.exec(`systemctl stop '${sessionPaths(UNIT).watchdogUnit}.timer'`);
        await sleep((watchdogSec + 2) * 1000);
        expect(await profilingLeftovers(host, UNIT)).toContain('zz-hush-profile.conf');
        const conn = await connector(host)();
        try {
          const r = await clearLeftovers(conn, UNIT, { log });
          expect(r.cleared).toBe(true);
          expect(r.found).toEqual(expect.arrayContaining(['drop-in', 'session-dir']));
          // a second look finds nothing
          expect((await clearLeftovers(conn, UNIT)).cleared).toBe(false);
        } finally {
          await conn.close();
        }
        expect(await restoredAndClean(host, before.cat)).toBe(true);
      }),
    TIMEOUT,
  );
});
