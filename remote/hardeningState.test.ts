/**
 * readDropInState's command, run by the real local `sh` and `awk` against a `systemctl cat` stand-in:
 * hush's own section is left out of the digest also for a unit name with systemd's `\` escapes,
 * which `awk -v` used to turn into other characters (so the section was not recognised).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Connection } from './connection';
import { hardeningOutsideHush, readDropInState } from './hardeningState';
import type { ShellCommand } from './shell';

function fakeHost(catText: string): Connection {
  return {
    target: 'test',
    exec: (cmd: ShellCommand) => {
      // `systemctl cat` answers with catText; `[ -e FILE ]` is false (the drop-in file itself is absent)
      const script = `systemctl() { printf '%s' "$CAT"; }\n${cmd.text}`;
      const stdout = execFileSync('sh', ['-c', script], {
        encoding: 'utf8',
        env: { ...process.env, CAT: catText },
      });
      return Promise.resolve({ code: 0, stdout, stderr: '' });
    },
  } as unknown as Connection;
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
