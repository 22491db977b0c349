// HardenedService while its profile records (window.record), under Pulumi's mocks (an `up`, not a
// preview): the ServiceProfile answers phase `recording` with no profile, so the drop-in child
// declares no content (the host is left as it is) and the component says `recording`.
import * as pulumi from '@pulumi/pulumi';

const created: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        const recording = {
          session: 's',
          startedAt: 'a',
          deadline: 'd',
          capBytes: 1,
          slots: [],
          startSeconds: 1,
        };
        return {
          id: `${args.name}-id`,
          state: args.type.endsWith('ServiceProfile')
            ? { ...args.inputs, phase: 'recording', recording }
            : { ...args.inputs, content: args.inputs.content ?? null },
        };
      },
      call: () => ({}),
    },
    'proj',
    'stack',
    false,
  );
});

const connection = { host: '192.0.2.7', privateKey: 'KEY', hostKey: 'SHA256:' + 'A'.repeat(43) };
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

test('while recording, the drop-in declares nothing and the component says recording', async () => {
  const { HardenedService } = await import('./hardenedService');
  const svc = new HardenedService('web', {
    connection,
    unit: 'nginx.service',
    window: { record: { until: '6h' } },
  });
  expect(await value(svc.phase)).toBe('recording');
  expect(await value(svc.profileJson)).toBeUndefined();
  expect(await value(svc.chosen)).toEqual([]);
  expect(await value(svc.dropInText)).toBeNull();
  const dropIn = created.find((c) => c.name === 'web-dropin');
  expect(dropIn?.inputs).not.toHaveProperty('content');
  expect(created.find((c) => c.name === 'web-profile')?.inputs.window).toEqual({ record: { until: '6h' } });
}, 60_000);
