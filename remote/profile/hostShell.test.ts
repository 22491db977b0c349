import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unitSlug } from '../paths';
import { END_OF_TRACE } from './collect';
import { armWatchdogCommand, watchdogScript } from './deadline';
import { sessionPaths } from './layout';
import { holdCommand, readerCommand, readerCopier, wakeReadersCommand } from './liveSink';
import { readerPidPath } from './layout';
import { killStragglersCommand } from './recorder';
import { restoreScript } from './restore';
import { prepareCommand } from './start';
import { parseState, renderState, type SessionPlan } from './state';
import { parseUnitInfo } from './unitInfo';
import { ROOT_WRITER } from './traceFiles';

/** `sh -n`: the generated shell at least parses. */
function shParses(script: string): boolean {
  return spawnSync('sh', ['-n', '-c', script]).status === 0;
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Polls until fn returns a value (10 s at most). */
async function until<T>(fn: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met within 10 s');
}

describe('session layout and host scripts', () => {
  test('slugs are safe path and (non-template) unit names, distinct per unit', () => {
    expect(unitSlug('nginx.service')).toMatch(/^nginx-[0-9a-f]{8}$/);
    const inst = unitSlug('postgresql@15-main.service');
    expect(inst).toMatch(/^postgresql_15-main-[0-9a-f]{8}$/);
    expect(unitSlug('a\\x2db.service')).not.toContain('\\');
    expect(unitSlug('a@b.service')).not.toBe(unitSlug('a_b.service'));
    const p = sessionPaths('postgresql@15-main.service');
    expect(p.dropIn).toBe('/run/systemd/system/postgresql@15-main.service.d/zz-hush-profile.conf');
    expect(p.holdUnit).not.toContain('@');
  });

  test('every generated script parses', () => {
    const p = sessionPaths('nginx.service');
    const plan = {
      session: 'abc',
      wasActive: true,
      watchdogTimeoutSec: 60,
      startedAt: '2026-01-01T00:00:00Z',
    } as SessionPlan;
    const cmds = [
      prepareCommand(p, plan, [
        { id: 'ExecStart-0', writer: ROOT_WRITER },
        { id: 'ExecStartPre-0', writer: ROOT_WRITER },
      ]),
      readerCommand(p, 'ExecStart-0', true),
      readerCommand(p, 'ExecStart-0', false),
      wakeReadersCommand(p),
      killStragglersCommand(p, '/usr/bin/strace'),
      holdCommand(p, ['ExecStart-0']),
      armWatchdogCommand(p, 5),
    ];
    for (const c of cmds) expect(shParses(c.text)).toBe(true);
    expect(shParses(restoreScript(p))).toBe(true);
    expect(shParses(watchdogScript(p, 60))).toBe(true);
  });

  test('the restore script removes the drop-in before restarting, and only restarts if it changed something', () => {
    const p = sessionPaths('nginx.service');
    const s = restoreScript(p);
    const rm = s.indexOf(`rm -f -- ${p.dropIn}`);
    const reload = s.indexOf('systemctl daemon-reload');
    const restart = s.indexOf('systemctl restart -- "$unit"');
    expect(rm).toBeGreaterThan(0);
    expect(reload).toBeGreaterThan(rm);
    expect(restart).toBeGreaterThan(reload);
    expect(s).toMatch(/if \[ "\$changed" = yes \]; then\n {2}systemctl daemon-reload/);
  });

  test('the watchdog and holder run scripts from files: a transient unit would expand $VARS in arguments', () => {
    const p = sessionPaths('nginx.service');
    expect(armWatchdogCommand(p, 5).text).not.toContain('$');
    expect(holdCommand(p, ['ExecStart-0']).text).not.toContain('$');
  });

  test('a reader takes over from a stale one (a cut connection) without losing a byte, and passes on a partial last block at end of file', async () => {
    // Real sh, cat and FIFOs on this machine: the stale reader's output goes nowhere (its channel
    // is gone), as after a cut; the new reader must end it and receive the whole trace.
    const root = mkdtempSync(path.join(tmpdir(), 'hush-reader-'));
    const p = { ...sessionPaths('x.service'), root, fifoDir: `${root}/fifo`, stopFlag: `${root}/stop` };
    const fifo = `${p.fifoDir}/ExecStart-0`;
    const run = (script: string) => spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    const children: ReturnType<typeof spawn>[] = [];
    let staleCat = '';
    try {
      expect(run(`mkdir ${p.fifoDir} && mkfifo ${fifo}`).status).toBe(0);
      const holder = spawn('sh', ['-c', `exec sleep 60 < ${fifo}`], { stdio: 'ignore' });
      children.push(holder);
      const stale = spawn('sh', ['-c', readerCommand(p, 'ExecStart-0', false).text], {
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      children.push(stale);
      const pidFile = readerPidPath(p, 'ExecStart-0');
      // uncompressed, the copier is dd in full blocks (see readerCopier)
      const copier = `${readerCopier(fifo, false).join(' ')} `;
      expect(copier).toMatch(/^dd /);
      const cmdline = (pid: string) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        } catch {
          return '';
        }
      };
      staleCat = await until(() => {
        const pid = readFileSafe(pidFile).trim();
        return pid !== '' && cmdline(pid) === copier ? pid : undefined;
      });
      const fresh = spawn('sh', ['-c', readerCommand(p, 'ExecStart-0', false).text], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      children.push(fresh);
      let out = '';
      fresh.stdout.on('data', (b: Buffer) => (out += b.toString()));
      // the stale cat is gone before anything is written
      await until(() => (cmdline(staleCat) === '' ? true : undefined));
      await until(() => {
        const pid = readFileSafe(pidFile).trim();
        return pid !== staleCat && cmdline(pid) === copier ? true : undefined;
      });
      const trace = Array.from({ length: 50_000 }, (_, i) => `${i} write(1, ...) = 1\n`).join('');
      await writeFile(fifo, trace); // async: this process must keep reading the reader's output
      await until(() => (out.includes(END_OF_TRACE) ? true : undefined));
      expect(out).toBe(`${trace}${END_OF_TRACE}\n`);
      writeFileSync(p.stopFlag, '');
      expect(run(wakeReadersCommand(p).text).status).toBe(0);
      await until(() => (fresh.exitCode !== null ? true : undefined));
      expect(stale.exitCode !== null || stale.signalCode !== null).toBe(true);
    } finally {
      // the readers' cats are children of their shells: end them by the pid files' record too
      const last = readFileSafe(readerPidPath(p, 'ExecStart-0')).trim();
      for (const pid of [staleCat, last, ...children.map((c) => c.pid)]) {
        try {
          if (pid) process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);

  test('state round-trips', () => {
    const st = { session: 'abc', wasActive: false, watchdogTimeoutSec: 15, startedAt: 'x' };
    expect(parseState(renderState(st))).toEqual(st);
  });
});

describe('unit info', () => {
  test('unit info sections', () => {
    const m = '@@m@@';
    const text = [
      '',
      `${m}show`,
      'LoadState=loaded',
      'User=www-data',
      `${m}exec`,
      'ExecStart={ path=/usr/sbin/nginx ; argv[]=/usr/sbin/nginx -g daemon on; master_process on; ; ignore_errors=no }',
      'ExecStartPost={ path=/bin/a ; argv[]=/bin/a ; ignore_errors=no }',
      'ExecStartPost={ path=/bin/b ; argv[]=/bin/b ; ignore_errors=no }',
      `${m}cat`,
      '# /x.service',
      '[Service]',
      '', // systemctl's own final newline, then the section marker's
      `${m}catrc`,
      '0',
      `${m}strace`,
      '/usr/bin/strace',
      'strace -- version 6.1',
      'no-argv0',
      `${m}bash`,
      '/usr/bin/bash',
      `${m}setpriv`,
      '/usr/bin/setpriv',
      `${m}creds`,
      'uid 33',
      'gid 33',
      'groups 44 45',
      'group 34',
      'supplementary ', // a SupplementaryGroups= name the host does not resolve
      'supplementary 110',
      `${m}end`,
      '',
    ].join('\n');
    const u = parseUnitInfo(text, m);
    expect(u.properties).toEqual({ LoadState: 'loaded', User: 'www-data' });
    expect(u.execCounts).toEqual({ ExecStart: 1, ExecStartPost: 2 });
    expect(u.catText).toBe('# /x.service\n[Service]\n');
    expect(u.strace).toEqual({
      path: '/usr/bin/strace',
      version: 'strace -- version 6.1',
      supportsArgv0: false,
    });
    expect(u.bashPath).toBe('/usr/bin/bash');
    expect(u.setprivPath).toBe('/usr/bin/setpriv');
    expect(u.credentials).toEqual({ uid: 33, gid: 33, groups: [44, 45], group: 34, supplementary: [110] });
  });
});
