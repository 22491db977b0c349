import { applyPaths, hardeningPaths, profileSessionDir, unitSlug } from './paths';

describe('hush paths on a host', () => {
  it('puts the drop-in beside the unit, instances in their own directory', () => {
    expect(hardeningPaths('nginx')).toEqual({
      unit: 'nginx.service',
      dir: '/etc/systemd/system/nginx.service.d',
      file: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
    });
    expect(hardeningPaths('postgresql@15-main').dir).toBe('/etc/systemd/system/postgresql@15-main.service.d');
  });

  it('refuses templates and hostile names', () => {
    expect(() => hardeningPaths('postgresql@')).toThrow(/template/);
    expect(() => hardeningPaths('../../etc/x')).toThrow(/invalid unit name/);
  });

  it('derives slugs that are plain unit names and keep units apart', () => {
    const a = unitSlug('getty@tty1.service');
    expect(a).toMatch(/^getty_tty1-[0-9a-f]{8}$/);
    expect(unitSlug('getty_tty1.service')).not.toBe(a);
    expect(applyPaths('getty@tty1').transientUnit).toBe(`hush-apply-${a}.service`);
    expect(profileSessionDir('getty@tty1')).toBe(`/run/hush/profile/${a}`);
  });
});
