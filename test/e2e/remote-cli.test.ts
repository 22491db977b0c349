/**
 * The CLI end to end on the test hosts, as a user would run it: `hush profile` nginx under a
 * curl workload, `hush apply --profile` with a health command, the functional check, a lower
 * `systemd-analyze security` exposure, `hush status`, `hush reset`, and `systemctl cat` identical
 * to the start. Commands run in-process through cli/main with real SSH to the VM.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../cli/main';
import {
  checkService,
  HOST_TEST_TIMEOUT_MS,
  securityBaseline,
  imagesUnderTest,
  withTestHost,
  type TestHost,
} from '../host';

async function hush(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr });
  return { code, stdout: out, stderr: err };
}

function target(host: TestHost): string[] {
  return [
    '--host',
    host.host,
    '--port',
    String(host.port),
    '--identity',
    host.privateKeyPath,
    '--host-key',
    host.hostKey,
  ];
}

const HEALTH = 'curl -fsS -o /dev/null http://127.0.0.1/';
const WORKLOAD =
  'for i in $(seq 15); do curl -fsS -o /dev/null http://127.0.0.1/; curl -s -o /dev/null http://127.0.0.1/missing; sleep 0.3; done';

describe.each(imagesUnderTest())('hush CLI on %s', (image) => {
  test(
    'profile → apply (verified) → check passes, exposure drops → status → reset → systemctl cat identical',
    () =>
      withTestHost(image, async (host) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'hush-cli-e2e-'));
        try {
          const cat = async () => (await host.exec('systemctl cat --no-pager nginx.service')).stdout;
          const before = await cat();
          const [exposureBefore] = await securityBaseline(host, ['nginx.service']);

          const profileFile = path.join(dir, 'nginx.profile.json');
          const p = await hush([
            'profile',
            'nginx',
            '--duration',
            '10s',
            '--workload',
            WORKLOAD,
            '-o',
            profileFile,
            ...target(host),
          ]);
          expect({ code: p.code, stderr: p.code === 0 ? '' : p.stderr }).toEqual({ code: 0, stderr: '' });
          expect(JSON.parse(readFileSync(profileFile, 'utf8')).schema).toBe('hush.profile/v1');

          const a = await hush([
            'apply',
            'nginx',
            '--profile',
            profileFile,
            '--health',
            HEALTH,
            '--settle',
            '3s',
            '--json',
            ...target(host),
          ]);
          expect({ code: a.code, stderr: a.code === 0 ? '' : a.stderr }).toEqual({ code: 0, stderr: '' });
          const applied = JSON.parse(a.stdout) as {
            result: { verdict: string; path: string };
            dropIn: string;
          };
          expect(applied.result.verdict).toBe('applied');
          expect(applied.dropIn).toMatch(/^\[Service\]$/m);
          expect((await host.exec(`cat ${applied.result.path}`)).stdout).toBe(applied.dropIn);

          const check = await checkService(host, 'nginx', { waitSeconds: 60 });
          expect({ ok: check.ok, output: check.ok ? '' : check.output }).toEqual({ ok: true, output: '' });
          const [exposureAfter] = await securityBaseline(host, ['nginx.service']);
          expect(exposureAfter!.exposure).toBeLessThan(exposureBefore!.exposure);

          const s = await hush(['status', '--json', ...target(host)]);
          expect(s.code).toBe(0);
          expect(
            (JSON.parse(s.stdout) as { hardened: { unit: string }[] }).hardened.map((h) => h.unit),
          ).toEqual(['nginx.service']);

          const r = await hush(['reset', 'nginx', ...target(host)]);
          expect(r.code).toBe(0);
          expect(r.stdout).toMatch(/^nginx\.service: reset on /);
          expect(await cat()).toBe(before);
          expect((await checkService(host, 'nginx', { waitSeconds: 60 })).ok).toBe(true);
          const [exposureReset] = await securityBaseline(host, ['nginx.service']);
          expect(exposureReset!.exposure).toBe(exposureBefore!.exposure);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
    HOST_TEST_TIMEOUT_MS,
  );
});
