import { execFileSync } from 'node:child_process';
import { restoreSetAsideLines, setAsideCommand, setAsidePaths } from './setAside';

test('the mask sits in the control directory under the drop-in name; template instances keep their own name', () => {
  expect(setAsidePaths('nginx')).toEqual({
    dir: '/run/systemd/system.control/nginx.service.d',
    mask: '/run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf',
    dropIn: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
  });
  expect(setAsidePaths('postgresql@17-main.service').mask).toBe(
    '/run/systemd/system.control/postgresql@17-main.service.d/zz-hush-hardening.conf',
  );
  expect(() => setAsidePaths('../etc/passwd')).toThrow();
});

test('the command and the restore lines are valid sh and quote the unit', () => {
  const cmd = setAsideCommand('a\\x20b.service').text;
  expect(cmd).toContain("'/run/systemd/system.control/a\\x20b.service.d/zz-hush-hardening.conf'");
  execFileSync('sh', ['-n', '-c', cmd]);
  execFileSync('sh', ['-n', '-c', restoreSetAsideLines('a\\x20b.service').join('\n')]);
});
