import { execFileSync } from 'node:child_process';
import { sessionPaths } from './layout';
import { restoreScript } from './restore';
import {
  guardScript,
  maskCommand,
  setAsideForSessionCommand,
  setAsidePaths,
  undoSetAsideCommand,
} from './setAside';
import { sessionUnitChanges } from './unitChanges';

test('the mask sits in the control directory under the drop-in name; template instances keep their own name', () => {
  const p = setAsidePaths('nginx');
  expect(p).toMatchObject({
    unit: 'nginx.service',
    dir: '/run/systemd/system.control/nginx.service.d',
    mask: '/run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf',
    dropIn: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
    sessionRoot: sessionPaths('nginx.service').root,
  });
  expect(p.guardScript).toBe(`${sessionPaths('nginx.service').root}.aside.sh`);
  expect(p.guardUnit).toBe(`hush-profile-aside-${sessionPaths('nginx.service').slug}`);
  expect(setAsidePaths('postgresql@17-main.service').mask).toBe(
    '/run/systemd/system.control/postgresql@17-main.service.d/zz-hush-hardening.conf',
  );
  expect(setAsidePaths('postgresql@17-main.service').guardUnit).not.toContain('@');
  expect(() => setAsidePaths('../etc/passwd')).toThrow();
});

test('every command and the guard are valid sh and quote the unit', () => {
  const unit = 'a\\x20b.service';
  const cmds = [
    maskCommand(unit).text,
    undoSetAsideCommand(unit).text,
    setAsideForSessionCommand(unit, 120, '@@m@@').text,
    guardScript(unit),
  ];
  for (const c of cmds) execFileSync('sh', ['-n', '-c', c]);
  expect(maskCommand(unit).text).toContain(
    "'/run/systemd/system.control/a\\x20b.service.d/zz-hush-hardening.conf'",
  );
  // the guard's timer gets the script as a file (a transient unit would C-unescape \x20 in its command line)
  expect(setAsideForSessionCommand(unit, 120, '@@m@@').text).not.toMatch(/systemd-run[^;]*\\x20/);
});

test("the guard waits at least 5 minutes, steps aside for a session, and undoes only hush's /dev/null link", () => {
  expect(setAsideForSessionCommand('nginx', 10, 'm').text).toContain('--on-active=300s');
  expect(setAsideForSessionCommand('nginx', 900, 'm').text).toContain('--on-active=900s');
  const g = guardScript('nginx');
  expect(g).toContain(`[ -d ${sessionPaths('nginx.service').root} ] && exit 0`);
  expect(undoSetAsideCommand('nginx').text).toMatch(
    /readlink -- [^)]*\)" = \/dev\/null \]; then if e=\$\(rm -f -- [^)]*\); then .*; else printf '%s\\n' 'undo-failed=cannot remove /,
  );
});

test('restore.sh undoes the set-aside with the wrapper, and a plan that set it aside makes it a unit change', () => {
  const p = sessionPaths('nginx.service');
  const script = restoreScript(p);
  expect(script).toContain(undoSetAsideCommand('nginx.service').text);
  expect(script.indexOf(undoSetAsideCommand('nginx.service').text)).toBeLessThan(
    script.indexOf('daemon-reload'),
  );
  expect(sessionUnitChanges({ unit: 'nginx.service' })).toEqual([]);
  expect(
    sessionUnitChanges({ unit: 'nginx.service', setAside: { catBefore: '' } }).map((c) => c.what),
  ).toEqual(["hush's hardening drop-in set aside"]);
});
