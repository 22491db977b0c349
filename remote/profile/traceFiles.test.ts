import { makeFifoCommand, streamWriter } from './traceFiles';

describe('trace stream writers and their FIFO modes', () => {
  test("a command's stream belongs to the user it runs as", () => {
    expect(streamWriter(false, { User: 'www-data' })).toEqual({ kind: 'user', user: 'www-data' });
    expect(streamWriter(true, { User: 'www-data' })).toEqual({ kind: 'root' });
    expect(streamWriter(false, {})).toEqual({ kind: 'root' });
    // DynamicUser= has no uid before the start
    expect(streamWriter(false, { DynamicUser: 'yes', User: 'x' })).toEqual({ kind: 'dynamicUser' });
    expect(streamWriter(true, { DynamicUser: 'yes' })).toEqual({ kind: 'root' });
  });

  test('FIFOs are created 0600 and only opened to others for a dynamic user', () => {
    expect(makeFifoCommand('/run/f', { kind: 'root' }).text).toBe(
      'mkfifo -m 0600 -- /run/f; true; chmod 0600 -- /run/f',
    );
    expect(makeFifoCommand('/run/f', { kind: 'user', user: 'www-data' }).text).toBe(
      'mkfifo -m 0600 -- /run/f; chown -- www-data /run/f; chmod 0600 -- /run/f',
    );
    expect(makeFifoCommand('/run/f', { kind: 'dynamicUser' }).text).toContain('chmod 0622');
  });
});
