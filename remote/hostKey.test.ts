import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fingerprintOf,
  hostFieldMatches,
  hostKeyAlgorithmsFor,
  keyTypeOf,
  knownHostsName,
  matchesPins,
  parseHostKeyPins,
  pinsForHost,
} from './hostKey';

/** An ssh-ed25519 public key blob in SSH wire format, from a fresh key pair. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
}

describe('host key pins', () => {
  const blob = ed25519Blob();
  const other = ed25519Blob();
  const b64 = blob.toString('base64');
  const fp = fingerprintOf(blob);

  it('computes OpenSSH-style fingerprints', () => {
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
  });

  it.each([
    ['fingerprint', () => fp],
    ['fingerprint with padding', () => `${fp}=`],
    ['authorized_keys form', () => `ssh-ed25519 ${b64} root@host`],
    ['known_hosts line', () => `[127.0.0.1]:2222 ssh-ed25519 ${b64}`],
    ['hashed known_hosts line', () => `|1|abc=|def= ssh-ed25519 ${b64}`],
  ])('accepts a %s', (_name, pin) => {
    const pins = parseHostKeyPins(pin());
    expect(matchesPins(blob, pins)).toBe(true);
    expect(matchesPins(other, pins)).toBe(false);
  });

  it('accepts several lines and matches any', () => {
    const pins = parseHostKeyPins(`# keyscan\n\n${fingerprintOf(other)}\nssh-ed25519 ${b64}\n`);
    expect(pins).toHaveLength(2);
    expect(matchesPins(blob, pins)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['SHA256:short', /not a SHA256/],
    ['aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99', /MD5/],
    ['@cert-authority * ssh-ed25519 AAAA', /marker @cert-authority is not supported/],
    ['ssh-ed25519', /missing or invalid base64/],
    ['ssh-rsa AAAAAAAA', /not a ssh-rsa key/],
  ])('rejects %j', (text, msg) => {
    expect(() => parseHostKeyPins(text)).toThrow(msg);
  });

  it('rejects a key whose declared type differs from its data', () => {
    expect(() => parseHostKeyPins(`ecdsa-sha2-nistp256 ${b64}`)).toThrow(/it says ssh-ed25519/);
  });

  it('restricts host key algorithms only when every pin has a type', () => {
    expect(hostKeyAlgorithmsFor(parseHostKeyPins(`ssh-ed25519 ${b64}`))).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithmsFor(parseHostKeyPins(fp))).toBeUndefined();
  });
});

describe('known_hosts lines hold only for the hosts they name, as OpenSSH reads them', () => {
  const blob = ed25519Blob();
  const other = ed25519Blob();
  const line = (hosts: string, key = blob) => `${hosts} ssh-ed25519 ${key.toString('base64')}`;
  const keyFor = (text: string, host: string, port: number) => {
    try {
      return pinsForHost(parseHostKeyPins(text), host, port).pins;
    } catch {
      return [];
    }
  };

  it('looks up host on port 22 and [host]:port elsewhere', () => {
    expect(knownHostsName('web1', 22)).toBe('web1');
    expect(knownHostsName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
    expect(knownHostsName('::1', 2222)).toBe('[::1]:2222');
    expect(keyFor(line('[127.0.0.1]:2222'), '127.0.0.1', 2222)).toHaveLength(1);
    expect(keyFor(line('[127.0.0.1]:2222'), '127.0.0.1', 22)).toHaveLength(0);
    expect(keyFor(line('127.0.0.1'), '127.0.0.1', 2222)).toHaveLength(0);
  });

  it('a line for another host pins nothing here (the issue: it used to pin any host)', () => {
    expect(() => pinsForHost(parseHostKeyPins(line('otherhost')), 'web1', 22)).toThrow(
      /no pin for web1: every known_hosts line names other hosts/,
    );
    // a whole known_hosts file: only web1's line counts
    const file = [line('otherhost', other), line('web1,web1.example.org')].join('\n');
    const { pins } = pinsForHost(parseHostKeyPins(file), 'WEB1', 22);
    expect(matchesPins(blob, pins)).toBe(true);
    expect(matchesPins(other, pins)).toBe(false);
  });

  it('@revoked refuses a key for the hosts it names', () => {
    const text = [line('web1'), `@revoked web* ssh-ed25519 ${blob.toString('base64')}`].join('\n');
    const { pins, revoked } = pinsForHost(parseHostKeyPins(text), 'web1', 22);
    expect(matchesPins(blob, pins)).toBe(true);
    expect(matchesPins(blob, revoked)).toBe(true);
    expect(() => parseHostKeyPins(`@cert-authority * ssh-ed25519 ${blob.toString('base64')}`)).toThrow(
      /not supported/,
    );
  });

  // OpenSSH's own reading as the oracle: `ssh-keygen -F NAME -f FILE` finds the lines that match
  // NAME (wildcards, negation, hashed names), which pinsForHost must agree with.
  const hasKeygen = (() => {
    try {
      execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
      return true;
    } catch (err) {
      return (err as { status?: number }).status !== undefined && (err as { status?: number }).status !== 127;
    }
  })();
  (hasKeygen ? it : it.skip)('agrees with ssh-keygen -F on patterns, negation and hashed names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-kh-'));
    try {
      const fields = [
        'web1',
        'web*,!web3',
        '*.example.org',
        'db?',
        '[10.0.0.5]:2222',
        '10.0.0.*',
        '!10.0.0.9,10.0.0.*',
        'Mixed.Case.Host',
        '[::1]:2200',
      ];
      const names: [string, number][] = [
        ['web1', 22],
        ['web2', 22],
        ['web3', 22],
        ['a.example.org', 22],
        ['example.org', 22],
        ['db1', 22],
        ['db12', 22],
        ['10.0.0.5', 2222],
        ['10.0.0.5', 22],
        ['10.0.0.9', 22],
        ['mixed.case.host', 22],
        ['::1', 2200],
        ['web1', 2222],
      ];
      for (const hashed of [false, true]) {
        // hashing needs one name per line: ssh-keygen -H hashes each line's first name only
        const plainNames = names.map(([h, p]) => knownHostsName(h, p));
        const file = join(dir, hashed ? 'hashed' : 'plain');
        const lines = hashed ? plainNames.slice(0, 6).map((n) => line(n)) : fields.map((f) => line(f));
        writeFileSync(file, lines.join('\n') + '\n');
        if (hashed) execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
        const text = readFileSync(file, 'utf8');
        if (hashed) expect(text).toMatch(/^\|1\|/);
        const pins = parseHostKeyPins(text);
        for (const [host, port] of names) {
          const name = knownHostsName(host, port);
          let openssh: string;
          try {
            openssh = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
          } catch {
            openssh = '';
          }
          const theirs = openssh.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
          const ours = pins.filter((p) => p.hosts !== undefined && hostFieldMatches(p.hosts, name)).length;
          expect({ file: hashed ? 'hashed' : 'plain', name, count: ours }).toEqual({
            file: hashed ? 'hashed' : 'plain',
            name,
            count: theirs,
          });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
