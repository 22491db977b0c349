import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { resolve } from '../core/resolve';
import { chosen, facts257, rejected } from '../core/resolve/testkit';
import { profileFromStraceLog } from './traceProfile';

const FIXTURES = join(__dirname, '..', 'core', 'strace', 'fixtures', '6.1');
const log = (name: string): Readable => Readable.from([readFileSync(join(FIXTURES, name))]);

describe('SystemCallArchitectures from a real strace log (hush run: its own invocation)', () => {
  it('a log whose processes entered the 32-bit ABI withholds native in every mode', async () => {
    const p = await profileFromStraceLog(log('abi-switch.strace'), { source: 'fixture', abiWatched: true });
    expect(p.runs[0]).toMatchObject({ abiWatched: true, abiSwitches: ['32 bit', '64 bit'] });
    for (const mode of ['conservative', 'standard'] as const) {
      const plan = resolve(p, facts257(), { mode });
      expect(chosen(plan, 'SystemCallArchitectures')).toBeUndefined();
      expect(rejected(plan, 'SystemCallArchitectures')!.why).toMatch(/32 bit, 64 bit mode/);
    }
  });

  it('a native-only log takes native in conservative mode when the invocation watched, not otherwise', async () => {
    const watched = await profileFromStraceLog(log('interleaved.strace'), { source: 'f', abiWatched: true });
    expect(chosen(resolve(watched, facts257(), {}), 'SystemCallArchitectures')).toBe('native');
    const unknown = await profileFromStraceLog(log('interleaved.strace'), { source: 'f' });
    expect(chosen(resolve(unknown, facts257(), {}), 'SystemCallArchitectures')).toBeUndefined();
  });
});
