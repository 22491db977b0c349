import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandSyscallGroup, parseSyscallFilterOutput } from './syscallFilter';
import { BUNDLED_SYSCALL_GROUPS } from './syscallGroups.generated';
import { syscallGroupsFor } from './groups';

const fixture = (v: number): string =>
  readFileSync(join(__dirname, 'data', `syscall-filter-${v}.txt`), 'utf8');

describe('parseSyscallFilterOutput on real systemd output', () => {
  it.each([252, 257])('systemd %i: groups, descriptions skipped, nested groups kept as references', (v) => {
    const groups = parseSyscallFilterOutput(fixture(v));
    expect(groups['@default']).toContain('execve');
    expect(groups['@privileged']).toContain('@chown');
    expect(groups['@mount']).toEqual(expect.arrayContaining(['mount', 'umount2', 'pivot_root']));
    expect(
      Object.values(groups)
        .flat()
        .some((m) => m.startsWith('#')),
    ).toBe(false);
    // The trailing "# Ungrouped System Calls" comment block is not a group.
    expect(Object.keys(groups)).toHaveLength(v === 252 ? 29 : 30);
    expect(groups['@known']!.length).toBeGreaterThan(400);
  });

  it('sees what changed between 252 and 257 (@sandbox appeared)', () => {
    expect(parseSyscallFilterOutput(fixture(252))['@sandbox']).toBeUndefined();
    expect(parseSyscallFilterOutput(fixture(257))['@sandbox']).toEqual(
      expect.arrayContaining(['landlock_create_ruleset']),
    );
  });

  it('the bundled data is exactly the parsed fixtures (regenerate with scripts/gen-syscall-groups)', () => {
    for (const v of [252, 257])
      expect(BUNDLED_SYSCALL_GROUPS[v]).toEqual(parseSyscallFilterOutput(fixture(v)));
  });

  it('rejects output that is not syscall-filter output', () => {
    expect(() => parseSyscallFilterOutput('')).toThrow(/no groups/);
    expect(() => parseSyscallFilterOutput('hello world\n')).toThrow(/unexpected header/);
    expect(() => parseSyscallFilterOutput('    execve\n')).toThrow(/outside a group/);
    expect(() => parseSyscallFilterOutput('@a\n    x\n\n@a\n    y\n')).toThrow(/twice/);
  });
});

describe('expandSyscallGroup', () => {
  it('expands nested groups recursively and survives cycles', () => {
    const groups = { '@a': ['x', '@b'], '@b': ['y', '@a'] };
    expect([...expandSyscallGroup(groups, '@a')].sort()).toEqual(['x', 'y']);
    expect([...expandSyscallGroup(groups, 'plain')]).toEqual(['plain']);
  });

  it('@privileged includes @chown members on real 257 data', () => {
    const g = BUNDLED_SYSCALL_GROUPS[257]!;
    expect(expandSyscallGroup(g, '@privileged').has('fchownat')).toBe(true);
  });
});

describe('syscallGroupsFor', () => {
  it('prefers the probed groups, else the newest bundled release not newer than the target', () => {
    expect(syscallGroupsFor(257, { '@x': ['y'] })?.source).toBe('host');
    expect(syscallGroupsFor(256)?.source).toBe('bundled systemd 252');
    expect(syscallGroupsFor(258)?.source).toBe('bundled systemd 257');
    expect(syscallGroupsFor(251)).toBeUndefined();
  });
});
