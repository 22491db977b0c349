import { parseTimespanMs } from '../systemd/timespan';
import { ProfilingError, StraceMissingError } from './errors';
import { wrapperStraceArgs } from './straceFlags';
import { unitCwd, type UnitInfo } from './unitInfo';
import { planWrapper } from './wrapperPlan';

const fifoFor = (slot: string) => `/run/hush/profile/x/fifo/${slot}`;

const CAT = `# /lib/systemd/system/nginx.service
[Service]
Type=forking
ExecStartPre=/usr/sbin/nginx -t -q -g 'daemon on; master_process on;'
ExecStart=/usr/sbin/nginx -g 'daemon on; master_process on;'
`;

function info(over: Partial<UnitInfo> = {}, props: Record<string, string> = {}): UnitInfo {
  return {
    properties: { LoadState: 'loaded', ActiveState: 'active', ...props },
    catText: CAT,
    strace: { path: '/usr/bin/strace', version: 'strace -- version 6.13', supportsArgv0: true },
    execCounts: { ExecStartPre: 1, ExecStart: 1 },
    ...over,
  };
}

describe('planWrapper refuses before anything is changed', () => {
  test('strace missing', () => {
    const { strace: _, ...noStrace } = info();
    expect(() => planWrapper('nginx.service', noStrace, undefined, 's', fifoFor)).toThrow(StraceMissingError);
  });
  test('unit files and manager disagree', () => {
    expect(() =>
      planWrapper(
        'nginx.service',
        info({ execCounts: { ExecStart: 2, ExecStartPre: 1 } }),
        undefined,
        's',
        fifoFor,
      ),
    ).toThrow(/ExecStart has 2 command\(s\) in the manager but 1/);
  });
  test('a unit in its own root, or not loaded', () => {
    expect(() =>
      planWrapper('nginx.service', info({}, { RootDirectory: '/srv/root' }), undefined, 's', fifoFor),
    ).toThrow(ProfilingError);
    expect(() =>
      planWrapper('nginx.service', info({}, { LoadState: 'not-found' }), undefined, 's', fifoFor),
    ).toThrow(/LoadState=not-found/);
  });
  test('a User=/DynamicUser= unit without setpriv on the host, or with a PAM session', () => {
    for (const props of [{ User: 'www-data' }, { DynamicUser: 'yes' }] as Record<string, string>[]) {
      expect(() => planWrapper('nginx.service', info({}, props), undefined, 's', fifoFor)).toThrow(
        /setpriv is not installed on the host.*nginx.service was not changed/,
      );
    }
    // root units do not need it
    expect(() =>
      planWrapper('nginx.service', info({}, { User: 'root' }), undefined, 's', fifoFor),
    ).not.toThrow();
    expect(() =>
      planWrapper(
        'nginx.service',
        info({ setprivPath: '/usr/bin/setpriv' }, { User: 'www-data', PAMName: 'login' }),
        undefined,
        's',
        fifoFor,
      ),
    ).toThrow(/PAMName=login.*not changed/);
  });
  test('a good unit gets a wrapper using the probe-independent Exec lines', () => {
    const w = planWrapper('nginx.service', info(), undefined, 'sess', fifoFor);
    expect(w.slots.map((s) => s.id)).toEqual(['ExecStartPre-0', 'ExecStart-0']);
    expect(w.dropIn).toContain(
      `-o /run/hush/profile/x/fifo/ExecStart-0 -- /usr/sbin/nginx -g 'daemon on; master_process on;'`,
    );
  });
});

describe('small parsers', () => {
  test('strace flags for the wrapper: -D, never --kill-on-exit, no -o', () => {
    const d13 = wrapperStraceArgs('strace -- version 6.13');
    expect(d13).toContain('-D');
    expect(d13).not.toContain('--kill-on-exit');
    expect(d13).not.toContain('-o');
    expect(wrapperStraceArgs('strace -- version 6.1')).toEqual(
      expect.arrayContaining(['-f', '-xx', '-y', '-v', '-D']),
    );
  });
  test('WorkingDirectory to cwd', () => {
    expect(unitCwd('')).toBe('/');
    expect(unitCwd('-/srv/app')).toBe('/srv/app');
    expect(unitCwd('~')).toBeUndefined();
  });
  test('time spans', () => {
    expect(parseTimespanMs('1min 30s')).toBe(90_000);
    expect(parseTimespanMs('500ms')).toBe(500);
    expect(parseTimespanMs('infinity')).toBeUndefined();
  });
});
