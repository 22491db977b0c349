import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFifoCommand, ROOT_WRITER } from './traceFiles';

describe('trace FIFOs', () => {
  test('are root’s 0600 from the start, whatever user the traced command runs as', () => {
    expect(makeFifoCommand('/run/f', ROOT_WRITER).text).toBe('mkfifo -m 0600 -- /run/f');
    const dir = mkdtempSync(join(tmpdir(), 'hush-fifo-'));
    try {
      const fifo = join(dir, 'ExecStart-0');
      execFileSync('/bin/sh', ['-c', `umask 000; ${makeFifoCommand(fifo, ROOT_WRITER).text}`]);
      const st = statSync(fifo);
      expect(st.isFIFO()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuse a writer that is not root', () => {
    expect(() => makeFifoCommand('/run/f', { kind: 'user' } as never)).toThrow(/root only/);
  });
});
