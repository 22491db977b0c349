import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProfilingError } from '../../core/profiling/errors';
import { sessionPaths } from './layout';
import { restoreScript, throwIfNotUndone } from './restore';
import { removeOrReport, undoFailures } from './undo';

// Real sh and rm on this machine. A path that is a non-empty directory is what rm -f cannot remove
// even as root (as EROFS, EACCES or EBUSY make it on a host): the failure must come back with it.
describe('a restore that cannot undo a change says which file, and fails', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hush-undo-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (script: string, env: NodeJS.ProcessEnv = process.env) =>
    spawnSync('sh', ['-c', script], { encoding: 'utf8', env });

  test('removeOrReport: removed → changed; not removable → the path and the system message', () => {
    const d = path.join(dir, 'u.service.d');
    const f = path.join(d, 'zz.conf');
    mkdirSync(d);
    writeFileSync(f, 'x');
    const ok = run(
      `changed=no; undofailed=no; ${removeOrReport(f, d).text}; echo "changed=$changed undofailed=$undofailed"`,
    );
    expect(ok.stdout).toBe('changed=yes undofailed=no\n');
    expect(existsSync(d)).toBe(false);

    mkdirSync(path.join(f, 'sub'), { recursive: true });
    const bad = run(
      `changed=no; undofailed=no; ${removeOrReport(f, d).text}; echo "changed=$changed undofailed=$undofailed"`,
    );
    expect(bad.stdout.split('\n')).toEqual([
      `undo-failed=cannot remove ${f}: rm: cannot remove '${f}': Is a directory`,
      'changed=no undofailed=yes',
      '',
    ]);
    expect(undoFailures(bad.stdout)).toEqual([
      `cannot remove ${f}: rm: cannot remove '${f}': Is a directory`,
    ]);
  });

  test('restore.sh exits 1 naming the wrapper drop-in it could not remove, and restarts nothing', () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const log = path.join(dir, 'systemctl.log');
    writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >>${log}\n`);
    chmodSync(path.join(bin, 'systemctl'), 0o755);
    const real = sessionPaths('hush-undo-test.service');
    const p = {
      ...real,
      root: path.join(dir, 'session'),
      dropInDir: path.join(dir, 'hush-undo-test.service.d'),
      dropIn: path.join(dir, 'hush-undo-test.service.d', 'zz-hush-profile.conf'),
    };
    mkdirSync(path.join(p.dropIn, 'busy'), { recursive: true });
    mkdirSync(p.root);
    const r = run(restoreScript(p), { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(r.status).toBe(1);
    expect(undoFailures(r.stdout)).toEqual([
      `cannot remove ${p.dropIn}: rm: cannot remove '${p.dropIn}': Is a directory`,
    ]);
    // nothing was undone, so no daemon-reload and no restart onto a configuration that is not back
    expect(readFileSync(log, 'utf8')).not.toMatch(/daemon-reload|restart/);
    expect(() => throwIfNotUndone('hush-undo-test.service', r.stdout)).toThrow(ProfilingError);
    expect(() => throwIfNotUndone('hush-undo-test.service', r.stdout)).toThrow(
      `hush-undo-test.service is NOT back on its own configuration: cannot remove ${p.dropIn}: rm: cannot remove '${p.dropIn}': Is a directory. Remove it as root`,
    );
    expect(() => throwIfNotUndone('x.service', 'hush: profiling wrapper removed\n')).not.toThrow();
  });
});
