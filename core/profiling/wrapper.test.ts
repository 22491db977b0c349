import { execCommandsFromCat, parseExecPrefixes, splitExecPrefixes } from '../systemd/execLines';
import { execWord, takeRawWords } from '../systemd/execWords';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWrapper, LAUNCHER_SCRIPT, mainSyslogIdentifier, type WrapperInput } from './wrapper';

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
    launcher: {
      script: '/run/hush/profile/x/launch.sh',
      shell: '/bin/sh',
      setpriv: '/usr/bin/setpriv',
      credentials: { uid: 998, gid: 997, groups: [997, 33], supplementary: [] },
    },
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
    const root = (p: Record<string, string>) => ({ properties: p });
    const modern = buildWrapper(input(FORKING_CAT, root({}))).dropIn;
    expect(modern).toContain(
      'ExecStart=/usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStart-0 --argv0 hush-testsvc-forking -- /usr/bin/python3 /usr/local/lib/hush-testsvc/testsvc.py',
    );
    const old = buildWrapper(
      input(FORKING_CAT, {
        ...root({}),
        strace: { path: '/usr/bin/strace', args: ['-f', '-D'], supportsArgv0: false },
      }),
    );
    expect(old.dropIn).toContain(
      'ExecStart=/usr/bin/strace -f -D -o /run/hush/profile/x/fifo/ExecStart-0 -- /bin/bash -c "exec -a \\"$$0\\" \\"$$@\\"" hush-testsvc-forking /usr/bin/python3 /usr/local/lib/hush-testsvc/testsvc.py',
    );
    // bash is hush's: its exec is left out of the profile
    expect(old.slots.find((s) => s.id === 'ExecStart-0')?.launcherExecs).toBe(1);
    // "!" stays in front
    expect(modern).toContain('ExecStartPost=!/usr/bin/strace');
    // $MAINPID in the original text is left for systemd to expand, as before
    expect(modern).toContain('-- /bin/kill -HUP $MAINPID');
  });

  test('a command of User= runs under a root strace, switched to the user by setpriv through the launcher', () => {
    const w = buildWrapper(
      input(FORKING_CAT, {
        properties: { User: 'hush-testsvc', AmbientCapabilities: 'cap_net_bind_service' },
      }),
    );
    const line = (id: string) => w.dropIn.split('\n').filter((l) => l.includes(`/fifo/${id} `))[0];
    // "@": strace's --argv0 would name setpriv, so bash's exec -a carries argv[0]
    expect(line('ExecStart-0')).toBe(
      'ExecStart=!/bin/sh /run/hush/profile/x/launch.sh /usr/bin/setpriv 998:997:997,33:+net_bind_service: "" 9 /usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStart-0 -- /bin/bash -c "exec -a \\"$$0\\" \\"$$@\\"" hush-testsvc-forking /usr/bin/python3 /usr/local/lib/hush-testsvc/testsvc.py --mode forking      --port 9102',
    );
    expect(line('ExecStartPost-1')).toBe(
      'ExecStartPost=!/bin/sh /run/hush/profile/x/launch.sh /usr/bin/setpriv 998:997:997,33:+net_bind_service: "" 9 /usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStartPost-1 -- /usr/local/lib/hush-testsvc/wait-healthy 9102',
    );
    // the command that was "!" already runs as root: plain strace, no launcher
    expect(line('ExecStartPost-0')).toBe(
      'ExecStartPost=!/usr/bin/strace -f -xx -y -v -D -o /run/hush/profile/x/fifo/ExecStartPost-0 -- /usr/local/lib/hush-testsvc/mark-privileged /run/x/post-bang',
    );
    expect(w.slots.map((s) => [s.id, s.runsAsRoot, s.launcherExecs])).toEqual([
      ['ExecStart-0', false, 2],
      ['ExecStartPost-0', true, 0],
      ['ExecStartPost-1', false, 1],
      ['ExecReload-0', false, 1],
    ]);
    // ExecPaths= only where NoExecPaths= would stop them (alone it would add a mount namespace)
    expect(w.dropIn).not.toContain('ExecPaths=');
    const noExec = buildWrapper(
      input(FORKING_CAT, { properties: { User: 'hush-testsvc', NoExecPaths: '/' } }),
    ).dropIn;
    expect(noExec).toContain('ExecPaths=/usr/bin/strace /bin/sh /usr/bin/setpriv /bin/bash\n');
  });

  test('no_new_privs as systemd would set it after the switch to the user: explicit, or implied by a seccomp setting', () => {
    const spec = (properties: Record<string, string>) =>
      /setpriv (\S+) /.exec(buildWrapper(input(NGINX_CAT, { properties })).dropIn)?.[1];
    expect(spec({ User: 'www-data' })).toBe('998:997:997,33::');
    expect(spec({ User: 'www-data', NoNewPrivileges: 'yes' })).toBe('998:997:997,33::nnp');
    const implying: Record<string, string>[] = [
      { SystemCallFilter: '@system-service' },
      { SystemCallArchitectures: 'native' },
      { RestrictAddressFamilies: 'AF_INET' },
      { RestrictNamespaces: 'yes' },
      { RestrictSUIDSGID: 'yes' },
      { ProtectKernelTunables: 'yes' },
      { PrivateDevices: 'yes' },
    ];
    for (const implied of implying)
      expect(spec({ User: 'www-data', ...implied })).toBe('998:997:997,33::nnp');
    // not set: "no" settings, an empty deny-list, a hostname namespace without the seccomp part
    expect(
      spec({ User: 'www-data', RestrictNamespaces: 'no', SystemCallFilter: '~', ProtectHostname: 'private' }),
    ).toBe('998:997:997,33::');
    // CAP_SYS_ADMIN kept in the ambient set: privileged after the switch, no implied NNP
    expect(
      spec({ User: 'www-data', SystemCallFilter: '@system-service', AmbientCapabilities: 'cap_sys_admin' }),
    ).toBe('998:997:997,33:+sys_admin:');
  });

  test('groups as systemd sets them: Group= first, the member groups, SupplementaryGroups=; none from initgroups for gid 0', () => {
    const spec = (credentials: object) =>
      /setpriv (\S+) /.exec(
        buildWrapper(
          input(NGINX_CAT, {
            launcher: { script: '/L', shell: '/bin/sh', setpriv: '/usr/bin/setpriv', credentials } as never,
          }),
        ).dropIn,
      )?.[1];
    expect(spec({ uid: 5, gid: 6, group: 7, groups: [8, 7], supplementary: [9] })).toBe('5:7:7,8,9::');
    expect(spec({ uid: 5, gid: 0, groups: [8], supplementary: [9] })).toBe('5:0:9::');
  });

  test('DynamicUser=: the launcher finds the allocated ids at start; SupplementaryGroups= are kept', () => {
    const w = buildWrapper(
      input(NGINX_CAT, {
        properties: { DynamicUser: 'yes', SupplementaryGroups: 'ssl-cert' },
        launcher: {
          script: '/L',
          shell: '/bin/sh',
          setpriv: '/usr/bin/setpriv',
          credentials: { groups: [], supplementary: [110] },
        },
      }),
    );
    expect(w.dropIn).toContain(
      'ExecStart=!/bin/sh /L /usr/bin/setpriv dynamic:dynamic:110:: "" 9 /usr/bin/strace',
    );
  });

  test('a user the host cannot resolve is refused before anything changes', () => {
    expect(() =>
      buildWrapper(
        input(NGINX_CAT, {
          launcher: {
            script: '/L',
            shell: '/bin/sh',
            setpriv: '/usr/bin/setpriv',
            credentials: { groups: [], supplementary: [] },
          },
        }),
      ),
    ).toThrow(/User=hush-testsvc, which the host does not resolve/);
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
    // already there, or unknown
    const others: Record<string, string>[] = [
      { CapabilityBoundingSet: 'cap_chown cap_sys_ptrace cap_setuid' },
      {},
    ];
    for (const properties of others) {
      expect(buildWrapper(input(NGINX_CAT, { properties })).dropIn).not.toContain('CapabilityBoundingSet');
    }
    // a User= unit: strace (root) and setpriv need theirs too, and setpriv drops them again
    const user = buildWrapper(
      input(NGINX_CAT, { properties: { ...memcached, User: 'hush-testsvc' } }),
    ).dropIn;
    expect(user).toContain('CapabilityBoundingSet=CAP_SYS_PTRACE CAP_SETPCAP\n');
    expect(user).toContain('/usr/bin/setpriv 998:997:997,33:: -sys_ptrace,-setpcap 9 /usr/bin/strace');
  });

  test('the launcher, run by the real sh: setpriv goes right after strace\'s "--", with the credentials', () => {
    const fake = mkdtempSync(join(tmpdir(), 'hush-launcher-'));
    try {
      const script = join(fake, 'launch.sh');
      writeFileSync(script, LAUNCHER_SCRIPT);
      // "strace" that prints its argv, NUL-separated
      const strace = join(fake, 'strace');
      writeFileSync(strace, '#!/bin/sh\nprintf "%s\\0" "$@"\n', { mode: 0o755 });
      // the launcher run by /bin/sh, under `prefix` (a command that sets up its credentials first)
      const launch = (prefix: string[], spec: string, drop: string, ...cmd: string[]) => {
        const argv = [...prefix, '/bin/sh', script, '/usr/bin/setpriv', spec, drop, '4', strace];
        return execFileSync(argv[0]!, [...argv.slice(1), '-o', '/F', '--', ...cmd], {
          encoding: 'utf8',
        })
          .split('\0')
          .slice(0, -1);
      };
      const run = (spec: string, drop: string, ...cmd: string[]) => launch([], spec, drop, ...cmd);
      expect(
        run('998:997:997,33:+net_bind_service:nnp', '-sys_ptrace', '/bin/echo', 'a b', '--', '$x'),
      ).toEqual([
        '-o',
        '/F',
        '--',
        '/usr/bin/setpriv',
        '--reuid=998',
        '--regid=997',
        '--groups=997,33',
        '--inh-caps=+net_bind_service',
        '--ambient-caps=+net_bind_service',
        '--bounding-set=-sys_ptrace',
        '--no-new-privs',
        '--',
        '/bin/echo',
        'a b',
        '--',
        '$x',
      ]);
      expect(run('0:0::', '', 'true')).toEqual([
        '-o',
        '/F',
        '--',
        '/usr/bin/setpriv',
        '--reuid=0',
        '--regid=0',
        '--clear-groups',
        '--',
        'true',
      ]);
      // PrivateUsers=: in a user namespace whose setgroups is denied (as systemd sets it up, and as
      // unshare does here) any group change fails with EPERM: the launcher keeps the groups
      const inNamespace = launch(['unshare', '--user', '--map-root-user'], '998:997:997,33::', '', 'true');
      expect(inNamespace.slice(3, 8)).toEqual([
        '/usr/bin/setpriv',
        '--reuid=998',
        '--regid=997',
        '--keep-groups',
        '--',
      ]);
      // DynamicUser=: systemd adds the allocated group to a "!" command's groups (uid = gid)
      const dyn = launch(
        ['setpriv', '--reuid=0', '--regid=0', '--groups=0,61301', '--'],
        'dynamic:dynamic:110:',
        '',
        'true',
      );
      expect(dyn.slice(3, 7)).toEqual([
        '/usr/bin/setpriv',
        '--reuid=61301',
        '--regid=61301',
        '--groups=61301,110',
      ]);
    } finally {
      rmSync(fake, { recursive: true, force: true });
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
