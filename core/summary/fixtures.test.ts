/**
 * Real logs (fixtures/*.strace, captured by fixtures/capture.sh with hush's flags, by strace 6.1 on
 * Debian 12 and strace 6.13 on a Debian 13 test host) summarized end to end through the real
 * parser. Assertions cover the actions under the work directory exactly, in order, and that every
 * evidence line points at that syscall in the log. Both strace versions must give the same actions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStraceText } from '../strace';
import type { Profile } from '../profile/schema';
import { HANDLED_SYSCALLS } from './handlers';
import { createSummarizer } from './summarizer';
import { describe as describeAction } from './testHelpers';

function summarizeFixture(name: string): { profile: Profile; lines: string[] } {
  const text = readFileSync(join(__dirname, 'fixtures', name), 'utf8');
  const { events, unparsed } = parseStraceText(text, { fullParse: (n) => HANDLED_SYSCALLS.has(n) });
  expect(unparsed).toEqual([]);
  // The traced programs started in /tmp/hush-fx (capture.sh).
  const s = createSummarizer({ cwd: '/tmp/hush-fx', source: name });
  for (const ev of events) s.push(ev);
  return { profile: s.finish(), lines: text.split('\n') };
}

const WORK = '/tmp/hush-fx';
const underWork = (p: Profile) =>
  p.actions
    .map((a) => a.action)
    .filter((a) => a.kind !== 'path' || a.path.startsWith(WORK + '/') || a.path === WORK)
    .filter((a) => a.kind === 'path' || a.kind === 'net' || a.kind === 'socket')
    .map(describeAction);

function expectEvidenceOnItsLine(profile: Profile, lines: string[]): void {
  for (const { action } of profile.actions) {
    const line = lines[action.ev.line - 1] ?? '';
    expect(line.startsWith(`${action.ev.pid} `)).toBe(true);
    expect(line).toContain(`${action.ev.syscall}(`);
  }
}

const STRACES = [
  ['strace 6.1', ''],
  ['strace 6.13', '.strace613'],
] as const;

describe.each(STRACES)(
  'fixture fork-cwd (sh with a subshell that changes directory), %s',
  (_label, suffix) => {
    const { profile, lines } = summarizeFixture(`fork-cwd${suffix}.strace`);

    it('resolves each process’s relative paths in its own cwd, in order', () => {
      expect(underWork(profile).filter((a) => a !== 'read /tmp/hush-fx')).toEqual([
        'create /tmp/hush-fx/made',
        'read /tmp/hush-fx/sub',
        'create /tmp/hush-fx/sub/inner',
        'write /tmp/hush-fx/sub/inner',
        'create /tmp/hush-fx/outer',
        'write /tmp/hush-fx/outer',
        'read /tmp/hush-fx/outer',
        'remove /tmp/hush-fx/outer',
      ]);
    });

    it('executes the programs the shell ran and counts every process', () => {
      const execs = profile.actions.flatMap(({ action: a }) =>
        a.kind === 'path' && a.access === 'exec' ? [a.path] : [],
      );
      expect(execs).toEqual(
        expect.arrayContaining(['/bin/sh', '/usr/bin/mkdir', '/usr/bin/cat', '/usr/bin/rm']),
      );
      expect(profile.runs[0]).toMatchObject({ pids: 5, unresolvedPaths: 0 });
    });

    it('points every evidence at its own line', () => expectEvidenceOnItsLine(profile, lines));
  },
);

describe.each(STRACES)('fixture threads-net (python threads, dirfds, sockets), %s', (_label, suffix) => {
  const { profile, lines } = summarizeFixture(`threads-net${suffix}.strace`);

  it('follows a thread’s chdir (CLONE_FS) and its dir fd (CLONE_FILES), a dual-stack listener and a unix socket', () => {
    expect(underWork(profile).filter((a) => a !== 'read /tmp/hush-fx')).toEqual([
      'read /tmp/hush-fx/sub',
      'create /tmp/hush-fx/sub/t.tmp',
      'write /tmp/hush-fx/sub/t.tmp',
      'remove /tmp/hush-fx/sub/t.tmp',
      'create /tmp/hush-fx/sub/t.final',
      'create /tmp/hush-fx/sub/rel-after-thread-chdir',
      'write /tmp/hush-fx/sub/rel-after-thread-chdir',
      'read /tmp/hush-fx/sub/rel-after-thread-chdir',
      'socket AF_INET6 SOCK_STREAM IPPROTO_IP',
      'net bind AF_INET 0.0.0.0:0 SOCK_STREAM',
      'net bind AF_INET6 :::0 SOCK_STREAM',
      'net listen AF_INET 0.0.0.0:0 SOCK_STREAM',
      'net listen AF_INET6 :::0 SOCK_STREAM',
      'socket AF_UNIX SOCK_DGRAM 0',
      'net bind AF_UNIX /tmp/hush-fx/u.sock:* SOCK_DGRAM',
      'create /tmp/hush-fx/u.sock',
    ]);
  });

  it('records the interpreter and its W^X-free mappings', () => {
    const kinds = new Set(profile.actions.map((a) => a.action.kind));
    expect(kinds.has('mmapWX')).toBe(false);
    expect(
      profile.actions.some(
        ({ action: a }) => a.kind === 'path' && a.access === 'exec' && a.path === '/usr/bin/python3',
      ),
    ).toBe(true);
    expect(profile.syscalls['clone3']).toBe(1);
  });

  it('points every evidence at its own line', () => expectEvidenceOnItsLine(profile, lines));
});

describe('fixture nginx (master, two workers, one request, graceful stop), strace 6.13', () => {
  const { profile, lines } = summarizeFixture('nginx.strace613.strace');
  const kinds = (k: string[]) =>
    profile.actions
      .map((a) => a.action)
      .filter((a) => k.includes(a.kind))
      .map(describeAction);

  it('records the listeners, their IPv6-only socket, and the accepted client', () => {
    expect(kinds(['net']).filter((a) => !a.includes('AF_UNIX'))).toEqual([
      'net bind AF_INET 127.0.0.1:8089 SOCK_STREAM',
      'net listen AF_INET 127.0.0.1:8089 SOCK_STREAM',
      'net bind AF_INET6 ::1:8089 SOCK_STREAM',
      'net listen AF_INET6 ::1:8089 SOCK_STREAM',
      'net accept AF_INET 127.0.0.1:* SOCK_STREAM',
    ]);
  });

  it('records the workers dropping privileges and the master’s chown of its temp dirs', () => {
    expect(kinds(['setCredentials'])).toEqual([
      'setCredentials setgid',
      'setCredentials setgroups',
      'setCredentials setuid',
    ]);
    expect(kinds(['chown'])).toEqual(
      ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((d) => `chown /var/lib/nginx/${d}`),
    );
  });

  it('records the pid file created, written and finally removed, logs opened for append', () => {
    const work = underWork(profile);
    expect(work.filter((a) => a.includes('nginx.pid'))).toEqual([
      'create /tmp/hush-fx/ngx/nginx.pid',
      'write /tmp/hush-fx/ngx/nginx.pid',
      'read /tmp/hush-fx/ngx/nginx.pid',
      'remove /tmp/hush-fx/ngx/nginx.pid',
    ]);
    expect(work).toEqual(
      expect.arrayContaining([
        'create /tmp/hush-fx/ngx/logs/error.log',
        'write /tmp/hush-fx/ngx/logs/access.log',
        'read /tmp/hush-fx/ngx/html/index.html',
      ]),
    );
  });

  it('sees three processes, nothing unresolved, no signal to a foreign process', () => {
    expect(profile.runs[0]).toMatchObject({ pids: 3, unresolvedPaths: 0, unparsable: 0 });
    expect(kinds(['killOther', 'mmapWX', 'ptrace'])).toEqual([]);
  });

  it('points every evidence at its own line', () => expectEvidenceOnItsLine(profile, lines));
});

/**
 * memcached (Debian 13 VM, strace 6.13) under the bounding set of Debian's unit (CAP_SETGID
 * CAP_SETUID CAP_SYS_RESOURCE, no CAP_SYS_PTRACE): after setuid(memcache) strace cannot read the
 * process's memory, so its binds on 127.0.0.1 and ::1 and its accepts print bare addresses. The
 * binds must stay in the profile with their family (an unknown address and port), and the run
 * must say that arguments were unreadable; before, they vanished and SocketBindDeny= denied them.
 */
describe('fixture memcached-dropped (privileges dropped out of strace reach), strace 6.13', () => {
  const { profile, lines } = summarizeFixture('memcached-dropped.strace613.strace');
  const net = profile.actions
    .map((a) => a.action)
    .filter((a) => a.kind === 'net')
    .map(describeAction);

  it('keeps the binds, listens and accepts with the socket family and no address', () => {
    expect(net).toEqual([
      'net bind AF_INET SOCK_STREAM',
      'net listen AF_INET SOCK_STREAM',
      'net bind AF_INET6 SOCK_STREAM',
      'net listen AF_INET6 SOCK_STREAM',
      'net accept AF_INET SOCK_STREAM',
      'net accept AF_INET6 SOCK_STREAM',
    ]);
  });

  it('counts the unreadable arguments of successful calls (paths and addresses)', () => {
    // 2 binds, 2 accepts and the openat paths after the drop
    expect(profile.runs[0]!.unreadableArgs).toBeGreaterThanOrEqual(4);
  });

  it('points every evidence at its own line', () => expectEvidenceOnItsLine(profile, lines));
});
