import { importCredentials, parseImportId } from './importId';

const PIN = 'SHA256:' + 'A'.repeat(43);

describe('import IDs', () => {
  it('reads user, host, port, unit and the pinned key', () => {
    expect(parseImportId(`deploy@203.0.113.7:2222/nginx.service#${PIN}`)).toEqual({
      user: 'deploy',
      host: '203.0.113.7',
      port: 2222,
      unit: 'nginx.service',
      hostKey: PIN,
    });
  });

  it('defaults to root and port 22, accepts an IPv6 address and a template instance', () => {
    expect(parseImportId(`[2001:db8::7]/postgresql@17-main.service#${PIN}`)).toMatchObject({
      user: 'root',
      host: '2001:db8::7',
      port: 22,
      unit: 'postgresql@17-main.service',
    });
  });

  it('refuses an ID without a pinned key, a bad port or a bad unit, naming what is wrong', () => {
    expect(() => parseImportId('203.0.113.7/nginx.service')).toThrow(/not of the expected form/);
    expect(() => parseImportId(`h:70000/nginx.service#${PIN}`)).toThrow(/port must be 1 to 65535/);
    expect(() => parseImportId(`h/foo@.service#${PIN}`)).toThrow(/unit: /);
    expect(() => parseImportId('h/nginx.service#not-a-key')).toThrow(/host key: /);
  });

  it('takes credentials from the environment, never from the ID', () => {
    expect(importCredentials({ SSH_AUTH_SOCK: '/run/agent.sock' })).toEqual({
      agentSocketPath: '/run/agent.sock',
    });
    expect(() => importCredentials({})).toThrow(/HUSH_IMPORT_PRIVATE_KEY_FILE/);
    expect(() => importCredentials({ HUSH_IMPORT_PRIVATE_KEY_FILE: '/nonexistent/key' })).toThrow(
      /cannot be read: ENOENT/,
    );
  });
});
