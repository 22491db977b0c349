import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execCommandsFromCat } from '../core/systemd/execLines';
import {
  execLinesFromUnitFiles,
  parseBinaries,
  parseProbeOutput,
  splitCatText,
  splitSections,
  stableProperties,
  straceFlagsFromHelp,
} from './probe';

// Real output of the probe script for nginx.service on the Debian 12 test host (systemd 252, strace 6.1).
const FIXTURE = readFileSync(path.join(__dirname, 'fixtures', 'probe-nginx-debian12.out'), 'utf8');
const MARKER = '@@hush-probe-fixture@@';

describe('parseProbeOutput (Debian 12 capture)', () => {
  const { facts, unitFiles, syscallFilterText } = parseProbeOutput(FIXTURE, MARKER, 'nginx.service');

  it('reads versions, arch, cgroup and features', () => {
    expect(facts.systemdVersion).toBe(252);
    expect(facts.systemdVersionText).toBe('systemd 252 (252.39-1~deb12u2)');
    expect(facts.kernelRelease).toMatch(/^6\.1\./);
    expect(facts.arch).toBe('x86_64');
    expect(facts.cgroupVersion).toBe(2);
    expect(facts.bpfFramework).toBe(false);
    expect(facts.straceVersion).toBe('6.1');
  });

  it('knows which strace options this strace accepts', () => {
    expect(facts.straceFlags).toEqual(
      expect.arrayContaining(['-D', '-f', '-yy', '-X raw', '--seccomp-bpf', '--status=successful,failed']),
    );
    expect(facts.straceFlags).not.toContain('--kill-on-exit'); // strace 6.1 has no --kill-on-exit
  });

  it('parses the syscall groups with core/systemd and keeps the raw text', () => {
    expect(Object.keys(facts.syscallGroups ?? {})).toEqual(
      expect.arrayContaining(['@default', '@network-io', '@system-service']),
    );
    expect(facts.syscallGroups?.['@network-io']).toContain('socket');
    expect(syscallFilterText.startsWith('@default')).toBe(true);
  });

  it('describes the unit: properties, text, exec lines with prefixes, no filter', () => {
    const u = facts.unit!;
    expect(u.name).toBe('nginx.service');
    expect(u.loadState).toBe('loaded');
    expect(u.fragmentPath).toBe('/lib/systemd/system/nginx.service');
    expect(u.properties.Type).toBe('forking');
    expect(u.properties.MainPID).toBeUndefined(); // volatile: left out
    expect(u.properties.ExecStart).not.toMatch(/pid=|start_time=/);
    expect(u.hasSyscallFilter).toBe(false);
    expect(u.dropIns).toEqual([]);
    expect(unitFiles.map((f) => f.path)).toEqual(['/lib/systemd/system/nginx.service']);
    expect(u.exec?.map((e) => [e.directive, e.prefixes, e.argv[0]])).toEqual([
      ['ExecStartPre', '', '/usr/sbin/nginx'],
      ['ExecStart', '', '/usr/sbin/nginx'],
      ['ExecReload', '', '/usr/sbin/nginx'],
      ['ExecStop', '-', '/sbin/start-stop-daemon'],
    ]);
    expect(u.exec?.[1]?.argv).toEqual(['/usr/sbin/nginx', '-g', 'daemon on; master_process on;']);
    expect(u.exec?.[1]?.command).toBe("/usr/sbin/nginx -g 'daemon on; master_process on;'");
  });

  it('hashes the exec binaries and names their packages', () => {
    expect(facts.binaries).toEqual([
      {
        path: '/sbin/start-stop-daemon',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        package: 'dpkg',
        packageVersion: '1.21.23',
      },
      {
        path: '/usr/sbin/nginx',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        package: 'nginx',
        packageVersion: '1.22.1-9+deb12u11',
      },
    ]);
  });

  it('is the same facts for the same output (deterministic)', () => {
    expect(parseProbeOutput(FIXTURE, MARKER, 'nginx.service').facts).toEqual(facts);
  });

  it('rejects output with a missing or garbled section', () => {
    expect(() => parseProbeOutput(FIXTURE.replace(`${MARKER}end`, 'x'), MARKER, 'nginx.service')).toThrow(
      /end/,
    );
    expect(() =>
      parseProbeOutput(FIXTURE.replace('systemd 252 (', 'sysd ('), MARKER, 'nginx.service'),
    ).toThrow(/systemd/);
    expect(() => parseProbeOutput(FIXTURE, '@@other@@', 'nginx.service')).toThrow(
      /unexpected host probe output/,
    );
  });
});

describe('probe pieces', () => {
  it('splits sections on the marker only at line starts', () => {
    expect(splitSections('\n@@m@@a\nx @@m@@b\ny\n\n@@m@@end\n', '@@m@@')).toEqual({
      a: 'x @@m@@b\ny',
      end: '',
    }); // the output's own last newline is dropped
  });

  it('splits systemctl cat output only at the known file headers', () => {
    const text =
      '# /lib/systemd/system/a.service\n[Service]\n# /not/a/file\nExecStart=/bin/a\n\n# /etc/systemd/system/a.service.d/o.conf\n[Service]\nExecStart=\nExecStart=-/bin/b "x y"\n';
    const files = splitCatText(text, [
      '/lib/systemd/system/a.service',
      '/etc/systemd/system/a.service.d/o.conf',
    ]);
    expect(files.map((f) => f.path)).toEqual([
      '/lib/systemd/system/a.service',
      '/etc/systemd/system/a.service.d/o.conf',
    ]);
    expect(files[0]?.text).toContain('# /not/a/file');
    expect(execLinesFromUnitFiles(files)).toEqual([
      {
        directive: 'ExecStart',
        prefixes: '-',
        command: '/bin/b "x y"',
        argv: ['/bin/b', 'x y'],
        source: '/etc/systemd/system/a.service.d/o.conf',
      },
    ]);
  });

  it('keeps every exec prefix and the directive order', () => {
    const files = [
      {
        path: '/x.service',
        text: '[Service]\nExecStop=/bin/stop\nExecStartPre=+/bin/pre\nExecStart=!!@/bin/real argv0 %i\nExecStartPost=:-/bin/post\n[Install]\nExecStart=/ignored\n',
      },
    ];
    expect(execLinesFromUnitFiles(files).map((e) => [e.directive, e.prefixes, e.argv])).toEqual([
      ['ExecStartPre', '+', ['/bin/pre']],
      ['ExecStart', '!!@', ['/bin/real', 'argv0', '%i']],
      ['ExecStartPost', ':-', ['/bin/post']],
      ['ExecStop', '', ['/bin/stop']],
    ]);
  });

  it('reads the same Exec lines as the wrapper plan (one reader: systemd line grammar, | prefix)', () => {
    const text =
      '# /x.service\n[Service]\r\nExecStart=|/bin/login-shell a \\\n  b\rExecReload=/bin/kill -HUP $MAINPID\n';
    const probed = execLinesFromUnitFiles([{ path: '/x.service', text }]);
    expect(probed.map((e) => [e.directive, e.prefixes, e.command])).toEqual([
      ['ExecStart', '|', '/bin/login-shell a    b'],
      ['ExecReload', '', '/bin/kill -HUP $MAINPID'],
    ]);
    expect(execCommandsFromCat(text).map((c) => [c.directive, c.prefixes, c.command])).toEqual(
      probed.map((e) => [e.directive, e.prefixes, e.command]),
    );
  });

  it('drops volatile properties and exec run state', () => {
    expect(
      stableProperties({
        MainPID: '12',
        NRestarts: '0',
        ActiveEnterTimestamp: 'x',
        Type: 'simple',
        ExecStart:
          '{ path=/a ; argv[]=/a -x ; ignore_errors=no ; start_time=[Sat] ; stop_time=[n/a] ; pid=5 ; code=exited ; status=0 }',
      }),
    ).toEqual({ Type: 'simple', ExecStart: '{ path=/a ; argv[]=/a -x ; ignore_errors=no }' });
  });

  it('maps merged-/usr aliases and multi-arch package names', () => {
    expect(
      parseBinaries({
        binpaths: '/usr/bin/sh\n/opt/x\n',
        binsha: `${'a'.repeat(64)}  /usr/bin/sh\n`,
        binalias: '/usr/bin/sh\t/bin/sh\n/usr/bin/sh\t/usr/bin/dash\n/opt/x\t/opt/x\n',
        bindpkg: 'dash: /bin/sh\n',
        binver: 'dash\tdash\t0.5.12-2\n',
      }),
    ).toEqual([
      { path: '/usr/bin/sh', sha256: 'a'.repeat(64), package: 'dash', packageVersion: '0.5.12-2' },
      { path: '/opt/x' },
    ]);
    expect(
      parseBinaries({
        binpaths: '/x\n',
        binsha: '',
        binalias: '',
        bindpkg: 'libfoo1:amd64: /x\n',
        binver: 'libfoo1:amd64\tlibfoo1\t2.0\n',
      }),
    ).toEqual([{ path: '/x', package: 'libfoo1', packageVersion: '2.0' }]);
  });

  it('reads strace options from its help text', () => {
    expect(straceFlagsFromHelp('  -D, --daemonize\n  --kill-on-exit  kill\n')).toEqual([
      '-D',
      '--kill-on-exit',
    ]);
    expect(straceFlagsFromHelp('')).toEqual([]);
  });
});
