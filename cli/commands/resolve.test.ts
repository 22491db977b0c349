/**
 * `hush resolve` on real strace logs captured at test time (the local strace) and on profiles:
 * inputs merge, --systemd-version gates, the drop-in and the JSON agree.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseDropIn } from '../../core/dropin';
import type { Plan } from '../../core/resolve/plan';
import { main } from '../main';

jest.setTimeout(60_000);

async function hush(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

let dir: string;
let catLog: string;
let chrtLog: string;

function trace(name: string, cmd: string[]): string {
  const log = join(dir, `${name}.log`);
  execFileSync('strace', ['-f', '-xx', '-y', '-v', '-o', log, '--', ...cmd], { stdio: 'ignore' });
  return log;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hush-resolve-'));
  catLog = trace('cat', ['cat', '/proc/cpuinfo']);
  chrtLog = trace('chrt', ['chrt', '-f', '5', 'true']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hush resolve', () => {
  it('prints a drop-in for a strace log, using this machine as the target', async () => {
    const r = await hush(['resolve', catLog]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/using this machine/);
    const dropIn = parseDropIn(r.stdout);
    expect(dropIn.sections).toEqual(['Service']);
    expect(dropIn.ignored).toEqual([]);
    const names = dropIn.assignments.map((a) => a.option);
    expect(names).toEqual(
      expect.arrayContaining(['ProtectSystem', 'RestrictRealtime', 'CapabilityBoundingSet']),
    );
  });

  it('merges several inputs: the union of behaviours blocks what either needed', async () => {
    const alone = JSON.parse((await hush(['resolve', '--json', catLog])).stdout) as { plan: Plan };
    const merged = JSON.parse((await hush(['resolve', '--json', catLog, chrtLog])).stdout) as { plan: Plan };
    const has = (p: Plan, o: string) => p.chosen.some((d) => d.option === o);
    expect(has(alone.plan, 'RestrictRealtime')).toBe(true);
    expect(has(merged.plan, 'RestrictRealtime')).toBe(false);
    const rej = merged.plan.rejected.find((x) => x.option === 'RestrictRealtime')!;
    expect(rej.blockedBy?.ev.syscall).toBe('sched_setscheduler');
    expect(rej.blockedBy?.ev.run).toBe(1); // the evidence says which input it came from
  });

  it('reads profiles written by hush run, and --systemd-version gates options', async () => {
    const profile = join(dir, 'true.profile.json');
    expect((await hush(['run', '--profile', profile, '--', 'true'])).code).toBe(0);
    const at240 = JSON.parse(
      (await hush(['resolve', '--json', '--systemd-version', '240', profile])).stdout,
    ) as { plan: Plan };
    expect(at240.plan.systemdVersion).toBe(240);
    expect(at240.plan.chosen.some((d) => d.option === 'ProtectProc')).toBe(false);
    expect(at240.plan.rejected.find((x) => x.option === 'ProtectProc')!.why).toMatch(/systemd ≥ 247/);
    // 240 is older than every bundled syscall list: no guessed SystemCallFilter.
    expect(at240.plan.chosen.some((d) => d.option === 'SystemCallFilter')).toBe(false);
  });

  it('applies --set / --forbid / --writable', async () => {
    const r = await hush([
      'resolve',
      '--set',
      'ProtectSystem=full',
      '--forbid',
      'PrivateDevices',
      '--writable',
      '/var/lib/x',
      catLog,
    ]);
    expect(r.stdout).toMatch(/^ProtectSystem=full$/m);
    expect(r.stdout).not.toMatch(/^PrivateDevices=/m);
    expect(r.stdout).not.toMatch(/^ReadWritePaths=/m); // ProtectSystem forced: its whitelist is not computed
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await hush(['resolve'])).code).toBe(2);
    expect((await hush(['resolve', '--mode', 'reckless', catLog])).code).toBe(2);
    expect((await hush(['resolve', '--set', 'nonsense', catLog])).code).toBe(2);
  });

  it('identical inputs give a byte-identical drop-in', async () => {
    writeFileSync(join(dir, 'copy.log'), execFileSync('cat', [catLog]));
    const a = await hush(['resolve', '--mode', 'aggressive', catLog]);
    const b = await hush(['resolve', '--mode', 'aggressive', catLog]);
    expect(a.stdout).toBe(b.stdout);
  });
});
