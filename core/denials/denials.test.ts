import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { facts257 } from '../resolve/testkit';
import type { Assignment } from '../resolve';
import { analyzeDenials, findingOf, parseJournalLines, pathOf, type UnitContext } from '.';

const fixture = (name: string) =>
  readFileSync(join(__dirname, 'fixtures/debian-13', `${name}.jsonl`), 'utf8');
const nginx = (extra: Partial<UnitContext> = {}): UnitContext => ({
  unit: 'nginx.service',
  programs: ['/usr/sbin/nginx'],
  pids: new Set(),
  ...extra,
});
const facts = facts257({ unit: { name: 'nginx.service', properties: {}, dropIns: [] } });
const dropIn = (...lines: [string, string | string[]][]): Assignment[] =>
  lines.map(([option, value]) => ({ option, value }));
const show = (a: Assignment[]) =>
  a.map((x) => `${x.option}=${typeof x.value === 'string' ? x.value : x.value.join(' ')}`);

describe('seccomp records (real kernel lines from the debian-13 test host)', () => {
  test('a worker killed by SystemCallFilter=~sendfile: syscall named, SystemCallFilter the cause, sendfile the fix', () => {
    const r = analyzeDenials(fixture('seccomp-kill'), nginx(), {
      dropIn: dropIn(['SystemCallFilter', ['~sendfile']]),
      facts,
    });
    expect(r.denials).toHaveLength(1);
    const d = r.denials[0]!;
    expect(d.finding).toMatchObject({
      kind: 'seccomp',
      action: 'kill-process',
      syscall: 'sendfile',
      arch: 'x86_64',
      exe: '/usr/sbin/nginx',
      pid: 628,
    });
    expect(d.attribution).toBe('executable');
    expect(d.causes.map((c) => c.option)).toEqual(['SystemCallFilter']);
    expect(show(d.causes[0]!.relaxation)).toEqual(['SystemCallFilter=sendfile']);
    expect(d.summary).toMatch(
      /sendfile killed the process \(SIGSYS\).*SystemCallFilter=~sendfile → SystemCallFilter=sendfile/,
    );
  });

  test("a pid seen in the cgroup is the strongest attribution; an unknown program with an unknown pid is not the unit's", () => {
    expect(
      analyzeDenials(fixture('seccomp-kill'), nginx({ pids: new Set([628]) }), { dropIn: [], facts })
        .denials[0]?.attribution,
    ).toBe('cgroup');
    expect(
      analyzeDenials(fixture('seccomp-kill'), nginx({ programs: ['/usr/bin/other'] }), { dropIn: [], facts })
        .denials,
    ).toEqual([]);
  });

  test('SystemCallLog= records are "would deny", with the same fix', () => {
    const r = analyzeDenials(fixture('seccomp-log-allowlist'), nginx(), {
      dropIn: dropIn(['SystemCallLog', ['sendfile', 'bind']]),
      facts,
    });
    const calls = r.denials.map(
      (d) => d.finding.kind === 'seccomp' && `${d.finding.action}:${d.finding.syscall}`,
    );
    expect(calls).toEqual(['log:bind', 'log:bind', 'log:bind', 'log:bind', 'log:sendfile']);
    expect(r.denials[0]!.causes[0]).toMatchObject({
      option: 'SystemCallLog',
      relaxation: [{ option: 'SystemCallFilter', value: ['bind'] }],
    });
  });

  test("the main process killed by SIGSYS: matched through the manager's exit report, restart loop seen", () => {
    const r = analyzeDenials(
      fixture('mainsigsys-restart'),
      { unit: 'hush-testsvc-restart.service', programs: [], pids: new Set() },
      { dropIn: dropIn(['SystemCallFilter', ['~bind']]), facts },
    );
    const seccomp = r.denials.filter((d) => d.finding.kind === 'seccomp');
    expect(seccomp.length).toBeGreaterThanOrEqual(4);
    expect(
      seccomp.every(
        (d) => d.attribution === 'main-exit' && d.finding.kind === 'seccomp' && d.finding.syscall === 'bind',
      ),
    ).toBe(true);
    expect(
      r.denials.some(
        (d) => d.finding.kind === 'exit' && d.finding.status === '31/SYS' && d.attribution === 'manager',
      ),
    ).toBe(true);
    expect(r.denials.some((d) => d.finding.kind === 'start-failed' && d.finding.result === 'signal')).toBe(
      true,
    );
  });

  test('a forged kernel line (userspace facility in /dev/kmsg) is not a record', () => {
    const line = fixture('seccomp-kill')
      .split('\n')
      .find((l) => l.includes('type=1326'))!;
    const forged = line.replace('"SYSLOG_FACILITY":"0"', '"SYSLOG_FACILITY":"1"');
    expect(findingOf(parseJournalLines(forged).entries[0]!)).toBeUndefined();
    expect(findingOf(parseJournalLines(line).entries[0]!)).toMatchObject({ kind: 'seccomp' });
  });
});

describe("a service's own errno lines", () => {
  test('ProtectHome=yes: the access log under /home is the cause, ProtectHome relaxed, --writable the apply flag', () => {
    const r = analyzeDenials(fixture('protecthome'), nginx(), {
      dropIn: dropIn(['ProtectHome', 'yes']),
      facts,
    });
    const d = r.denials.find((x) => x.finding.kind === 'errno')!;
    expect(d.finding).toMatchObject({ errno: 'ENOENT', op: 'open', path: '/home/weblogs/access.log' });
    expect(d.attribution).toBe('unit-log');
    expect(d.causes).toHaveLength(1);
    expect(d.causes[0]).toMatchObject({
      option: 'ProtectHome',
      current: 'yes',
      applyFlags: ['--writable /home/weblogs/access.log'],
    });
    expect(show(d.causes[0]!.relaxation)).toEqual(['ProtectHome=no']);
    // the failed start is reported by the manager, with no option of its own
    expect(r.denials.some((x) => x.finding.kind === 'start-failed' && x.attribution === 'manager')).toBe(
      true,
    );
  });

  test('ProtectHome=read-only: EROFS on the log', () => {
    const d = analyzeDenials(fixture('protecthome-ro'), nginx(), {
      dropIn: dropIn(['ProtectHome', 'read-only']),
      facts,
    }).denials.find((x) => x.finding.kind === 'errno')!;
    expect(d.finding).toMatchObject({ errno: 'EROFS', path: '/home/weblogs/access.log' });
    expect(d.causes.map((c) => c.option)).toEqual(['ProtectHome']);
  });

  test('ProtectSystem=strict: the pid file needs ReadWritePaths=', () => {
    const d = analyzeDenials(fixture('protectsystem-strict'), nginx(), {
      dropIn: dropIn(['ProtectSystem', 'strict']),
      facts,
    }).denials.find((x) => x.finding.kind === 'errno')!;
    expect(d.finding).toMatchObject({ errno: 'EROFS', path: '/run/nginx.pid' });
    expect(d.causes).toEqual([
      expect.objectContaining({
        option: 'ProtectSystem',
        current: 'strict',
        relaxation: [{ option: 'ReadWritePaths', value: ['-/run/nginx.pid'] }],
      }),
    ]);
  });

  test('RestrictAddressFamilies=AF_UNIX: socket() for 0.0.0.0:80 needs AF_INET', () => {
    const d = analyzeDenials(fixture('families'), nginx(), {
      dropIn: dropIn(['RestrictAddressFamilies', ['AF_UNIX']]),
      facts,
    }).denials.find((x) => x.finding.kind === 'errno')!;
    expect(d.finding).toMatchObject({ errno: 'EAFNOSUPPORT', op: 'socket', address: '0.0.0.0', port: 80 });
    expect(d.causes).toEqual([
      expect.objectContaining({
        option: 'RestrictAddressFamilies',
        relaxation: [{ option: 'RestrictAddressFamilies', value: ['AF_INET'] }],
      }),
    ]);
  });

  test('SocketBindDeny=any: bind() to :80 is the cause', () => {
    const d = analyzeDenials(fixture('socketbind'), nginx(), {
      dropIn: dropIn(['SocketBindDeny', ['any']]),
      facts,
    }).denials.find((x) => x.finding.kind === 'errno')!;
    expect(d.finding).toMatchObject({ errno: 'EPERM', op: 'bind', address: '0.0.0.0', port: 80 });
    expect(d.causes.map((c) => c.option)).toEqual(['SocketBindDeny']);
  });

  test('an errno line no option of the drop-in explains has no cause; a stray ENOENT is not a denial', () => {
    const r = analyzeDenials(fixture('protecthome'), nginx(), { dropIn: [], facts });
    expect(r.denials.filter((d) => d.finding.kind === 'errno')).toEqual([]);
  });
});

describe('paths named in messages', () => {
  test.each([
    ['open() "/home/weblogs/access.log" failed (13: Permission denied)', '/home/weblogs/access.log'],
    ["cannot open '/var/lib/app/db': Read-only file system", '/var/lib/app/db'],
    ['mkdir /srv/data/x: permission denied', '/srv/data/x'],
    ['open() "/a/../etc/shadow" failed', undefined],
    ['no path here (13: Permission denied)', undefined],
  ])('%s', (m, p) => expect(pathOf(m)).toBe(p));
});

test('journal lines that are not entries are counted, not fatal; byte-array messages are decoded', () => {
  const text = [
    'garbage',
    JSON.stringify({ __CURSOR: 'c1', __REALTIME_TIMESTAMP: '1', MESSAGE: [104, 105] }),
    '{"__CURSOR":""}',
  ].join('\n');
  const r = parseJournalLines(text);
  expect(r.entries.map((e) => e.MESSAGE)).toEqual(['hi']);
  expect(r.rejected.map((x) => x.line)).toEqual([1, 3]);
});
