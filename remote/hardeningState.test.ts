/**
 * readDropInState's command, run by the real local `sh` and `awk` against a `systemctl cat` stand-in:
 * hush's own section is left out of the digest also for a unit name with systemd's `\` escapes,
 * which `awk -v` used to turn into other characters (so the section was not recognised).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hardeningOutsideHush, readDropInState } from './hardeningState';
import { LocalShell } from './host';

// A `systemctl` stand-in first on PATH answers every call with $CAT; `[ -e FILE ]` is false
// (the drop-in file itself is absent), as on a host without hush's drop-in.
const bin = mkdtempSync(path.join(tmpdir(), 'hush-systemctl-'));
writeFileSync(path.join(bin, 'systemctl'), '#!/bin/sh\nprintf \'%s\' "$CAT"\n');
chmodSync(path.join(bin, 'systemctl'), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function fakeHost(catText: string): LocalShell {
  return new LocalShell({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CAT: catText });
}

describe('readDropInState', () => {
  it('leaves hush’s own section out of the unit digest, for a unit name with \\x2d escapes too', async () => {
    const unit = 'foo\\x2dbar.service';
    const unitPart = `# /usr/lib/systemd/system/${unit}\n[Service]\nExecStart=/bin/true\n`;
    const hushPart = `# /etc/systemd/system/${unit}.d/zz-hush-hardening.conf\n[Service]\nProtectSystem=strict\n`;
    const state = await readDropInState(fakeHost(unitPart + '\n' + hushPart), unit);
    const withoutHush = createHash('sha256')
      .update(unitPart + '\n')
      .digest('hex');
    expect(state.unitDigest).toBe(withoutHush);
  });
});

const cat = `# /usr/lib/systemd/system/caddy.service
[Unit]
Description=Caddy
[Service]
ExecStart=/usr/bin/caddy run
ProtectSystem=full
PrivateTmp=true

# /etc/systemd/system/caddy.service.d/override.conf
[Service]
ProtectHome=read-only
Environment=A=1

# /etc/systemd/system/caddy.service.d/zz-hush-hardening.conf
[Service]
NoNewPrivileges=yes
`;

test("hardening set outside hush's file, per file, in systemd's reading", () => {
  const names = new Set(['ProtectSystem', 'PrivateTmp', 'ProtectHome', 'NoNewPrivileges']);
  expect(
    hardeningOutsideHush(cat, '/etc/systemd/system/caddy.service.d/zz-hush-hardening.conf', names),
  ).toEqual([
    { option: 'ProtectSystem', value: 'full', file: '/usr/lib/systemd/system/caddy.service' },
    { option: 'PrivateTmp', value: 'true', file: '/usr/lib/systemd/system/caddy.service' },
    { option: 'ProtectHome', value: 'read-only', file: '/etc/systemd/system/caddy.service.d/override.conf' },
  ]);
});
