/**
 * The VM case of issue 12 (test/e2e/remote-apply.test.ts) asserts that none of the hostile
 * service's targets is in what systemd reads from hush's drop-in. Here: that assertion can fail —
 * the same `:` names written without the bind grammar's quoting would be caught.
 */
import { renderAssignment } from '../../core/dropin';
import { hushItems, type PathProperty } from '../e2e/dropinFuzz';
import { hostileTargets } from '../hostile';

const BASE = '/usr/local/share/hush-hostile';
const read = (option: PathProperty, line: string) => ({ [option]: hushItems(option, line) });

describe('hostile targets in what systemd reads', () => {
  it("hush's rendering of the ':' names gives none", () => {
    for (const [option, item] of [
      ['BindReadOnlyPaths', `-${BASE}/x/a:/etc/shadow`],
      ['BindPaths', `-${BASE}/x/b:/usr/bin`],
    ] as const) {
      const [line] = renderAssignment({ option, value: [item] });
      expect(line).toMatch(/="-/);
      expect(hostileTargets(read(option, line!.slice(option.length + 1)))).toEqual([]);
    }
  });

  it('the same names unquoted mount over /etc/shadow and /usr/bin: caught', () => {
    expect(hostileTargets(read('BindReadOnlyPaths', `-${BASE}/x/a:/etc/shadow`))).toEqual([
      'BindReadOnlyPaths /etc/shadow',
    ]);
    expect(hostileTargets(read('BindPaths', `-${BASE}/x/b:/usr/bin`))).toEqual(['BindPaths /usr/bin']);
  });

  it('write access to /etc/cron.d or the disk: caught', () => {
    expect(hostileTargets({ ReadWritePaths: ['-/etc/cron.d'], DeviceAllow: [['/dev/sda', 'rw']] })).toEqual([
      'ReadWritePaths /etc/cron.d',
      'DeviceAllow /dev/sda',
    ]);
  });
});
