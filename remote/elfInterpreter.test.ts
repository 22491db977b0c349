import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpreterOf, interpreterOfHead } from './elfInterpreter';

/** interpreterOf over a local file, read where it asks (undefined if it cannot be opened). */
function readInterpreter(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return interpreterOf((offset, length) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, offset));
    });
  } finally {
    closeSync(fd);
  }
}

describe('interpreterOf (real files on this machine)', () => {
  it('a dynamic ELF names its loader, a static one none, a script its #! program', () => {
    expect(readInterpreter('/usr/bin/cat')).toMatch(/^\/lib64\/ld-linux-x86-64\.so\.2$|ld-linux/);
    expect(readInterpreter('/sbin/ldconfig')).toBe('');
    const dir = mkdtempSync(join(tmpdir(), 'hush-interp-'));
    try {
      writeFileSync(join(dir, 's'), '#!/usr/bin/env python3\nprint(1)\n');
      expect(readInterpreter(join(dir, 's'))).toBe('/usr/bin/env');
      writeFileSync(join(dir, 'data'), 'hello');
      expect(readInterpreter(join(dir, 'data'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readInterpreter('/nonexistent/x')).toBeUndefined();
  });

  it('a truncated ELF head is unknown, not static', () => {
    const head = Buffer.alloc(64);
    head.writeUInt32BE(0x7f454c46, 0);
    head[4] = 2;
    head[5] = 1;
    head.writeBigUInt64LE(64n, 0x20); // program headers right after the header…
    head.writeUInt16LE(56, 0x36);
    head.writeUInt16LE(3, 0x38); // …three of them, none present in the bytes we have
    expect(interpreterOfHead(head)).toBeUndefined();
  });
});
