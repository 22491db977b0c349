// `scripts/testhost ps` lines, as the host tests read them (the VMs themselves: test/host).
import { parseVmStatus } from '../host/testhost';

describe('parseVmStatus', () => {
  test('reads running, untracked and dead entries, with "-" as absent', () => {
    const stdout = [
      '4242    jest-77-debian-13-w1             debian-13 34567 up          3m12s     41s 77       -                /var/cache/hush/testhost/run/jest-77-debian-13-w1',
      '5151    debian-12-snapshot               debian-12 23456 untracked  2h05m  1h40m -        -                /var/cache/hush/testhost/debian-12/0123456789abcdef/.state (gone)',
      '-       old                              debian-13 29999 dead             -       - -        selftest-1       /var/cache/hush/testhost/run/old',
    ].join('\n');
    expect(parseVmStatus(stdout + '\n')).toEqual([
      {
        pid: 4242,
        name: 'jest-77-debian-13-w1',
        image: 'debian-13',
        port: 34567,
        state: 'up',
        scope: null,
        runDir: '/var/cache/hush/testhost/run/jest-77-debian-13-w1',
      },
      {
        pid: 5151,
        name: 'debian-12-snapshot',
        image: 'debian-12',
        port: 23456,
        state: 'untracked',
        scope: null,
        runDir: '/var/cache/hush/testhost/debian-12/0123456789abcdef/.state (gone)',
      },
      {
        pid: null,
        name: 'old',
        image: 'debian-13',
        port: 29999,
        state: 'dead',
        scope: 'selftest-1',
        runDir: '/var/cache/hush/testhost/run/old',
      },
    ]);
  });

  test('rejects a line it does not understand, naming the field', () => {
    expect(() => parseVmStatus('12 x debian-13 22 sleeping 1s 1s - - /r')).toThrow(/state/);
    expect(() => parseVmStatus('12 x debian-13 port up 1s 1s - - /r')).toThrow(/port/);
  });
});
