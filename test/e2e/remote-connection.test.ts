/**
 * remote/connection against real sshd on the Debian 12 and 13 test hosts: host-key pinning in
 * every accepted form, refusal of a wrong host key and of a wrong private key, the non-root
 * path (`sudo -n`), a proxy hop, quoting through the real remote shell, file helpers, streaming,
 * timeouts, and hostile unit names refused before anything reaches the host.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyDropIn } from '../../remote/apply';
import {
  AuthenticationError,
  CommandTimeoutError,
  connect,
  HostKeyMismatchError,
  SudoRequiredError,
  type Connection,
  type ConnectionArgs,
} from '../../remote/connection';
import { fingerprintOf } from '../../remote/hostKey';
import { liveExposure, readDropInState } from '../../remote/hardeningState';
import { probe } from '../../remote/probe';
import { profileService } from '../../remote/profile';
import { reset } from '../../remote/reset';
import { argv, sh } from '../../remote/shell';
import { InvalidUnitNameError } from '../../core/systemd/unitName';
import { HOST_TEST_TIMEOUT_MS, imagesUnderTest, withTestHost, type TestHost } from '../host';
import { fuzzDropIns } from './dropinFuzz';
import { connectionArgs } from './profile-support';

function argsFor(host: TestHost, extra: Partial<ConnectionArgs> = {}): ConnectionArgs {
  // A busy TCG guest answers the handshake slowly: slow dials must not look like retries.
  return connectionArgs(host, { perDialTimeout: 60, ...extra });
}

/** A fresh ed25519 key pair in OpenSSH format (the test hosts have never seen it). */
function freshKey(): { privateKey: string; publicKey: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-key-'));
  try {
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'hush-test',
      '-f',
      path.join(dir, 'k'),
    ]);
    return {
      privateKey: readFileSync(path.join(dir, 'k'), 'utf8'),
      publicKey: readFileSync(path.join(dir, 'k.pub'), 'utf8').trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Progress lines with the time since the test started (these tests' time budget is shared CI time). */
function stepper(label: string): (what: string) => void {
  const t0 = Date.now();
  return (what) => process.stderr.write(`[${label}] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const HOSTILE_WORDS = [
  "it's",
  '$(id)',
  '`id`',
  '; reboot',
  'a\nb',
  '\\',
  ' spaced ',
  '*',
  '"q"',
  '${HOME}',
  'ü',
];

describe.each(imagesUnderTest())('remote connection on %s', (image) => {
  test(
    'pins the host key in every form, runs as root, quotes through the real shell, moves files and streams',
    () =>
      withTestHost(image, async (host) => {
        const knownHosts = readFileSync(host.knownHostsPath, 'utf8');
        for (const pin of [host.hostKey, host.hostKeyFingerprint, knownHosts]) {
          const c = await connect(argsFor(host, { hostKey: pin }));
          expect((await c.exec(sh`id -u`)).stdout.trim()).toBe('0');
          expect(c.presentedHostKey).toContain(host.hostKeyFingerprint);
          await c.close();
        }

        const conn = await connect(argsFor(host));
        try {
          // Every hostile word arrives as one argument, unchanged.
          const echoed = await conn.run(argv(['printf', '%s\\0', ...HOSTILE_WORDS]));
          expect(echoed.split('\0').slice(0, -1)).toEqual(HOSTILE_WORDS);

          // exec: exit codes, stdin, stderr; run() throws with the exit code.
          expect((await conn.exec(sh`exit 7`)).code).toBe(7);
          expect((await conn.exec(sh`cat; echo err >&2`, { stdin: 'in put' })).stdout).toBe('in put');
          await expect(conn.run(sh`echo boom >&2; exit 3`)).rejects.toThrow(/exit code 3.*boom/);

          // Files: binary-exact, atomic, odd names, absence.
          const dir = "/run/hush-e2e/it's a dir";
          const file = `${dir}/f $(x).bin`;
          const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 39, 34, 92, 36]);
          await conn.writeFileAtomic(file, bytes, { mode: 0o600 });
          expect(await conn.readFile(file)).toEqual(bytes);
          expect((await conn.run(sh`stat -c %a -- ${file}`)).trim()).toBe('600');
          expect((await conn.run(sh`ls -A -- ${dir}`)).trim()).toBe('f $(x).bin'); // no temp file left
          expect(await conn.readFile(`${dir}/absent`)).toBeUndefined();

          // Streaming: stdout as a Readable while the command runs.
          const p = await conn.execStream(sh`for i in 1 2 3; do echo line$i; sleep 0.2; done; exit 4`);
          const chunks: Buffer[] = [];
          for await (const c of p.stdout) chunks.push(c as Buffer);
          expect(Buffer.concat(chunks).toString()).toBe('line1\nline2\nline3\n');
          expect((await p.done).code).toBe(4);

          // Timeout: the command is stopped and reported.
          const t0 = Date.now();
          await expect(conn.exec(sh`sleep 61`, { timeoutMs: 1500 })).rejects.toBeInstanceOf(
            CommandTimeoutError,
          );
          expect(Date.now() - t0).toBeLessThan(30_000);
          expect((await conn.exec(sh`pgrep -fx 'sleep 61' >/dev/null`)).code).not.toBe(0);
        } finally {
          await conn.close();
        }

        // Hostile path items through hush's rendering, read back by this host's systemd (issue 12)
        const fuzz = await fuzzDropIns(host, 12, 120);
        process.stderr.write(
          `[${image}] drop-in fuzz: ${fuzz.systemd}; seed ${fuzz.seed}, ${fuzz.items} items: ${fuzz.written} settings written and read back, ${fuzz.refused} refused\n`,
        );
        expect(fuzz.mismatches).toEqual([]);
        expect(fuzz.written).toBeGreaterThan(100);
        expect(fuzz.refused).toBeGreaterThan(50);
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'refuses a wrong or unpinned host key and a wrong private key, without leaking secrets',
    () =>
      withTestHost(image, async (host) => {
        const other = freshKey();
        const otherBlob = Buffer.from(other.publicKey.split(' ')[1] as string, 'base64');
        const attempts: string[] = [];
        for (const pin of [other.publicKey, fingerprintOf(otherBlob)]) {
          const err = await connect(argsFor(host, { hostKey: pin }), { log: (l) => attempts.push(l) }).catch(
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(HostKeyMismatchError);
          expect((err as Error).message).toContain(host.hostKeyFingerprint); // what it presented
          expect((err as Error).message).toContain(fingerprintOf(otherBlob)); // what we expected
        }
        expect(attempts).toHaveLength(2); // never retried

        await expect(
          connect({ host: host.host, port: host.port, privateKey: host.privateKey } as ConnectionArgs),
        ).rejects.toThrow(/hostKey: is required/);

        const err = await connect(argsFor(host, { privateKey: other.privateKey })).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AuthenticationError);
        const secretLines = other.privateKey
          .split('\n')
          .filter((l) => l.length > 20 && !l.startsWith('-----'));
        for (const l of secretLines)
          expect(`${(err as Error).message}\n${(err as Error).stack}`).not.toContain(l);

        const pw = 'hush-secret-password-123';
        const err2 = await connect(
          argsFor(host, { privateKey: undefined, password: pw, dialErrorLimit: 1 }),
        ).catch((e: unknown) => e);
        expect(err2).toBeInstanceOf(AuthenticationError);
        expect(String((err2 as Error).stack)).not.toContain(pw);
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'a non-root user: without sudo rights a clear error; with passwordless sudo every command runs as root through sudo -n; a proxy hop works',
    () =>
      withTestHost(image, async (host) => {
        const key = freshKey();
        const user = 'hushuser';
        const step = stepper(`${image} non-root`);
        const asUser = argsFor(host, { user, privateKey: key.privateKey });
        const root = await connect(argsFor(host));
        try {
          await root.run(sh`id ${user} >/dev/null 2>&1 || useradd -m -s /bin/bash ${user}
install -d -m 700 -o ${user} -g ${user} ~${user}/.ssh
printf '%s\n' ${key.publicKey} > ~${user}/.ssh/authorized_keys
chown ${user}: ~${user}/.ssh/authorized_keys; chmod 600 ~${user}/.ssh/authorized_keys`);
          step('user created');
          // The images ship sudo: without a sudoers entry, `sudo -n` asks for a password.
          expect((await root.exec(sh`command -v sudo`)).code).toBe(0);
          const err = await connect(asUser).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(SudoRequiredError);
          expect((err as Error).message).toMatch(
            /user 'hushuser' on \S+ is not root and 'sudo -n' does not work \(sudo: .*password is required/,
          );
          expect((err as Error).message).toMatch(/NOPASSWD/);
          step('refused without sudo rights');

          // Passwordless sudo (a drop-in the admin would write): the same user now gets root.
          const sudoers = `/etc/sudoers.d/${user}`;
          await root.writeFileAtomic(sudoers, `${user} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
          await root.run(sh`visudo -cf ${sudoers}`);
          const viaSudo = await connect(asUser);
          step('connected through sudo');
          try {
            expect(viaSudo.viaSudo).toBe(true);
            // root, through sudo (SUDO_USER is set by sudo only).
            expect((await viaSudo.run(sh`echo "$(id -u) $SUDO_USER"`)).trim()).toBe(`0 ${user}`);
            // stdin and binary bytes pass through sudo; root-owned files are written and read.
            const file = '/run/hush-e2e/sudo $(x).bin';
            const bytes = Buffer.from([0, 255, 10, 39, 34, 92, 36]);
            await viaSudo.writeFileAtomic(file, bytes, { mode: 0o600 });
            expect(await viaSudo.readFile(file)).toEqual(bytes);
            expect((await root.run(sh`stat -c '%U %a' -- ${file}`)).trim()).toBe('root 600');
            step('files moved through sudo');
            // A timeout stops the command under sudo too.
            await expect(viaSudo.exec(sh`sleep 62`, { timeoutMs: 1500 })).rejects.toBeInstanceOf(
              CommandTimeoutError,
            );
            expect((await root.exec(sh`pgrep -fx 'sleep 62' >/dev/null`)).code).not.toBe(0);
            step('timeout through sudo');
            // The whole apply transaction (stdin, systemd-run --wait, health) and reset through sudo.
            const unit = 'nginx.service';
            const before = await root.run(sh`systemctl cat --no-pager -- ${unit}`);
            const applied = await applyDropIn(viaSudo, unit, '[Service]\nPrivateTmp=true\n', {
              health: 'curl -fsS -o /dev/null http://127.0.0.1/',
              settleMs: 1000,
            });
            expect(applied.verdict).toBe('applied');
            step('applied through sudo');
            expect((await root.run(sh`systemctl show -p PrivateTmp --value -- ${unit}`)).trim()).toBe('yes');
            expect((await reset(viaSudo, unit)).activeAfter).toBe('active');
            expect(await root.run(sh`systemctl cat --no-pager -- ${unit}`)).toBe(before);
            step('reset through sudo');
          } finally {
            await viaSudo.close();
          }

          // Proxy: hop through the host's own sshd to its port 22 (same host key inside).
          const viaProxy = await connect({
            host: '127.0.0.1',
            port: 22,
            privateKey: host.privateKey,
            hostKey: host.hostKey,
            perDialTimeout: 60,
            proxy: {
              host: host.host,
              port: host.port,
              privateKey: host.privateKey,
              hostKey: host.hostKey,
              perDialTimeout: 60,
            },
          });
          expect((await viaProxy.run(sh`echo $SSH_CONNECTION`)).trim()).toMatch(
            /^127\.0\.0\.1 \d+ 127\.0\.0\.1 22$/,
          );
          await viaProxy.close();
          step('proxy hop');
        } finally {
          await root.close();
        }
      }),
    HOST_TEST_TIMEOUT_MS,
  );

  test(
    'hostile unit names are rejected before anything reaches the host',
    () =>
      withTestHost(image, async (host) => {
        const conn: Connection = await connect(argsFor(host));
        try {
          await conn.run(sh`rm -f /tmp/pwned`);
          const calls: string[] = [];
          const realExec = conn.exec.bind(conn);
          conn.exec = (cmd, o) => {
            calls.push(cmd.text);
            return realExec(cmd, o);
          };
          for (const name of [
            'nginx;touch /tmp/pwned',
            '$(touch /tmp/pwned)',
            '../x',
            '`touch /tmp/pwned`',
            'a b',
            'nginx.socket',
            '-x',
          ]) {
            await expect(probe(conn, name)).rejects.toBeInstanceOf(InvalidUnitNameError);
            await expect(applyDropIn(conn, name, '[Service]\nPrivateTmp=true\n')).rejects.toBeInstanceOf(
              InvalidUnitNameError,
            );
            await expect(reset(conn, name)).rejects.toBeInstanceOf(InvalidUnitNameError);
            await expect(readDropInState(conn, name)).rejects.toBeInstanceOf(InvalidUnitNameError);
            await expect(liveExposure(conn, name)).rejects.toBeInstanceOf(InvalidUnitNameError);
            // Profiling refuses before it even dials.
            let dialled = false;
            await expect(
              profileService({
                unit: name,
                durationMs: 1000,
                connect: () => {
                  dialled = true;
                  return connect(argsFor(host));
                },
              }),
            ).rejects.toBeInstanceOf(InvalidUnitNameError);
            expect(dialled).toBe(false);
          }
          expect(calls).toEqual([]);
          conn.exec = realExec;
          expect((await conn.exec(sh`test -e /tmp/pwned`)).code).toBe(1);
        } finally {
          await conn.close();
        }
      }),
    HOST_TEST_TIMEOUT_MS,
  );
});
