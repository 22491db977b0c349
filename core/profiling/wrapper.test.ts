import { execCommandsFromCat, parseExecPrefixes, splitExecPrefixes } from '../systemd/execLines';
import { execWord, takeRawWords } from '../systemd/execWords';
import { buildWrapper, mainSyslogIdentifier, type WrapperInput } from './wrapper';

const FORKING_CAT = `# /etc/systemd/system/hush-testsvc-forking.service
[Unit]
Description=test

[Service]
Type=forking
User=hush-testsvc
ExecStart=@/usr/bin/python3 hush-testsvc-forking /usr/local/lib/hush-testsvc/testsvc.py --mode forking \\
    --port 9102
ExecStartPost=!/usr/local/lib/hush-testsvc/mark-privileged /run/x/post-bang
ExecStartPost=/usr/local/lib/hush-testsvc/wait-healthy 9102

# /run/systemd/system/hush-testsvc-forking.service.d/override.conf
[Service]
ExecReload=/bin/kill -HUP $MAINPID
`;

const NGINX_CAT = `# /lib/systemd/system/nginx.service
[Service]
Type=forking
PIDFile=/run/nginx.pid
ExecStartPre=/usr/sbin/nginx -t -q -g 'daemon on; master_process on;'
ExecStart=/usr/sbin/nginx -g 'daemon on; master_process on;'
ExecReload=/usr/sbin/nginx -g 'daemon on; master_process on;' -s reload
ExecStop=-/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid

# /etc/systemd/system/nginx.service.d/override.conf
[Service]
ExecStartPre=
ExecStartPre=+/bin/mkdir -p /run/extra
`;

function input(catText: string, over: Partial<WrapperInput> = {}): WrapperInput {
  return {
    unit: 'x.service',
    session: 's1',
    commands: execCommandsFromCat(catText),
    strace: { path: '/usr/bin/strace', args: ['-f', '-xx', '-y', '-v', '-D'], supportsArgv0: true },
    fifoFor: (slot) => `/run/hush/profile/x/fifo/${slot}`,
    properties: { User: 'hush-testsvc', SystemCallFilter: '~' },
    ...over,
  };
}

describe('Exec lines from systemctl cat', () => {
  test('drop-ins append, an empty assignment resets, continuations join', () => {
    const cmds = execCommandsFromCat(NGINX_CAT);
    expect(cmds.map((c) => `${c.directive}[${c.index}]=${c.prefixes}|${c.command}`)).toEqual([
      'ExecStartPre[0]=+|/bin/mkdir -p /run/extra',
      "ExecStart[0]=|/usr/sbin/nginx -g 'daemon on; master_process on;'",
      "ExecReload[0]=|/usr/sbin/nginx -g 'daemon on; master_process on;' -s reload",
      'ExecStop[0]=-|/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid',
    ]);
    const forking = execCommandsFromCat(FORKING_CAT);
    expect(forking[0]?.command).toBe(
      'hush-testsvc-forking /usr/local/lib/hush-testsvc/testsvc.py --mode forking      --port 9102'.replace(
        /^/,
        '/usr/bin/python3 ',
      ),
    );
    expect(forking.map((c) => c.directive)).toEqual([
      'ExecStart',
      'ExecStartPost',
      'ExecStartPost',
      'ExecReload',
    ]);
  });

  test('prefixes are split off and understood, !! is not !', () => {
    expect(splitExecPrefixes('-@:/bin/x a')).toEqual({ prefixes: '-@:', command: '/bin/x a' });
    expect(parseExecPrefixes('!!')).toMatchObject({ noSetUid: false, ambientFallback: true });
    expect(parseExecPrefixes('!-')).toMatchObject({ noSetUid: true, ignoreFailure: true });
    expect(parseExecPrefixes('+')).toMatchObject({ fullPrivileges: true });
  });
});

describe('systemd words', () => {
  test('raw words keep their quoting; the rest is untouched', () => {
    expect(takeRawWords(`/bin/x "arg 0" 'b c' d`, 2)).toEqual({
      words: ['/bin/x', '"arg 0"'],
      rest: `'b c' d`,
    });
    expect(takeRawWords('a\\ b c', 1)).toEqual({ words: ['a\\ b'], rest: 'c' });
    expect(() => takeRawWords('"open', 1)).toThrow(/unbalanced/);
  });

  test('hush words survive specifier and variable expansion', () => {
    expect(execWord('/run/hush/x', { envExpansion: true })).toBe('/run/hush/x');
    expect(execWord('50%', { envExpansion: true })).toBe('"50%%"');
    expect(execWord('exec -a "$0" "$@"', { envExpansion: true })).toBe('"exec -a \\"$$0\\" \\"$$@\\""');
    // with ":" systemd does not expand variables, so "$" must stay single
    expect(execWord('$0', { envExpansion: false })).toBe('"$0"');
  });
});

describe('the wrapper drop-in', () => {
  test('wraps every sandboxed command with strace -D, keeps prefixes, leaves "+" alone', () => {
    const w = buildWrapper(input(NGINX_CAT, { properties: {} }));
    const lines = w.dropIn.split('\n').filter((l) => l.startsWith('Exec'));
    expect(lines).toEqual([
      'ExecStartPre=',
      'ExecStartPre=+/bin/mkdir -p /run/extra',
      'ExecStart=',
      "ExecStart=/usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStart-0 -- /usr/sbin/nginx -g 'daemon on; master_process on;'",
      'ExecReload=',
      "ExecReload=/usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecReload-0 -- /usr/sbin/nginx -g 'daemon on; master_process on;' -s reload",
      'ExecStop=',
      'ExecStop=-/usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStop-0 -- /sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid',
    ]);
    expect(w.slots.map((s) => [s.id, s.traced, s.runsAsRoot])).toEqual([
      ['ExecStartPre-0', false, true],
      ['ExecStart-0', true, true],
      ['ExecReload-0', true, true],
      ['ExecStop-0', true, true],
    ]);
    expect(w.dropIn).not.toMatch(/SystemCallFilter/);
  });

  test('"@" moves argv[0] into strace (--argv0), or into bash exec -a on old strace', () => {
    const modern = buildWrapper(input(FORKING_CAT)).dropIn;
    expect(modern).toContain(
      'ExecStart=/usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStart-0 --argv0 hush-testsvc-forking -- /usr/bin/python3 /usr/local/lib/hush-testsvc/testsvc.py',
    );
    const old = buildWrapper(
      input(FORKING_CAT, { strace: { path: '/usr/bin/strace', args: ['-f', '-D'], supportsArgv0: false } }),
    ).dropIn;
    expect(old).toContain(
      'ExecStart=/usr/bin/strace -f -D -o /run/hush/profile/x/fifo/ExecStart-0 -- /bin/bash -c "exec -a \\"$$0\\" \\"$$@\\"" hush-testsvc-forking /usr/bin/python3 /usr/local/lib/hush-testsvc/testsvc.py',
    );
    // "!" stays in front and its FIFO belongs to root; the plain command runs as User=
    expect(modern).toContain('ExecStartPost=!/usr/bin/strace');
    const w = buildWrapper(input(FORKING_CAT));
    expect(w.slots.find((s) => s.id === 'ExecStartPost-0')?.runsAsRoot).toBe(true);
    expect(w.slots.find((s) => s.id === 'ExecStartPost-1')?.runsAsRoot).toBe(false);
    // $MAINPID in the original text is left for systemd to expand, as before
    expect(modern).toContain('-- /bin/kill -HUP $MAINPID');
  });

  test('an existing sandbox gets what strace needs; "~" alone is no filter', () => {
    const w = buildWrapper(
      input(NGINX_CAT, {
        properties: {
          SystemCallFilter: '@system-service',
          RestrictAddressFamilies: 'AF_INET',
          NoExecPaths: '/',
        },
      }),
    ).dropIn;
    expect(w).toContain('SystemCallFilter=@debug\n');
    expect(w).toContain('RestrictAddressFamilies=AF_NETLINK\n');
    expect(w).toContain('ExecPaths=/usr/bin/strace\n');
  });

  test('a root unit whose bounding set lacks CAP_SYS_PTRACE gets it for the window (strace must read a process that dropped to another uid)', () => {
    const memcached = { CapabilityBoundingSet: 'cap_setgid cap_setuid cap_sys_resource' };
    expect(buildWrapper(input(NGINX_CAT, { properties: memcached })).dropIn).toContain(
      'CapabilityBoundingSet=CAP_SYS_PTRACE\n',
    );
    // already there, unknown, or no traced command runs as root (User=, "+" is not traced)
    const others: Record<string, string>[] = [
      { CapabilityBoundingSet: 'cap_chown cap_sys_ptrace cap_setuid' },
      {},
      { ...memcached, User: 'hush-testsvc' },
    ];
    for (const properties of others) {
      expect(buildWrapper(input(NGINX_CAT, { properties })).dropIn).not.toContain('CapabilityBoundingSet');
    }
  });

  test('start/stop timeouts and the watchdog are scaled for the window; infinity and 0 stay', () => {
    const props = { TimeoutStartUSec: '1min 30s', TimeoutStopUSec: 'infinity', WatchdogUSec: '30s' };
    const w = buildWrapper(input(NGINX_CAT, { properties: props, timeoutScale: 3 })).dropIn;
    expect(w).toContain('TimeoutStartSec=270s\n');
    expect(w).toContain('WatchdogSec=90s\n');
    expect(w).not.toContain('TimeoutStopSec');
    expect(
      buildWrapper(input(NGINX_CAT, { properties: { ...props, WatchdogUSec: '0' } })).dropIn,
    ).not.toMatch(/Timeout|Watchdog/);
  });

  test('refuses strace flags without -D', () => {
    expect(() =>
      buildWrapper(
        input(NGINX_CAT, { strace: { path: '/usr/bin/strace', args: ['-f'], supportsArgv0: true } }),
      ),
    ).toThrow(/-D/);
  });
});

describe('journal identifier', () => {
  test("the main program's name replaces strace's in the journal, unless the unit sets its own", () => {
    expect(buildWrapper(input(NGINX_CAT)).dropIn).toContain('\nSyslogIdentifier=nginx\n');
    expect(buildWrapper(input(FORKING_CAT)).dropIn).toContain('\nSyslogIdentifier=python3\n');
    const own = buildWrapper(input(NGINX_CAT, { properties: { SyslogIdentifier: 'web' } }));
    expect(own.dropIn).not.toContain('SyslogIdentifier=');
  });
  test('nothing is set when the program word is not a plain path or ExecStart is not wrapped', () => {
    const cmd = (prefixes: string, command: string) => [
      { directive: 'ExecStart' as const, index: 0, prefixes, command },
    ];
    expect(mainSyslogIdentifier(cmd('', '/usr/bin/python3 -m x'))).toBe('python3');
    expect(mainSyslogIdentifier(cmd('+', '/usr/bin/python3'))).toBeUndefined();
    expect(mainSyslogIdentifier(cmd('', '"/opt/my app/run"'))).toBeUndefined();
    expect(mainSyslogIdentifier(cmd('', '/opt/%i/run'))).toBeUndefined();
    expect(mainSyslogIdentifier(cmd('', '${BIN} --x'))).toBeUndefined();
    expect(mainSyslogIdentifier([])).toBeUndefined();
  });
});
