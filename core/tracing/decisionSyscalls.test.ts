import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolve } from '../resolve';
import { facts252, facts257, withUnit } from '../resolve/testkit';
import type { Profile } from '../profile/schema';
import { parseProfile } from '../profile';
import { parseStraceText } from '../strace';
import { HANDLED_SYSCALLS, createSummarizer } from '../summary';
import { BUNDLED_SYSCALL_GROUPS, expandSyscallGroup } from '../systemd';
import {
  CUSTOM_CHECK_SYSCALLS,
  completeDecisionProfile,
  decisionTraceSet,
  mayInheritFds,
  mayInheritPathFds,
  type DecisionTraceSet,
} from './decisionSyscalls';

const VERSIONS = Object.keys(BUNDLED_SYSCALL_GROUPS).map(Number);
/** A unit the manager hands only /dev/null and the journal (Debian's nginx, redis, caddy…). */
const KNOWN_PROPS = {
  FileDescriptorStoreMax: '0',
  StandardInput: 'null',
  StandardOutput: 'journal',
  StandardError: 'inherit',
  TriggeredBy: '',
};
const setFor = (v: number, props: Record<string, string> | undefined = KNOWN_PROPS) =>
  decisionTraceSet(BUNDLED_SYSCALL_GROUPS[v]!, v, props);

describe.each(VERSIONS)('decision trace set for systemd %i groups', (version) => {
  const groups = BUNDLED_SYSCALL_GROUPS[version]!;
  const set = setFor(version);
  // strace gets the complement of `untraced`, so names no list knows are traced too;
  // `set.traced` lists the known ones.
  const traced = { has: (n: string) => !set.untraced.has(n) };
  const listed = new Set(set.traced);

  test('every syscall with a summary handler is traced, but for the few whose handler UNTRACED says adds nothing', () => {
    const handledUntraced = [...HANDLED_SYSCALLS].filter((n) => set.untraced.has(n)).sort();
    expect(handledUntraced).toEqual(['close', 'fstat', 'setsockopt']);
    for (const name of HANDLED_SYSCALLS) {
      if (set.untraced.has(name)) {
        expect([name, set.untraced.get(name)?.handled?.why]).toEqual([name, expect.any(String)]);
        expect(listed.has(name)).toBe(false);
      } else expect(listed.has(name)).toBe(true);
    }
  });

  test('fstat stays traced when the manager may hand the unit an fd with a path (or the unit is unknown)', () => {
    for (const props of [
      undefined,
      { ...KNOWN_PROPS, StandardOutput: 'file' },
      { ...KNOWN_PROPS, StandardInput: 'tty' },
      { ...KNOWN_PROPS, OpenFile: '/etc/app.conf:conf' },
      { ...KNOWN_PROPS, TriggeredBy: 'app.socket' },
    ]) {
      const s = decisionTraceSet(groups, version, props);
      expect([props, s.untraced.has('fstat')]).toEqual([props, false]);
      expect(s.traced).toContain('fstat');
      // setsockopt's omission does not depend on the unit
      expect(s.untraced.has('setsockopt')).toBe(true);
    }
  });

  test('the hot syscalls without a decision are left out', () => {
    for (const name of [
      'read',
      'write',
      'futex',
      'epoll_wait',
      'epoll_pwait',
      'recvfrom',
      'clock_gettime',
      'fstat',
      'setsockopt',
    ]) {
      expect([name, set.untraced.has(name)]).toEqual([name, true]);
      expect(listed.has(name)).toBe(false);
    }
  });

  test('every syscall of every unit conservative mode can deny is traced (failing calls count there)', () => {
    const conservative = set.units.filter((u) => u.modes.has('conservative'));
    expect(conservative.map((u) => u.source)).toEqual(
      expect.arrayContaining([
        'SystemCallFilter @privileged',
        'SystemCallFilter @raw-io',
        'ProtectClock=yes',
      ]),
    );
    for (const u of conservative)
      for (const n of u.names) expect([u.source, n, traced.has(n)]).toEqual([u.source, n, true]);
  });

  test('every syscall of every deniable group is traced, or left out with a rule that decides its group', () => {
    const units = set.units;
    // The option model's units include the groups SystemCallFilter denies in aggressive mode.
    expect(units.map((u) => u.source)).toEqual(
      expect.arrayContaining([
        'SystemCallFilter @basic-io',
        'SystemCallFilter @io-event',
        'SystemCallFilter @network-io',
      ]),
    );
    for (const u of units) {
      for (const n of u.names) {
        if (traced.has(n)) continue;
        const why = set.untraced.get(n);
        expect([u.source, n, why?.kind]).toEqual([u.source, n, expect.stringMatching(/^(implied|assumed)$/)]);
        if (why?.kind === 'implied') {
          // Its witnesses are traced, and one is in the same unit (so "unit unused" is observable).
          for (const w of why.witnesses) expect(set.untraced.has(w)).toBe(false);
          expect(why.witnesses.some((w) => u.names.has(w))).toBe(true);
        }
      }
    }
  });

  test('untraced syscalls are inside @system-service (the aggressive allow-list never needs their names)', () => {
    const base = expandSyscallGroup(groups, '@system-service');
    for (const n of set.untraced.keys()) expect([n, base.has(n)]).toEqual([n, true]);
  });

  test('syscall names that custom checks read are traced', () => {
    // Every `syscalls.has('x')` in the option model must be listed in CUSTOM_CHECK_SYSCALLS.
    const dir = join(__dirname, '..', 'systemd');
    const read = new Set<string>();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts') && !x.endsWith('.test.ts'))) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(
        /[sS]yscalls\.(?:has|get)\('([a-z0-9_]+)'\)/g,
      ))
        read.add(m[1]!);
    }
    expect([...read].sort()).toEqual([...CUSTOM_CHECK_SYSCALLS].sort());
    for (const n of CUSTOM_CHECK_SYSCALLS) expect(traced.has(n)).toBe(true);
  });
});

describe('mayInheritPathFds', () => {
  test('stdio on /dev/null, the journal or a socket hands in no path; files, ttys, OpenFile=, socket units and the fd store may', () => {
    expect(mayInheritPathFds(KNOWN_PROPS)).toBe(false);
    expect(
      mayInheritPathFds({ ...KNOWN_PROPS, StandardOutput: 'kmsg+console', StandardError: 'socket' }),
    ).toBe(false);
    expect(mayInheritPathFds(undefined)).toBe(true);
    expect(mayInheritPathFds({})).toBe(true);
    // a stdio property missing from the unit's properties is unknown
    expect(mayInheritPathFds({ FileDescriptorStoreMax: '0', StandardInput: 'null' })).toBe(true);
    for (const [k, v] of [
      ['StandardOutput', 'file'],
      ['StandardOutput', 'append'],
      ['StandardError', 'truncate'],
      ['StandardInput', 'tty'],
      ['StandardOutput', 'tty'],
      ['StandardOutput', 'console'],
      ['StandardInput', 'fd'],
      ['OpenFile', '/srv/data:data:read-only'],
      ['Sockets', 'app.socket'],
      ['TriggeredBy', 'app.socket'],
      ['FileDescriptorStoreMax', '2'],
    ] as const) {
      expect([k, v, mayInheritPathFds({ ...KNOWN_PROPS, [k]: v })]).toEqual([k, v, true]);
    }
  });
});

describe('mayInheritFds', () => {
  test('socket activation, the fd store, OpenFile= and stdio sockets hand fds in; unknown props count as yes', () => {
    expect(mayInheritFds(undefined)).toBe(true);
    expect(mayInheritFds({})).toBe(true);
    expect(mayInheritFds({ TriggeredBy: 'app.socket', FileDescriptorStoreMax: '0' })).toBe(true);
    expect(mayInheritFds({ FileDescriptorStoreMax: '4' })).toBe(true);
    expect(mayInheritFds({ FileDescriptorStoreMax: '0', StandardInput: 'socket' })).toBe(true);
    expect(mayInheritFds({ FileDescriptorStoreMax: '0', OpenFile: '/run/x:x' })).toBe(true);
    expect(mayInheritFds({ FileDescriptorStoreMax: '0', StandardInput: 'null', TriggeredBy: '' })).toBe(
      false,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Equivalence on real traces: a full trace, and the same trace with the untraced syscalls' lines
// removed (what `--seccomp-bpf -e trace=!…` prints), must resolve to the same options in every mode.

const FIXTURES = join(__dirname, '..', 'summary', 'fixtures');

function summarize(text: string): Profile {
  const { events } = parseStraceText(text, { fullParse: (n) => HANDLED_SYSCALLS.has(n) });
  const s = createSummarizer({ cwd: '/tmp/hush-fx', source: 'fixture' });
  for (const ev of events) s.push(ev);
  return s.finish();
}

/** Drops the lines of untraced syscalls (calls, unfinished halves and resumed halves). */
function withoutUntraced(text: string, set: DecisionTraceSet): string {
  const names = [...set.untraced.keys()].join('|');
  const call = new RegExp(
    `^(?:\\[pid\\s+\\d+\\] |\\d+ +)?(?:[\\d.:]+ +)?(?:(?:${names})\\(|<\\.\\.\\. (?:${names}) resumed>)`,
  );
  return text
    .split('\n')
    .filter((l) => !call.test(l))
    .join('\n');
}

const assignments = (
  p: Profile,
  facts: ReturnType<typeof facts257>,
  mode: 'conservative' | 'standard' | 'aggressive',
) =>
  resolve(p, facts, { mode }).chosen.map(
    (d) => `${d.option}=${typeof d.value === 'string' ? d.value : d.value.join(' ')}`,
  );

/** SystemCallFilter's denied groups, and every other assignment as text. */
function split(
  p: Profile,
  facts: ReturnType<typeof facts257>,
  mode: 'conservative' | 'standard' | 'aggressive',
) {
  const all = assignments(p, facts, mode);
  const filter = all.filter((a) => a.startsWith('SystemCallFilter=~'));
  const denied = new Set(filter.flatMap((a) => a.slice('SystemCallFilter=~'.length).split(' ')));
  return { denied, rest: all.filter((a) => !filter.includes(a)) };
}

describe.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.strace')))('fixture %s', (file) => {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const decisionsOf = (facts: ReturnType<typeof facts257>) => {
    const set = setFor(facts.systemdVersion, facts.unit?.properties);
    const filtered = withoutUntraced(text, set);
    expect(filtered.length).toBeLessThan(text.length);
    const partial = summarize(filtered);
    for (const n of set.untraced.keys()) expect(partial.syscalls[n]).toBeUndefined();
    const { profile } = completeDecisionProfile(partial, set, facts.unit?.properties);
    expect(() => parseProfile(JSON.parse(JSON.stringify(profile)))).not.toThrow();
    expect(profile.runs.every((r) => r.tracing === 'decisions')).toBe(true);
    return profile;
  };

  test.each([
    ['252', withUnit(KNOWN_PROPS, facts252())],
    ['257', withUnit(KNOWN_PROPS)],
  ])('decision tracing resolves as full tracing does (systemd %s)', (_label, facts) => {
    const full = summarize(text);
    const decisions = decisionsOf(facts);
    for (const mode of ['conservative', 'standard', 'aggressive'] as const) {
      expect([mode, assignments(decisions, facts, mode)]).toEqual([mode, assignments(full, facts, mode)]);
    }
  });

  test('with the unit unknown (fds may be inherited), decision tracing never denies more than full tracing', () => {
    const facts = facts257();
    const full = summarize(text);
    const decisions = decisionsOf(facts);
    for (const mode of ['conservative', 'standard', 'aggressive'] as const) {
      const d = split(decisions, facts, mode);
      const f = split(full, facts, mode);
      expect([mode, d.rest]).toEqual([mode, f.rest]);
      for (const g of d.denied) expect([mode, g, f.denied.has(g)]).toEqual([mode, g, true]);
    }
  });
});

describe('completeDecisionProfile', () => {
  const set = setFor(257);
  const profile = (syscalls: Record<string, number>): Profile => ({
    schema: 'hush.profile/v1',
    actions: [],
    syscalls,
    failedSyscalls: {},
    runs: [{ source: 't', lines: 1, syscalls: 1, unparsable: 0, pids: 1 }],
  });
  const noInherit = { FileDescriptorStoreMax: '0', StandardInput: 'null' };

  test('a unit with a traced member seen needs no assumption', () => {
    const r = completeDecisionProfile(
      profile({ dup2: 3, openat: 1, epoll_create1: 1, socket: 1 }),
      set,
      noInherit,
    );
    expect(r.assumed).toEqual([]);
    expect(r.profile.runs[0]).toMatchObject({
      tracing: 'decisions',
      untracedSyscalls: [...set.untraced.keys()],
    });
  });

  test('@basic-io with no traced member seen: read/write… are assumed used (count 0)', () => {
    const r = completeDecisionProfile(profile({ exit_group: 1 }), set, noInherit);
    expect(r.assumed).toEqual(expect.arrayContaining(['read', 'write', 'lseek']));
    expect(r.profile.syscalls.read).toBe(0);
    // epoll/recv cannot have run: no epoll fd and no socket was ever made, none inherited
    expect(r.assumed).not.toContain('epoll_wait');
    expect(r.assumed).not.toContain('recvfrom');
  });

  test('recv* and epoll_* are assumed used when the unit may have inherited fds', () => {
    const r = completeDecisionProfile(profile({ dup: 1 }), set, { TriggeredBy: 'app.socket' });
    expect(r.assumed).toEqual(expect.arrayContaining(['recvfrom', 'recvmsg', 'epoll_wait']));
    expect(r.assumed).not.toContain('read');
  });

  test('epoll_* are assumed used when a socket exists but no @io-event call was seen (an epoll fd may be passed in)', () => {
    const r = completeDecisionProfile(profile({ dup: 1, socket: 1 }), set, noInherit);
    expect(r.assumed).toEqual(expect.arrayContaining(['epoll_wait', 'epoll_ctl']));
    expect(r.assumed).not.toContain('recvfrom');
  });
});

describe('close left out: an fd entry is only used for the object it was made for', () => {
  const hex = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  const fd = (n: number, object: string) => `${n}<${hex(object)}>`;
  const set = setFor(257);
  const decisions = (trace: string) =>
    completeDecisionProfile(summarize(withoutUntraced(trace, set)), set, KNOWN_PROPS).profile;
  const actions = (p: Profile) => p.actions.map((a) => JSON.stringify({ ...a.action, ev: undefined }));

  const bindAny6 = (n: number, object: string) =>
    `741   bind(${fd(n, object)}, {sa_family=AF_INET6, sin6_port=htons(5353), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "${hex('::')}", &sin6_addr), sin6_scope_id=0}, 28) = 0`;
  const end = ['741   exit_group(0)                     = ?', '741   +++ exited with 0 +++', ''];

  test('a socket closed unseen, its number reused by a socket received over SCM_RIGHTS: the old entry is not read', () => {
    // fd 3: a datagram socket, closed; fd 3 again: a socket of unknown type (recvmsg, untraced)
    const trace = [
      `741   socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = ${fd(3, 'socket:[7001]')}`,
      `741   close(${fd(3, 'socket:[7001]')}) = 0`,
      `741   recvmsg(${fd(5, 'socket:[7003]')}, {msg_name=NULL, msg_namelen=0, msg_iov=NULL, msg_iovlen=0, msg_controllen=0, msg_flags=0}, 0) = 0`,
      bindAny6(3, 'socket:[7002]'),
      ...end,
    ].join('\n');
    expect(set.untraced.has('close')).toBe(true);
    const full = summarize(trace);
    expect(actions(decisions(trace))).toEqual(actions(full));
    // what a stale entry would have added: the old socket's type on the new socket's bind
    expect(actions(full).filter((a) => a.includes('"op":"bind"') && a.includes('SOCK_DGRAM'))).toEqual([]);
  });

  test('the same socket under its own number after an unseen close of a dup: the entry still applies', () => {
    const trace = [
      `741   socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = ${fd(3, 'socket:[7001]')}`,
      `741   dup(${fd(3, 'socket:[7001]')}) = ${fd(4, 'socket:[7001]')}`,
      `741   close(${fd(4, 'socket:[7001]')}) = 0`,
      bindAny6(3, 'socket:[7001]'),
      ...end,
    ].join('\n');
    const full = summarize(trace);
    expect(actions(decisions(trace))).toEqual(actions(full));
    expect(actions(full).filter((a) => a.includes('"op":"bind"') && a.includes('SOCK_DGRAM')).length).toBe(2);
  });

  test('pidfd_send_signal seen: another process is assumed signalled (a pidfd entry may be stale), never less', () => {
    const trace = [
      '741   clone(child_stack=NULL, flags=SIGCHLD) = 742',
      `741   pidfd_open(742, 0) = ${fd(3, 'anon_inode:[pidfd]')}`,
      `741   pidfd_send_signal(${fd(3, 'anon_inode:[pidfd]')}, SIGTERM, NULL, 0) = 0`,
      '741   exit_group(0)                     = ?',
      '741   +++ exited with 0 +++',
      '',
    ].join('\n');
    const full = summarize(trace);
    expect(full.actions.some((a) => a.action.kind === 'killOther')).toBe(false);
    const d = decisions(trace);
    expect(d.actions.filter((a) => a.action.kind === 'killOther').map((a) => a.action)).toMatchObject([
      { kind: 'killOther', target: -1 },
    ]);
    // no pidfd_send_signal: nothing is added
    const plain = completeDecisionProfile(summarize('741   exit_group(0) = ?\n'), set, KNOWN_PROPS).profile;
    expect(plain.actions).toEqual([]);
  });
});

describe('setsockopt left out: an unseen IPV6_V6ONLY can only allow more', () => {
  const hex = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  const sock = `3<${hex('socket:[7001]')}>`;
  // nginx's `listen [::]:8080` with ipv6only=on: the only IPv4 there is comes from the mirror rule
  const trace = [
    `741   socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = ${sock}`,
    `741   setsockopt(${sock}, SOL_IPV6, IPV6_V6ONLY, [1], 4) = 0`,
    `741   bind(${sock}, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "${hex('::')}", &sin6_addr), sin6_scope_id=0}, 28) = 0`,
    `741   listen(${sock}, 511) = 0`,
    '741   exit_group(0)                     = ?',
    '741   +++ exited with 0 +++',
    '',
  ].join('\n');

  test('full tracing binds ipv6 only; without setsockopt the bind also counts as ipv4 (more allowed, never less)', () => {
    const facts = withUnit(KNOWN_PROPS);
    const set = setFor(257);
    expect(set.untraced.has('setsockopt')).toBe(true);
    const full = summarize(trace);
    const { profile: decisions } = completeDecisionProfile(
      summarize(withoutUntraced(trace, set)),
      set,
      KNOWN_PROPS,
    );
    const allow = (p: Profile) =>
      resolve(p, facts, { mode: 'standard' }).chosen.find((d) => d.option === 'SocketBindAllow')?.value;
    expect(allow(full)).toEqual(['ipv6:tcp:8080']);
    expect(allow(decisions)).toEqual(['ipv4:tcp:8080', 'ipv6:tcp:8080']);
  });
});
