/**
 * The CLI end to end on the test hosts, as a user would run it, for every corpus service (nginx,
 * caddy, redis, the postgresql@VERSION-main template instance): `hush profile` with the service's
 * own functional check as the workload, `hush apply --profile` with that check as the health
 * command, the check run again independently, a lower `systemd-analyze security` exposure,
 * `hush status`, `hush reset`, and `systemctl cat` identical to the start. For nginx also a
 * hardening forced by an override (`--set`) that breaks the service: rolled back to the previous
 * drop-in byte-for-byte. Commands run in-process through cli/main with real SSH to the VM.
 * (hush-testsvc, the hard-case units, is profiled by profile-testsvc.test.ts.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shQuote } from '../../remote/shell';
import {
  checkService,
  corpusServices,
  HOST_TEST_TIMEOUT_MS,
  securityBaseline,
  imagesUnderTest,
  withTestHost,
  type TestHost,
} from '../host';
import { cliTargetFlags, runHush } from './profile-support';

const hush = runHush;

/** `{code, stderr}` with stderr only on failure, so a failing command shows why. */
const outcome = (r: { code: number; stderr: string }, ok = 0) => ({
  code: r.code,
  stderr: r.code === ok ? '' : r.stderr,
});

const CHECKS = path.join(__dirname, '..', 'host', 'checks');

/**
 * Puts the service's functional check on the host as a script: it is the profiling workload (so
 * the profile sees everything the check needs) and the apply health command.
 */
async function installCheck(host: TestHost, service: string): Promise<string> {
  const script =
    'HUSH_CHECK_WAIT=60\n' +
    readFileSync(path.join(CHECKS, 'lib', 'common.sh'), 'utf8') +
    readFileSync(path.join(CHECKS, `${service}.sh`), 'utf8');
  const file = `/run/hush-e2e/check-${service}.sh`;
  const r = await host.exec(`mkdir -p /run/hush-e2e && cat > ${shQuote(file)}`, { stdin: script });
  if (r.code !== 0) throw new Error(`cannot install the ${service} check: ${r.stderr}`);
  return `bash ${file}`;
}

/** The unit a corpus pattern names on this host (postgresql@*-main.service → postgresql@17-main.service). */
async function unitOf(host: TestHost, pattern: string): Promise<string> {
  if (!pattern.includes('*')) return pattern;
  const r = await host.exec(
    `systemctl list-units --all --plain --no-legend --type=service ${shQuote(pattern)}`,
  );
  const unit = r.stdout.trim().split(/\s+/)[0] ?? '';
  if (!unit) throw new Error(`no unit matches ${pattern} on ${host.name}`);
  return unit;
}

interface Target {
  service: string;
  unit: string;
  /** `systemctl cat` before hush. */
  before: string;
  exposureBefore: number;
  /** The functional check as a host command (workload and health command). */
  check: string;
  profileFile: string;
}

type Log = (line: string) => void;

async function prepare(
  host: TestHost,
  service: string,
  dir: string,
  pattern = corpusServices().find((s) => s.name === service)?.unitPatterns[0],
): Promise<Target> {
  if (!pattern) throw new Error(`no corpus service ${service}`);
  const unit = await unitOf(host, pattern);
  const [exposure] = await securityBaseline(host, [unit]);
  return {
    service,
    unit,
    before: await catOf(host, unit),
    exposureBefore: exposure!.exposure,
    check: await installCheck(host, service),
    profileFile: path.join(dir, `${unit}.profile.json`),
  };
}

async function catOf(host: TestHost, unit: string): Promise<string> {
  return (await host.exec(`systemctl cat --no-pager -- ${shQuote(unit)}`)).stdout;
}

/** `hush profile` with the check as workload; the session report must show a clean session. */
async function profileStep(host: TestHost, t: Target, log: Log): Promise<void> {
  const p = await hush([
    'profile',
    t.unit,
    '--duration',
    '5s',
    '--workload',
    t.check,
    '-o',
    t.profileFile,
    '--json',
    ...cliTargetFlags(host),
  ]);
  expect(outcome(p)).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(readFileSync(t.profileFile, 'utf8')).schema).toBe('hush.profile/v1');
  const report = JSON.parse(p.stdout) as {
    output: string;
    restored: { activeState: string; catIdentical: boolean };
    workloads: { remote?: { code: number } };
    timings: Record<string, number>;
  };
  expect(report.output).toBe(t.profileFile);
  // The workload (the functional check) passed while the service ran under strace.
  expect(report.workloads.remote?.code).toBe(0);
  expect(report.restored).toMatchObject({ activeState: 'active', catIdentical: true });
  log(`profiled (session timings ${JSON.stringify(report.timings)})`);
}

/** `hush apply --profile` with the check as health command; returns the drop-in written. */
async function applyStep(host: TestHost, t: Target): Promise<{ path: string; dropIn: string }> {
  const a = await hush([
    'apply',
    t.unit,
    '--profile',
    t.profileFile,
    '--health',
    t.check,
    '--settle',
    '3s',
    '--json',
    ...cliTargetFlags(host),
  ]);
  expect(outcome(a)).toEqual({ code: 0, stderr: '' });
  const applied = JSON.parse(a.stdout) as { result: { verdict: string; path: string }; dropIn: string };
  expect(applied.result.verdict).toBe('applied');
  expect(applied.result.path).toBe(`/etc/systemd/system/${t.unit}.d/zz-hush-hardening.conf`);
  expect(applied.dropIn).toMatch(/^\[Service\]$/m);
  expect((await host.exec(`cat ${shQuote(applied.result.path)}`)).stdout).toBe(applied.dropIn);
  return { path: applied.result.path, dropIn: applied.dropIn };
}

/**
 * A unit its distribution already rates OK (below 2.0): Debian 13's redis-server sets some 30
 * sandboxing options (1.1), and what hush adds on top (PrivateIPC, KeyringMode, PrivateMounts…)
 * does not move the rounded score. Such a unit must not get worse; every other one must improve.
 */
const ALREADY_OK = 2.0;

/** The check passes (run independently of hush) and systemd rates the unit less exposed. */
async function hardenedStep(host: TestHost, t: Target, log: Log): Promise<void> {
  await expectCheck(host, t.service);
  const [after] = await securityBaseline(host, [t.unit]);
  log(`exposure ${t.exposureBefore} → ${after!.exposure}`);
  if (t.exposureBefore < ALREADY_OK) expect(after!.exposure).toBeLessThanOrEqual(t.exposureBefore);
  else expect(after!.exposure).toBeLessThan(t.exposureBefore);
}

/** `hush reset`: systemctl cat as before hush, the check passes, the exposure is the original one. */
async function resetStep(host: TestHost, t: Target): Promise<void> {
  const r = await hush(['reset', t.unit, ...cliTargetFlags(host)]);
  expect(outcome(r)).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(new RegExp(`^${t.unit.replace(/[.@]/g, '\\$&')}: reset on `));
  expect(await catOf(host, t.unit)).toBe(t.before);
  await expectCheck(host, t.service);
  const [exposure] = await securityBaseline(host, [t.unit]);
  expect(exposure!.exposure).toBe(t.exposureBefore);
}

async function expectCheck(host: TestHost, service: string): Promise<void> {
  const c = await checkService(host, service, { waitSeconds: 60 });
  expect({ service, ok: c.ok, output: c.ok ? '' : c.output }).toEqual({ service, ok: true, output: '' });
}

async function hardenedUnits(host: TestHost): Promise<string[]> {
  const s = await hush(['status', '--json', ...cliTargetFlags(host)]);
  expect(outcome(s)).toEqual({ code: 0, stderr: '' });
  return (JSON.parse(s.stdout) as { hardened: { unit: string }[] }).hardened.map((h) => h.unit).sort();
}

/** No runtime drop-in, session file or hush unit left on the host. */
async function expectNothingLeft(host: TestHost): Promise<void> {
  const left = await host.exec(
    "find /run/systemd/system /run/hush -mindepth 1 ! -type d 2>/dev/null; systemctl list-units --all --plain --no-legend 'hush-apply-*' 'hush-profile-*'",
  );
  expect(left.stdout.trim()).toBe('');
}

function stepper(label: string): Log {
  const t0 = Date.now();
  return (line) => process.stderr.write(`[${label}] ${line} at ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

describe.each(imagesUnderTest())('hush CLI on %s', (image) => {
  test(
    'nginx: profile with its check as workload → apply (verified) → check passes, exposure drops → a breaking override is rolled back → status → reset → systemctl cat identical',
    () =>
      withTestHost(image, async (host) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'hush-cli-e2e-'));
        const log = stepper(`${image} nginx`);
        try {
          const t = await prepare(host, 'nginx', dir);
          await profileStep(host, t, log);
          const applied = await applyStep(host, t);
          log('applied');
          // nginx executes no setuid/setgid program: the modes probed after the trace
          // (remote/execModes.ts) prove NoNewPrivileges harmless
          expect(applied.dropIn).toMatch(/^NoNewPrivileges=yes$/m);
          await hardenedStep(host, t, log);
          expect(await hardenedUnits(host)).toEqual([t.unit]);

          // A hardening forced by an override that keeps nginx up but hides its web root: the
          // health command fails, the previous (verified) drop-in comes back byte-for-byte.
          const broken = await hush([
            'apply',
            t.unit,
            '--profile',
            t.profileFile,
            '--set',
            'InaccessiblePaths=/var/www',
            '--health',
            'curl -fsS -o /dev/null http://127.0.0.1/',
            '--settle',
            '3s',
            '--json',
            ...cliTargetFlags(host),
          ]);
          expect(outcome(broken, 3)).toEqual({ code: 3, stderr: '' });
          const rolled = JSON.parse(broken.stdout) as {
            result: { verdict: string; restoredIdentical: boolean; failures: string[] };
            dropIn: string;
          };
          expect(rolled.dropIn).toMatch(/^InaccessiblePaths=\/var\/www$/m);
          expect(rolled.result).toMatchObject({ verdict: 'rolled-back', restoredIdentical: true });
          expect(rolled.result.failures.join('\n')).toMatch(/health command exited 22/); // curl -f: HTTP error
          expect(broken.stderr).toMatch(/failed verification and was rolled back/);
          expect((await host.exec(`cat ${shQuote(applied.path)}`)).stdout).toBe(applied.dropIn);
          await expectCheck(host, 'nginx');
          log('override rolled back');

          await resetStep(host, t);
          await expectNothingLeft(host);
          log('reset');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
    HOST_TEST_TIMEOUT_MS,
  );
});

/**
 * profile → apply → check and exposure → status → reset for several units on one host: side by
 * side (concurrently, as a Pulumi program would), or one after another when their checks overlap.
 */
async function hardenAll(
  host: TestHost,
  targets: Target[],
  log: Log,
  how: 'side by side' | 'one by one',
): Promise<void> {
  // Every service runs each step to its end; the failures of all of them are reported.
  const each = async (fn: (t: Target) => Promise<void>) => {
    const settled: PromiseSettledResult<void>[] = [];
    if (how === 'side by side') settled.push(...(await Promise.allSettled(targets.map(fn))));
    else for (const t of targets) settled.push(...(await Promise.allSettled([fn(t)])));
    const failed = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [`${targets[i]!.unit}: ${String(r.reason)}`] : [],
    );
    expect(failed).toEqual([]);
  };
  await each((t) => profileStep(host, t, (l) => log(`${t.unit}: ${l}`)));
  await each(async (t) => {
    await applyStep(host, t);
  });
  log('applied');
  for (const t of targets) await hardenedStep(host, t, (l) => log(`${t.unit}: ${l}`));
  expect(await hardenedUnits(host)).toEqual(targets.map((t) => t.unit).sort());
  await each((t) => resetStep(host, t));
  await expectNothingLeft(host);
  log('reset');
}

/**
 * The rest of the corpus, on Debian 13 only (CI time: a profile/apply/reset cycle costs minutes
 * under TCG), hardened side by side on one host as a Pulumi program with several services would:
 * three profiling sessions, then three apply transactions, run concurrently.
 */
// (the first corpus services; every unit of the grown corpus goes through corpus.test.ts)
const OTHERS = ['caddy', 'redis', 'postgresql'];

// A plain loop: describe.each refuses an empty table (a run narrowed to debian-12).
for (const image of imagesUnderTest().filter((i) => i === 'debian-13')) {
  describe(`hush CLI on ${image}`, () => {
    test(
      `${OTHERS.join(', ')} side by side: profile → apply → checks pass, exposures drop → status → reset → systemctl cat identical`,
      () =>
        withTestHost(image, async (host) => {
          const dir = mkdtempSync(path.join(tmpdir(), 'hush-cli-e2e-'));
          const log = stepper(`${image} ${OTHERS.join('+')}`);
          try {
            const targets: Target[] = [];
            for (const service of OTHERS) targets.push(await prepare(host, service, dir));
            expect(targets.map((t) => t.unit)).toEqual([
              'caddy.service',
              'redis-server.service',
              expect.stringMatching(/^postgresql@\d+-main\.service$/),
            ]);
            await hardenAll(host, targets, log, 'side by side');
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
      2 * HOST_TEST_TIMEOUT_MS,
    );
  });
}

/**
 * The custom hard cases (Type=notify with a watchdog, Type=forking with `@` and `!`, a unit that
 * exits and is restarted), each hardened with its own drop-in. One check covers all three (exit
 * codes, notify status, restarts, the `+`/`!` commands' uids), so they go one after another: a
 * sibling restarting under strace would fail another's workload. Debian 13 only (CI time).
 */
const TESTSVC_UNITS = corpusServices().find((s) => s.name === 'hush-testsvc')?.unitPatterns ?? [];

for (const image of imagesUnderTest().filter((i) => i === 'debian-13')) {
  describe(`hush CLI on ${image}`, () => {
    test(
      `${TESTSVC_UNITS.join(', ')} one by one: profile → apply → check passes, exposures drop → status → reset → systemctl cat identical`,
      () =>
        withTestHost(image, async (host) => {
          const dir = mkdtempSync(path.join(tmpdir(), 'hush-cli-e2e-'));
          try {
            const targets: Target[] = [];
            for (const unit of TESTSVC_UNITS) targets.push(await prepare(host, 'hush-testsvc', dir, unit));
            expect(targets.map((t) => t.unit)).toEqual(TESTSVC_UNITS);
            await hardenAll(host, targets, stepper(`${image} hush-testsvc`), 'one by one');
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
      2 * HOST_TEST_TIMEOUT_MS,
    );
  });
}
