// The plugin's protocol layer without an engine: dispatch by type, secrets in and out, imports,
// the component's inputs, and the schema against the runtime schemas.
import { ConnectionArgs } from '../../remote/connection';
import { engineLog } from '../engineLog';
import { HardeningDropInInputs, ProfileWindow, ServiceProfileInputs } from '../inputs';
import { hardenedServiceArgs, HushProvider, typeOfUrn } from './provider';
import { packageSchema } from './schema';

const SIG = '4dabf18193072939515e22adb298388d';
const secret = (value: unknown) => ({ [SIG]: '1b47061264138c4ac30d75fd1eb44270', value });
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
const PIN = 'SHA256:' + 'A'.repeat(43);
const urn = (type: string) => `urn:pulumi:dev::proj::hush:index:HardenedService$${type}::web-x`;
const provider = new HushProvider('0.1.0', engineLog(undefined));

describe('the hush provider plugin', () => {
  it('finds the resource type in a URN, also under a parent', () => {
    expect(typeOfUrn(urn('hush:index:HardeningDropIn'))).toBe('hush:index:HardeningDropIn');
    expect(typeOfUrn('urn:pulumi:dev::proj::hush:index:ServiceProfile::p')).toBe('hush:index:ServiceProfile');
  });

  it('check names the bad field, never the secret, and hands the inputs back still wrapped', async () => {
    const news = {
      connection: { host: 'h', port: 70000, privateKey: secret(KEY), hostKey: PIN },
      unit: 'nginx.service',
      window: { durationSeconds: 3 },
    };
    const r = await provider.check(urn('hush:index:ServiceProfile'), {}, news);
    expect(r.failures).toEqual([{ property: 'connection.port', reason: 'must be 1 to 65535' }]);
    expect(JSON.stringify(r.failures)).not.toContain('AAAA');
    expect(r.inputs).toBe(news);
  });

  it('diff reads wrapped states and inputs: the same drop-in is no change', async () => {
    const connection = { host: 'h', privateKey: KEY, hostKey: PIN };
    const olds = {
      connection: secret(ConnectionArgs.parse(connection)),
      unit: 'nginx.service',
      content: '[Service]\nProtectSystem=full\n',
      path: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
    };
    const news = {
      connection: { ...connection, privateKey: secret(KEY) },
      unit: 'nginx.service',
      content: olds.content,
    };
    expect(await provider.diff('id', urn('hush:index:HardeningDropIn'), olds, news)).toMatchObject({
      changes: false,
      replaces: [],
    });
  });

  it('keeps a secret health command secret in the state it returns (and the connection always)', async () => {
    // Same options, so the update leaves the host alone and this runs without one.
    const connection = ConnectionArgs.parse({ host: '127.0.0.1', port: 1, privateKey: KEY, hostKey: PIN });
    const content = '[Service]\nProtectSystem=full\n';
    const olds = {
      connection: secret(connection),
      unit: 'nginx.service',
      content,
      path: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
    };
    const news = {
      connection: secret(connection),
      unit: 'nginx.service',
      content,
      healthCommand: secret('curl -H "token: x"'),
    };
    const r = await provider.update('id', urn('hush:index:HardeningDropIn'), olds, news);
    expect(r.outs).toMatchObject({
      connection: secret(connection),
      healthCommand: secret('curl -H "token: x"'),
      content,
    });
  });

  it('refuses to import a ServiceProfile, saying why', async () => {
    await expect(provider.read('id', urn('hush:index:ServiceProfile'), {})).rejects.toThrow(
      /cannot be imported: a profile exists only in Pulumi state/,
    );
  });

  it('refuses a type it does not serve', async () => {
    await expect(provider.check(urn('hush:index:Nope'), {}, {})).rejects.toThrow(
      /no resource type hush:index:Nope/,
    );
  });

  it("checks the component's fields: required, unknown, window or profile", () => {
    expect(() => hardenedServiceArgs({ unit: 'nginx.service', colour: 'red' })).toThrow(
      'HardenedService: connection: is required; window: is required (or give a profile); colour: unknown field',
    );
    expect(hardenedServiceArgs({ connection: {}, unit: 'u', profile: '{}' })).toEqual({
      connection: {},
      unit: 'u',
      profile: '{}',
    });
  });
});

describe('the package schema', () => {
  const schema = packageSchema('0.1.0') as {
    version: string;
    resources: Record<string, { inputProperties: Record<string, unknown>; isComponent?: boolean }>;
    types: Record<string, { properties: Record<string, { secret?: boolean }> }>;
  };
  const keys = (o: object) => Object.keys(o).sort();

  it('declares the inputs the providers validate, no more, no less', () => {
    expect(keys(schema.resources['hush:index:ServiceProfile']?.inputProperties ?? {})).toEqual(
      keys(ServiceProfileInputs.shape),
    );
    expect(keys(schema.resources['hush:index:HardeningDropIn']?.inputProperties ?? {})).toEqual(
      keys(HardeningDropInInputs.shape),
    );
    expect(keys(schema.types['hush:index:ProfileWindow']?.properties ?? {})).toEqual(
      keys(ProfileWindow.shape),
    );
    expect(keys(schema.types['hush:index:Connection']?.properties ?? {})).toEqual(keys(ConnectionArgs.shape));
    const component = schema.resources['hush:index:HardenedService'];
    expect(component?.isComponent).toBe(true);
    expect(() =>
      hardenedServiceArgs({ connection: {}, unit: 'u', window: {}, ...component?.inputProperties }),
    ).not.toThrow();
  });

  it('marks every credential secret, and carries the version it was built with', () => {
    const connection = schema.types['hush:index:Connection']?.properties ?? {};
    const secrets = Object.entries(connection)
      .filter(([, p]) => p.secret)
      .map(([k]) => k);
    expect(secrets.sort()).toEqual(['password', 'privateKey', 'privateKeyPassword']);
    expect(schema.version).toBe('0.1.0');
  });
});
