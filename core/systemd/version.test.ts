import { parseSystemctlVersion } from './version';

describe('parseSystemctlVersion', () => {
  it('reads the version and the BPF framework flag', () => {
    expect(parseSystemctlVersion('systemd 252 (252.38-1~deb12u1)\n+PAM -BPF_FRAMEWORK +XZ\n')).toEqual({
      version: 252,
      line: 'systemd 252 (252.38-1~deb12u1)',
      bpfFramework: false,
    });
    expect(parseSystemctlVersion('systemd 257 (257.13-1~deb13u1)\n+BPF_FRAMEWORK +BTF\n')?.bpfFramework).toBe(
      true,
    );
    expect(parseSystemctlVersion('systemd 257 (257.13-1~deb13u1)')).toEqual({
      version: 257,
      line: 'systemd 257 (257.13-1~deb13u1)',
    });
    expect(parseSystemctlVersion('bash: systemctl: not found')).toBeUndefined();
  });
});
