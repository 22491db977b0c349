/**
 * readDropInState's command, run by the real local `sh` and `awk` against a `systemctl cat` stand-in:
 * hush's own section is left out of the digest also for a unit name with systemd's `\` escapes,
 * which `awk -v` used to turn into other characters (so the section was not recognised).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Connection } from './connection';
import { readDropInState } from './hardeningState';
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
