import {
  fingerprint,
  fingerprintChanges,
  mergeProfiles,
  parseProfile,
  profileDigest,
  profileNotes,
  ProfileError,
} from './index';
import { renderDropIn } from '../dropin';
import { resolve } from '../resolve';
import { facts257 } from '../resolve/testkit';
import { summarizeLines } from '../summary/testHelpers';
import { PROFILE_SCHEMA } from './schema';
import type { Profile } from './schema';
import { HostFacts } from './hostFacts';

const ev = (line: number, pid = 1) => ({ pid, line, syscall: 'openat' });

function profile(partial: Partial<Profile>): Profile {
  return {
    schema: PROFILE_SCHEMA,
    actions: [],
    syscalls: {},
    failedSyscalls: {},
    runs: [{ source: 'r', lines: 10, syscalls: 5, unparsable: 0, pids: 1 }],
    ...partial,
  };
}

const a = profile({
  actions: [
    { seq: 0, count: 2, action: { kind: 'path', access: 'read', path: '/etc/a', ev: ev(1) } },
    { seq: 1, count: 1, action: { kind: 'path', access: 'create', path: '/tmp/x', ev: ev(2) } },
  ],
  syscalls: { openat: 3, read: 1 },
  failedSyscalls: { statx: 1, membarrier: 2 },
  runs: [{ source: 'a', lines: 10, syscalls: 4, unparsable: 0, pids: 1 }],
});
const b = profile({
  actions: [
    {
      seq: 0,
      count: 1,
      action: { kind: 'socket', family: 'AF_INET', type: 'SOCK_STREAM', protocol: '0', ev: ev(5, 9) },
    },
    { seq: 1, count: 4, action: { kind: 'path', access: 'read', path: '/etc/a', ev: ev(7, 9) } },
  ],
  syscalls: { openat: 1, statx: 2 },
  failedSyscalls: { membarrier: 1 },
  runs: [{ source: 'b', lines: 20, syscalls: 3, unparsable: 1, pids: 2 }],
});

describe('mergeProfiles', () => {
  it('unions actions: counts summed, first evidence kept, b’s new actions after a’s, runs concatenated', () => {
    const m = mergeProfiles(a, b);
    expect(m.actions).toEqual([
      { seq: 0, count: 6, action: { kind: 'path', access: 'read', path: '/etc/a', ev: ev(1) } },
      { seq: 1, count: 1, action: { kind: 'path', access: 'create', path: '/tmp/x', ev: ev(2) } },
      {
        seq: 2,
        count: 1,
        action: {
          kind: 'socket',
          family: 'AF_INET',
          type: 'SOCK_STREAM',
          protocol: '0',
          ev: { ...ev(5, 9), run: 1 },
        },
      },
    ]);
    expect(m.runs.map((r) => r.source)).toEqual(['a', 'b']);
  });

  it('sums syscall counts and drops names from failedSyscalls once they succeeded anywhere', () => {
    const m = mergeProfiles(a, b);
    expect(m.syscalls).toEqual({ openat: 4, read: 1, statx: 2 });
    expect(m.failedSyscalls).toEqual({ membarrier: 3 });
  });

  it('shifts evidence run indexes by the runs already merged', () => {
    const ab = mergeProfiles(a, b);
    const c = profile({
      actions: [{ seq: 0, count: 1, action: { kind: 'mmapWX', ev: ev(3) } }],
      runs: [{ source: 'c', lines: 1, syscalls: 1, unparsable: 0, pids: 1 }],
    });
    const abc = mergeProfiles(ab, c);
    expect(abc.actions.at(-1)!.action.ev.run).toBe(2);
    expect(abc.runs).toHaveLength(3);
  });

  it('does not modify its inputs', () => {
    const before = JSON.stringify([a, b]);
    mergeProfiles(a, b);
    expect(JSON.stringify([a, b])).toBe(before);
  });
});

describe('profileDigest', () => {
  it('is independent of key order and changes with content', () => {
    const reordered = JSON.parse(
      JSON.stringify({
        runs: a.runs,
        syscalls: a.syscalls,
        failedSyscalls: a.failedSyscalls,
        actions: a.actions,
        schema: a.schema,
      }),
    ) as Profile;
    expect(profileDigest(reordered)).toBe(profileDigest(a));
    expect(profileDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(profileDigest(b)).not.toBe(profileDigest(a));
  });
});

describe('parseProfile', () => {
  it('accepts a valid profile from text', () => {
    expect(parseProfile(JSON.stringify(a))).toEqual(a);
  });

  it('names the offending field', () => {
    const bad = JSON.parse(JSON.stringify(a)) as { actions: { action: { path: unknown } }[] };
    bad.actions[1]!.action.path = 42;
    expect(() => parseProfile(bad)).toThrow(/actions\[1\]\.action\.path/);
  });

  it('rejects an unknown action kind and a wrong schema version', () => {
    const bad = JSON.parse(JSON.stringify(a)) as { actions: { action: { kind: string } }[]; schema: string };
    bad.actions[0]!.action.kind = 'teleport';
    expect(() => parseProfile(bad)).toThrow(ProfileError);
    expect(() => parseProfile({ ...a, schema: 'hush.profile/v0' })).toThrow(/schema/);
  });

  it('reports invalid JSON as such', () => {
    expect(() => parseProfile('{"schema":')).toThrow(/not valid JSON/);
  });
});

describe('fingerprint', () => {
  const facts = HostFacts.parse({
    systemdVersion: 252,
    kernelRelease: '6.1.0-18-amd64',
    arch: 'x86_64',
    binaries: [
      { path: '/usr/sbin/nginx', sha256: 'aa', package: 'nginx', packageVersion: '1.22.1-9' },
      { path: '/usr/bin/env', sha256: 'bb', package: 'coreutils', packageVersion: '9.1-1' },
    ],
  });

  it('is stable regardless of binary order and ignores unrelated facts', () => {
    const swapped = { ...facts, binaries: [...facts.binaries].reverse(), straceVersion: '6.1' };
    expect(fingerprint(swapped).digest).toBe(fingerprint(facts).digest);
    expect(fingerprint(facts).binaries.map((x) => x.path)).toEqual(['/usr/bin/env', '/usr/sbin/nginx']);
  });

  it('changes, and says why, when a package is upgraded or systemd changes', () => {
    const upgraded = {
      ...facts,
      systemdVersion: 257,
      binaries: facts.binaries.map((x) =>
        x.package === 'nginx' ? { ...x, sha256: 'cc', packageVersion: '1.26.0-1' } : x,
      ),
    };
    expect(fingerprintChanges(fingerprint(facts), fingerprint(upgraded))).toEqual([
      'systemd 252 → 257',
      'binary /usr/sbin/nginx: nginx 1.22.1-9 → 1.26.0-1',
    ]);
    expect(fingerprintChanges(fingerprint(facts), fingerprint(facts))).toEqual([]);
  });
});

describe('profileNotes', () => {
  it('says how many successful accesses were left out rather than guessed, and the plan carries it', () => {
    const p = summarizeLines(['1 mkdir("/srv/x/link/../../etc/x", 0755) = 0', '1 unlink("rel") = 0']);
    expect(profileNotes(p)).toEqual([
      '1 successful access through unresolvable paths ignored (.. over a name the trace never saw resolved); if the hardened service fails, they are the first suspects',
      '1 path relative to an unknown working directory or file descriptor ignored',
    ]);
    const plan = resolve(p, facts257());
    expect(plan.notes).toEqual(profileNotes(p));
    expect(renderDropIn(plan, { version: '0' })).toContain(
      '# note: 1 successful access through unresolvable paths',
    );
    expect(profileNotes(summarizeLines(['1 getpid() = 5']))).toEqual([]);
  });
});

describe('the schema refuses what could reach a drop-in in disguise', () => {
  const good = (): Profile =>
    JSON.parse(
      JSON.stringify(
        summarizeLines(['1 openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3</etc/hosts>'], {
          host: { ...facts257(), unit: { name: 'nginx.service', properties: {}, dropIns: [] } },
        }),
      ),
    ) as Profile;
  const issuesOf = (p: unknown): string[] => {
    try {
      parseProfile(p);
      return [];
    } catch (err) {
      return (err as ProfileError).issues;
    }
  };

  it('accepts what hush writes', () => {
    expect(issuesOf(good())).toEqual([]);
  });

  const cases: [string, (p: Profile) => unknown, string][] = [
    [
      'a CR in the unit name (systemd breaks lines on a lone CR)',
      (p: Profile) => (p.host!.unit!.name = 'x.service\rExecStartPre=/bin/sh'),
      'host.unit.name',
    ],
    [
      'a unit name systemd does not allow',
      (p: Profile) => (p.host!.unit!.name = 'a b.service'),
      'host.unit.name',
    ],
    ['another unit type', (p: Profile) => (p.host!.unit!.name = 'x.socket'), 'host.unit.name'],
    [
      'a syscall name with a newline',
      (p: Profile) => (p.syscalls['read\nExecStartPre=/bin/sh'] = 1),
      'syscalls',
    ],
    [
      'a unit property with a newline',
      (p: Profile) => (p.host!.unit!.properties['SystemCallFilter'] = '~@mount\nExecStart=/x'),
      'host.unit.properties.SystemCallFilter',
    ],
    [
      'an IP peer that is not an IP address',
      (p: Profile) =>
        p.actions.push({
          seq: 9,
          count: 1,
          action: {
            kind: 'net',
            op: 'connect',
            family: 'AF_INET',
            address: 'localhost any',
            ev: { pid: 1, line: 2, syscall: 'connect' },
          },
        }),
      'actions[1].action.address',
    ],
    [
      'a relative path',
      (p: Profile) => ((p.actions[0]!.action as { path: string }).path = 'etc/hosts'),
      'actions[0].action.path',
    ],
    [
      'a NUL in a path',
      (p: Profile) => ((p.actions[0]!.action as { path: string }).path = '/etc/\u0000x'),
      'actions[0].action.path',
    ],
    [
      'a socket family with spaces',
      (p: Profile) =>
        p.actions.push({
          seq: 9,
          count: 1,
          action: {
            kind: 'socket',
            family: 'AF_INET x',
            type: 'SOCK_STREAM',
            protocol: '0',
            ev: { pid: 1, line: 2, syscall: 'socket' },
          },
        }),
      'actions[1].action.family',
    ],
  ];
  it.each(cases)('refuses %s, naming the field', (_what, mutate, field) => {
    const p = good();
    mutate(p);
    const issues = issuesOf(p);
    expect(issues.some((i) => i.startsWith(field))).toBe(true);
  });
});
