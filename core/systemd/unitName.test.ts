import { InvalidUnitNameError, parseRunnableUnitName, parseUnitName, validateUnitName } from './unitName';

describe('unit names', () => {
  it.each([
    ['nginx', 'nginx.service'],
    ['nginx.service', 'nginx.service'],
    ['postgresql@15-main.service', 'postgresql@15-main.service'],
    ['systemd-fsck@dev-disk-by\\x2duuid-1234.service', 'systemd-fsck@dev-disk-by\\x2duuid-1234.service'],
    ['a:b_c.d-e', 'a:b_c.d-e.service'],
    ['getty@tty1', 'getty@tty1.service'],
    ['nginx.conf', 'nginx.conf.service'],
  ])('accepts %s as %s', (input, unit) => {
    expect(validateUnitName(input)).toBe(unit);
  });

  it.each([
    'nginx;reboot',
    '$(id)',
    '`id`',
    '../x',
    '../../etc/passwd.service',
    'a/b.service',
    'a b.service',
    "it's.service",
    'nginx\n.service',
    'nginx\0.service',
    '',
    '.service',
    '-x.service',
    '--help',
    '.hidden.service',
    '@x.service',
    'a|b',
    'a&b',
    'a>b',
    'x*.service',
    'nginx.socket',
    'x.timer',
    'a'.repeat(248) + '.service',
  ])('rejects %j', (input) => {
    expect(() => validateUnitName(input)).toThrow(InvalidUnitNameError);
  });

  it('accepts exactly 255 characters', () => {
    const name = 'a'.repeat(247) + '.service';
    expect(name).toHaveLength(255);
    expect(validateUnitName(name)).toBe(name);
  });

  it('splits templates and instances', () => {
    expect(parseUnitName('postgresql@15-main.service')).toEqual({
      unit: 'postgresql@15-main.service',
      prefix: 'postgresql',
      instance: '15-main',
      template: 'postgresql@.service',
      kind: 'instance',
    });
    expect(parseUnitName('foo@.service')).toMatchObject({ kind: 'template', template: 'foo@.service' });
    expect(parseUnitName('nginx')).toEqual({ unit: 'nginx.service', prefix: 'nginx', kind: 'plain' });
    // systemd allows '@' inside the instance
    expect(parseUnitName('a@b@c.service')).toMatchObject({ prefix: 'a', instance: 'b@c' });
  });

  it('refuses to run a template', () => {
    expect(() => parseRunnableUnitName('foo@.service')).toThrow(/template cannot run/);
    expect(parseRunnableUnitName('foo@x').unit).toBe('foo@x.service');
  });

  it('names the offending character', () => {
    expect(() => validateUnitName('nginx;reboot')).toThrow(/character ";" is not allowed/);
  });
});
