// HardenedService's wiring under Pulumi's mocks (no engine, no host): which children it creates,
// that a given profile skips profiling, and that its outputs are the ones the plugin's schema
// declares (YAML programs are checked against that schema).
import * as pulumi from '@pulumi/pulumi';
import { packageSchema } from '../provider/plugin/schema';

const created: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    },
    'proj',
    'stack',
    true, // preview: outputs of children stay unknown
  );
});

const connection = { host: '192.0.2.7', privateKey: 'KEY', hostKey: 'SHA256:' + 'A'.repeat(43) };

test('a given profile skips profiling; the outputs are those of the schema', async () => {
  const { HardenedService, buildHardenedService } = await import('./hardenedService');
  const plugin = await import('../provider/plugin/sdk');
  const profiled = new HardenedService('web', {
    connection,
    unit: 'nginx.service',
    window: { durationSeconds: 3 },
  });
  // A profile not known yet (another stack's output, say): nothing here may profile meanwhile.
  const given = new HardenedService('api', {
    connection,
    unit: 'api.service',
    profile: pulumi.output(pulumi.unknown).apply(String),
  });
  await new Promise((r) => setTimeout(r, 50));
  expect(created.filter((c) => c.name.startsWith('web-')).map((c) => c.type)).toEqual([
    'pulumi-nodejs:dynamic/hush:ServiceProfile',
    'pulumi-nodejs:dynamic/hush:HardeningDropIn',
  ]);
  expect(created.filter((c) => c.name.startsWith('api-')).map((c) => c.type)).toEqual([
    'pulumi-nodejs:dynamic/hush:HardeningDropIn',
  ]);
  expect(given.profile).toBeUndefined();
  expect(profiled.profile).toBeDefined();

  const parent = new pulumi.ComponentResource('hush:index:HardenedService', 'x', {});
  const { outputs } = buildHardenedService(
    parent,
    'x',
    { connection, unit: 'u', window: { durationSeconds: 1 } },
    {
      profile: (n, a, o) => new plugin.ServiceProfile(n, a, o),
      dropIn: (n, a, o) => new plugin.HardeningDropIn(n, a, o),
    },
  );
  const schema = packageSchema('0') as { resources: Record<string, { properties: Record<string, unknown> }> };
  expect(Object.keys(outputs).sort()).toEqual(
    Object.keys(schema.resources['hush:index:HardenedService']?.properties ?? {}).sort(),
  );
  // The first import of @pulumi/pulumi's runtime takes seconds on a loaded machine.
}, 60_000);

test('a component without window or profile is refused, naming the field', async () => {
  const { HardenedService } = await import('./hardenedService');
  expect(() => new HardenedService('bad', { connection, unit: 'u' })).toThrow(
    'HardenedService bad: window: is required (or give a profile)',
  );
});
