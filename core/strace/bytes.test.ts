import { isUtf8 } from 'node:buffer';
import { bytesFromString, hasEscapedBytes, stringFromInvalidUtf8 } from './bytes';

/** What the decoder does with a byte string (decode.ts): UTF-8 when valid, else escaped. */
const decode = (b: Buffer): string =>
  isUtf8(b) ? b.toString('utf8') : stringFromInvalidUtf8(b, 0, b.length);

describe('path bytes as strings', () => {
  it('escapes every byte that is not part of valid UTF-8 and nothing else', () => {
    expect(decode(Buffer.from('/srv/caf\xe9', 'latin1'))).toBe('/srv/caf\udce9');
    expect(decode(Buffer.from([0x2f, 0xc3, 0xa9, 0xff]))).toBe('/é\udcff');
    // overlong, surrogate and truncated sequences are not UTF-8
    expect(decode(Buffer.from([0xc0, 0xaf]))).toBe('\udcc0\udcaf');
    expect(decode(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    expect(decode(Buffer.from([0xe2, 0x82]))).toBe('\udce2\udc82');
    expect(hasEscapedBytes('/srv/café')).toBe(false);
    expect(hasEscapedBytes('/srv/caf\udce9')).toBe(true);
  });

  it('gives back the exact bytes for any byte string (one-to-one)', () => {
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const seen = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 12);
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
      const s = decode(bytes);
      expect(bytesFromString(s).equals(bytes)).toBe(true);
      // a JSON round trip (a profile on disk) keeps the escapes
      expect(JSON.parse(JSON.stringify(s))).toBe(s);
      const hex = bytes.toString('hex');
      if (seen.has(s)) expect(seen.get(s)).toBe(hex);
      seen.set(s, hex);
    }
  });
});
