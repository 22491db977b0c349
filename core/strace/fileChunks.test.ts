import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileChunks } from './fileChunks';
import { parseStraceBatches } from './index';

describe('fileChunks', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hush-chunks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every byte in order, in views of one buffer', async () => {
    const bytes = Buffer.alloc(10_000, 0);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    const file = join(dir, 'bytes');
    writeFileSync(file, bytes);
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const c of fileChunks(file, 4096)) {
      copies.push(Buffer.from(c));
      buffers.add(c.buffer);
    }
    expect(copies.map((c) => c.length)).toEqual([4096, 4096, 1808]);
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
    expect(buffers.size).toBe(1);
  });

  it('is enough for the parser (it keeps nothing of a chunk)', async () => {
    const file = join(dir, 'log');
    const lines = Array.from(
      { length: 500 },
      (_, i) => `${100 + i} openat(AT_FDCWD, "/etc/f${i}", O_RDONLY) = 3`,
    );
    writeFileSync(file, lines.join('\n') + '\n');
    const paths: string[] = [];
    for await (const batch of parseStraceBatches(fileChunks(file, 1000)))
      for (const ev of batch)
        if (ev.type === 'syscall' && ev.args?.[1]?.t === 'str') paths.push(ev.args[1].value);
    expect(paths).toEqual(lines.map((_, i) => `/etc/f${i}`));
  });

  it('refuses a missing file', async () => {
    await expect(fileChunks(join(dir, 'missing'))[Symbol.asyncIterator]().next()).rejects.toThrow(/ENOENT/);
  });
});
