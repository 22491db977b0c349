/** Choosing decision or full tracing for a profiling session, and the wrapper's strace flags for each. */
import type { HostFacts } from '../profile/hostFacts';
import { ProfilingError } from './errors';
import { wrapperStraceArgs } from './straceFlags';
import { chooseTracing } from './tracingChoice';
import type { UnitInfo } from './unitInfo';

const info = (version = 'strace -- version 6.13'): UnitInfo => ({
  properties: { LoadState: 'loaded' },
  execCounts: {},
  strace: { path: '/usr/bin/strace', version, supportsArgv0: true },
});
const facts = (extra: Partial<HostFacts> = {}): HostFacts => ({
  systemdVersion: 257,
  kernelRelease: '6.12.48+deb13-amd64',
  arch: 'x86_64',
  straceVersion: '6.13',
  straceFlags: ['--seccomp-bpf', '--argv0'],
  systemInstance: true,
  binaries: [],
  ...extra,
});

describe('chooseTracing', () => {
  test('decisions by default when strace has --seccomp-bpf and groups are known', () => {
    const t = chooseTracing(undefined, info(), facts());
    expect(t.set?.untraced.has('read')).toBe(true);
    expect(t.why).toMatch(/^decisions .*bundled systemd 257/);
  });

  test('full when asked, or when facts, the strace option or the groups are missing', () => {
    expect(chooseTracing('full', info(), facts()).set).toBeUndefined();
    expect(chooseTracing(undefined, info(), undefined)).toEqual({ why: 'full (no host facts)' });
    expect(chooseTracing(undefined, info(), facts({ straceFlags: ['--argv0'] })).why).toMatch(
      /no --seccomp-bpf/,
    );
    expect(chooseTracing(undefined, info(), facts({ systemdVersion: 240 })).why).toMatch(/no syscall groups/);
  });

  test('full by default for KillMode=process/none (leftover processes cannot live without their tracer)', () => {
    const killMode = (mode: string): UnitInfo => ({
      ...info(),
      properties: { LoadState: 'loaded', KillMode: mode },
    });
    expect(chooseTracing(undefined, killMode('process'), facts()).why).toMatch(/^full \(KillMode=process/);
    expect(chooseTracing(undefined, killMode('none'), facts()).set).toBeUndefined();
    expect(chooseTracing(undefined, killMode('control-group'), facts()).set).toBeDefined();
    expect(chooseTracing(undefined, killMode('mixed'), facts()).set).toBeDefined();
    expect(chooseTracing('decisions', killMode('process'), facts()).set).toBeDefined();
  });

  test('asking for decisions where they are unavailable fails before anything changes', () => {
    expect(() => chooseTracing('decisions', info(), facts({ straceFlags: [] }))).toThrow(ProfilingError);
  });
});

describe('wrapper strace flags with decision tracing', () => {
  test.each(['strace -- version 6.1', 'strace -- version 6.13'])('%s: --seccomp-bpf -e trace=!…', (v) => {
    const t = chooseTracing(undefined, info(v), facts());
    const args = wrapperStraceArgs(v, { seccompExcept: [...t.set!.untraced.keys()] });
    const i = args.indexOf('--seccomp-bpf');
    expect(i).toBeGreaterThan(0);
    expect(args[i + 1]).toBe('-e');
    expect(args[i + 2]).toMatch(/^trace=!\?[a-z_0-9]+(,\?[a-z_0-9]+)*$/);
    expect(args[i + 2]).toContain('?read,');
    expect(args).toEqual(expect.arrayContaining(['-f', '-D']));
    expect(args).not.toContain('--kill-on-exit');
  });
});
