import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fingerprint } from '../core/profile';
import type { ExecBinary } from '../core/profile/hostFacts';
import { resolve } from '../core/resolve';
import { act, chosen, facts257, profileOf, rejected } from '../core/resolve/testkit';
import { LocalShell, type HostExec } from './host';
import {
  execModesCommand,
  mergeExecModes,
  parseExecModesReply,
  pathsNeedingModes,
  withExecModes,
  withExecModesOrUnknown,
} from './execModes';

const MARKER = '@@hush-modes-test@@';

describe('pathsNeedingModes', () => {
  it('takes execve paths and known binaries not read yet without a mode, absolute only, sorted', () => {
    const profile = profileOf([
      act.path('exec', '/usr/lib/postgresql/17/bin/postgres', 'execve'),
      act.path('exec', '/usr/bin/pg_ctlcluster', 'execve'),
      act.path('exec', 'relative/tool', 'execve'),
      act.path('read', '/etc/passwd'),
    ]);
    const binaries: ExecBinary[] = [
      { path: '/usr/bin/pg_ctlcluster' },
      { path: '/usr/bin/known', mode: 0o100755, fileCapabilities: '', interpreter: '' },
      { path: '/usr/bin/no-interpreter-yet', mode: 0o100755, fileCapabilities: '' },
      // read, and neither ELF nor #! (or no getcap): asking again would get the same answer
      { path: '/usr/bin/unknown-format', mode: 0o100755, modesProbed: true },
    ];
    // profileOf's base actions execute /usr/bin/app.
    expect(pathsNeedingModes(profile, binaries)).toEqual([
      '/usr/bin/app',
      '/usr/bin/no-interpreter-yet',
      '/usr/bin/pg_ctlcluster',
      '/usr/lib/postgresql/17/bin/postgres',
    ]);
  });
});

describe('execModesCommand', () => {
  it('quotes every path as one word: trace text never reaches the shell unquoted', () => {
    const cmd = execModesCommand(["/tmp/a b'$(touch /tmp/pwned)"], MARKER).text;
    expect(cmd).toContain(`for p in '/tmp/a b'\\''$(touch /tmp/pwned)'; do`);
  });

  it('refuses a marker that would need quoting', () => {
    expect(() => execModesCommand(['/bin/sh'], "x'; rm -rf /")).toThrow(/marker/);
  });

  // Runs the real command with the local sh, stat and getcap (when installed) on real files.
  it('reports mode, capabilities and interpreter by index for odd names, nothing for a missing path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hush-modes-'));
    try {
      const odd = path.join(dir, "we\tird\nname 'x' $(echo no)");
      writeFileSync(odd, '#!/bin/sh\n');
      chmodSync(odd, 0o4755);
      const plain = path.join(dir, 'plain');
      writeFileSync(plain, '');
      chmodSync(plain, 0o755);
      const paths = [odd, path.join(dir, 'missing'), plain];
      const r = spawnSync('sh', ['-c', execModesCommand(paths, MARKER).text], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const got = parseExecModesReply(r.stdout, paths, MARKER);
      const hasGetcap = spawnSync('sh', ['-c', 'command -v getcap']).status === 0;
      expect(got).toEqual([
        {
          path: odd,
          mode: 0o104755,
          ...(hasGetcap ? { fileCapabilities: '' } : {}),
          interpreter: '/bin/sh',
          modesProbed: true,
        },
        { path: plain, mode: 0o100755, ...(hasGetcap ? { fileCapabilities: '' } : {}), modesProbed: true },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseExecModesReply', () => {
  const paths = ['/usr/bin/ping', '/usr/bin/sudo', '/gone', '/usr/bin/env'];
  it('parses modes (hex st_mode), caps (both getcap formats), unknown caps and the interpreter', () => {
    const script = Buffer.from('#!/usr/bin/python3 -u\nprint(1)\n').toString('base64');
    const reply = [
      'noise from a login script',
      `${MARKER}\t0\t81ed\tk\tcap_net_raw=ep\t`,
      `${MARKER}\t1\t89ed\tk\t\t${script}`,
      `${MARKER}\t2\t-\tu\t\t`,
      `${MARKER}\t3\t81ed\tu\t\t`,
      `${MARKER}\t9\t81ed\tk\t\t`, // index out of range: ignored
      `${MARKER}\tx\tzz\tk\t\t`, // malformed: ignored
      `${MARKER}\t3\t81ed\tu\t\t$(x)`, // not base64: ignored
      '',
    ].join('\n');
    expect(parseExecModesReply(reply, paths, MARKER)).toEqual([
      { path: '/usr/bin/ping', mode: 0o100755, fileCapabilities: 'cap_net_raw=ep', modesProbed: true },
      {
        path: '/usr/bin/sudo',
        mode: 0o104755,
        fileCapabilities: '',
        interpreter: '/usr/bin/python3',
        modesProbed: true,
      },
      { path: '/usr/bin/env', mode: 0o100755, modesProbed: true },
    ]);
  });
});

describe('mergeExecModes', () => {
  it('fills only missing fields of existing entries and marks new ones executedOnly', () => {
    const binaries: ExecBinary[] = [
      { path: '/usr/bin/a', sha256: 'aa', package: 'a', packageVersion: '1' },
      { path: '/usr/bin/b', mode: 0o100700, fileCapabilities: 'cap_x=ep' },
    ];
    const probed: ExecBinary[] = [
      { path: '/usr/bin/c', mode: 0o100755, fileCapabilities: '' },
      { path: '/usr/bin/a', mode: 0o100755, fileCapabilities: '' },
      { path: '/usr/bin/b', mode: 0o104755, fileCapabilities: '' },
    ];
    expect(mergeExecModes(binaries, probed)).toEqual([
      {
        path: '/usr/bin/a',
        sha256: 'aa',
        package: 'a',
        packageVersion: '1',
        mode: 0o100755,
        fileCapabilities: '',
      },
      { path: '/usr/bin/b', mode: 0o100700, fileCapabilities: 'cap_x=ep' },
      { path: '/usr/bin/c', mode: 0o100755, fileCapabilities: '', executedOnly: true },
    ]);
  });

  it('leaves the re-profile fingerprint as the Exec binaries alone make it', () => {
    const facts = facts257();
    const merged = {
      ...facts,
      binaries: mergeExecModes(facts.binaries, [{ path: '/usr/bin/helper', mode: 0o100755 }]),
    };
    expect(fingerprint(merged).digest).toBe(fingerprint(facts).digest);
  });
});

describe('NoNewPrivileges with the probed modes', () => {
  const helper = act.path('exec', '/usr/lib/app/helper', 'execve');
  const nonRoot = (binaries: ExecBinary[]) => {
    const f = facts257();
    return {
      ...f,
      unit: { name: 'app.service', properties: { User: 'app' }, dropIns: [] },
      binaries: mergeExecModes(f.binaries, binaries),
    };
  };

  it('is unproven without the helper, then proven once its mode and caps are known', () => {
    const profile = profileOf([helper]);
    expect(rejected(resolve(profile, nonRoot([]), {}), 'NoNewPrivileges')!.why).toMatch(/unknown/);
    const known = nonRoot([{ path: '/usr/lib/app/helper', mode: 0o100755, fileCapabilities: '' }]);
    expect(chosen(resolve(profile, known, {}), 'NoNewPrivileges')).toBe('yes');
  });

  it('stays off for a non-root unit when getcap was missing, and for a setuid helper', () => {
    const profile = profileOf([helper]);
    const noCaps = nonRoot([{ path: '/usr/lib/app/helper', mode: 0o100755 }]);
    expect(rejected(resolve(profile, noCaps, {}), 'NoNewPrivileges')!.why).toMatch(
      /capabilities are unknown/,
    );
    const setuid = nonRoot([{ path: '/usr/lib/app/helper', mode: 0o104755, fileCapabilities: '' }]);
    expect(rejected(resolve(profile, setuid, {}), 'NoNewPrivileges')!.why).toMatch(/setuid/);
  });
});

describe('withExecModes on this machine (LocalShell, real files)', () => {
  it('follows a script to its #! program and that to its loader, one round per level', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hush-interp-'));
    try {
      const script = path.join(dir, 'tool');
      writeFileSync(script, '#!/bin/sh\necho hi\n');
      chmodSync(script, 0o755);
      const commands: string[] = [];
      const local = new LocalShell();
      const counting: HostExec = {
        target: 'local',
        exec: (cmd, opts) => {
          commands.push(cmd.text);
          return local.exec(cmd, opts);
        },
      };
      const facts = await withExecModes(counting, profileOf([act.path('exec', script, 'execve')]), {
        ...facts257(),
        binaries: [],
      });
      const byPath = new Map(facts.binaries!.map((b) => [b.path, b]));
      const sh = byPath.get('/bin/sh')!;
      expect(byPath.get(script)).toMatchObject({ interpreter: '/bin/sh' });
      expect(sh.interpreter).toMatch(/ld-linux/);
      expect(byPath.get(sh.interpreter!)).toMatchObject({ interpreter: '' });
      // /usr/bin/app (profileOf's own exec) and the script, then /bin/sh, then the loader.
      expect(commands).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads no head from what is not a regular file (a FIFO would block)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hush-fifo-'));
    try {
      const fifo = path.join(dir, 'fifo');
      spawnSync('mkfifo', [fifo]);
      const facts = await withExecModes(
        new LocalShell(),
        profileOf([act.path('exec', fifo, 'execve')]),
        facts257(),
        {
          timeoutMs: 10_000,
        },
      );
      const entry = facts.binaries!.find((b) => b.path === fifo)!;
      expect(entry.mode! & 0o170000).toBe(0o010000); // S_IFIFO: stat'ed, never opened
      expect(entry.interpreter).toBeUndefined();
      // read once, unknown for good: a second pass over the same facts asks the host nothing
      const asked: string[] = [];
      const counting: HostExec = {
        target: 'local',
        exec: (cmd) => {
          asked.push(cmd.text);
          return Promise.resolve({ code: 1, stdout: '', stderr: 'not asked' });
        },
      };
      const again = await withExecModes(counting, profileOf([act.path('exec', fifo, 'execve')]), facts);
      expect(asked).toEqual([]);
      expect(again).toBe(facts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('withExecModesOrUnknown', () => {
  // The real local shell runs the probe; a host whose every command fails stands in for a broken one.
  const failing: HostExec = {
    target: 'local',
    exec: () => Promise.resolve({ code: 1, stdout: '', stderr: 'boom' }),
  };

  it('merges the probed modes, and on a failed probe keeps the facts and says why', async () => {
    const profile = profileOf([act.path('exec', '/bin/sh', 'execve')]);
    const facts = facts257();
    const warnings: string[] = [];
    const probed = await withExecModesOrUnknown(new LocalShell(), profile, facts, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(probed.binaries.find((b) => b.path === '/bin/sh')).toMatchObject({ executedOnly: true });
    expect(probed.binaries.find((b) => b.path === '/bin/sh')!.mode).toEqual(expect.any(Number));
    // /bin/sh is a dynamic ELF: its loader's entry holds what the host says (a static ELF: '').
    const loader = probed.binaries.find((b) => b.path === '/bin/sh')!.interpreter!;
    expect(loader).toMatch(/^\/.*ld-linux/);
    expect(probed.binaries.find((b) => b.path === loader)).toMatchObject({ interpreter: '' });

    const kept = await withExecModesOrUnknown(failing, profile, facts, (m) => warnings.push(m));
    expect(kept).toBe(facts);
    expect(warnings).toEqual([
      'file mode probe failed (NoNewPrivileges stays unproven): probing file modes failed on local (exit 1): boom',
    ]);
  });
});
