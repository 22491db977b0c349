import { generateKeyPairSync } from 'node:crypto';
import { fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, matchesPins, parseHostKeyPins } from './hostKey';

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
    ['@cert-authority * ssh-ed25519 AAAA', /markers/],
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
