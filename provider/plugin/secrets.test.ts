import { unwrapSecrets, wrapSecrets } from './secrets';

const SIG = '4dabf18193072939515e22adb298388d';
const secret = (value: unknown) => ({ [SIG]: '1b47061264138c4ac30d75fd1eb44270', value });

describe('secrets across the provider protocol', () => {
  it('takes the wrappers off at any depth and remembers where they were', () => {
    const inputs = {
      connection: { host: 'h', privateKey: secret('KEY') },
      window: secret({ workload: 'curl …' }),
      healthCommand: secret('check'),
      unit: 'nginx.service',
    };
    const { plain, secretPaths } = unwrapSecrets(inputs);
    expect(plain).toEqual({
      connection: { host: 'h', privateKey: 'KEY' },
      window: { workload: 'curl …' },
      healthCommand: 'check',
      unit: 'nginx.service',
    });
    expect(secretPaths).toEqual([['connection', 'privateKey'], ['window'], ['healthCommand']]);
  });

  it('puts them back where they were, the whole connection always, nothing twice', () => {
    const state = { connection: { host: 'h', privateKey: 'KEY' }, healthCommand: 'check', path: '/etc/x' };
    const out = wrapSecrets(state, [
      ['connection'],
      ['connection', 'privateKey'],
      ['healthCommand'],
      ['absent'],
    ]);
    expect(out).toEqual({
      connection: secret({ host: 'h', privateKey: 'KEY' }),
      healthCommand: secret('check'),
      path: '/etc/x',
    });
    // Round trip: what comes back in on the next call unwraps to the same plain state.
    expect(unwrapSecrets(out).plain).toEqual(state);
  });

  it('wraps inside arrays and leaves a missing optional input unwrapped', () => {
    expect(
      wrapSecrets({ triggers: ['a', 'b'] }, [
        ['triggers', 1],
        ['window', 'workload'],
      ]),
    ).toEqual({
      triggers: ['a', secret('b')],
    });
  });
});
