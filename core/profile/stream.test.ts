import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfile } from './index';
import type { Profile } from './schema';
import { batchPieces, profileJsonPieces } from './stream';

const GOLDEN = join(__dirname, '..', 'summary', 'fixtures', 'golden');
const goldens = readdirSync(GOLDEN).filter((f) => f.endsWith('.profile.json'));

const odd: Profile = {
  schema: 'hush.profile/v1',
  actions: [
    {
      seq: 0,
      count: 2,
      action: {
        kind: 'path',
        access: 'read',
        path: '/srv/caf\u00e9/\u65e5\u672c/"quoted"\\back\nslash',
        ev: { pid: 1, line: 1, syscall: 'openat', text: 'openat(AT_FDCWD, "…") = 3' },
      },
    },
    { seq: 1, count: 1, action: { kind: 'mmapWX', ev: { pid: 1, line: 2, syscall: 'mprotect' } } },
  ],
  syscalls: {},
  failedSyscalls: { openat: 1 },
  runs: [{ source: 'x', lines: 0, syscalls: 0, unparsable: 0, pids: 0, untracedSyscalls: [] }],
  host: undefined,
} as unknown as Profile;

describe('profileJsonPieces', () => {
  it.each(goldens)('joins to JSON.stringify of the golden %s, indented and compact', (file) => {
    const profile = parseProfile(readFileSync(join(GOLDEN, file), 'utf8'));
    for (const indent of [2, 4, 0, undefined]) {
      expect([...profileJsonPieces(profile, indent)].join('')).toBe(JSON.stringify(profile, null, indent));
    }
  });

  it('matches JSON.stringify on escapes, non-latin1 text, empty members and undefined ones', () => {
    for (const indent of [2, undefined]) {
      expect([...profileJsonPieces(odd, indent)].join('')).toBe(JSON.stringify(odd, null, indent));
    }
    const empty = { ...odd, actions: [], runs: [] };
    expect([...profileJsonPieces(empty, 2)].join('')).toBe(JSON.stringify(empty, null, 2));
  });

  it('yields one piece per action, so no piece grows with the profile', () => {
    const many = {
      ...odd,
      actions: Array.from({ length: 1000 }, (_, i) => ({ ...odd.actions[0]!, seq: i })),
    };
    const pieces = [...profileJsonPieces(many, 2)];
    expect(pieces.length).toBeGreaterThan(1000);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(500);
    const batches = [...batchPieces(pieces, 4096)];
    expect(batches.join('')).toBe(JSON.stringify(many, null, 2));
    expect(batches.length).toBeGreaterThan(10);
  });
});
