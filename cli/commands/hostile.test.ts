/**
 * Hostile programs under `hush run` on this machine (real strace): what a traced program does,
 * tries or names must not widen its own sandbox or inject into the drop-in. Each case runs the
 * issue's attack for real and reads the printed drop-in back the way systemd's parsers do
 * (core/dropin, ported from load-fragment.c). The programs are test/hostile.ts; the same ones run
 * as a service that `hush apply` profiles and hardens on a test host, where what systemd itself
 * reads back is asserted (the VM case of issue 12).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseDropIn, readBindMounts, readPathItems, splitPathItem } from '../../core/dropin';
import type { Plan } from '../../core/resolve/plan';
import { main } from '../main';
import {
  COLON,
  DOTDOT,
  HOSTILE_TREE,
  hostileArg,
  NAMES_PROGRAM,
  SYMLINK_GAME,
  type HostileProgram,
} from '../../test/hostile';

jest.setTimeout(180_000);

interface Run {
  code: number;
  dropIn: string;
  stderr: string;
  /** Every path item of every path setting, as systemd reads it: option → items. */
  items: Map<string, string[]>;
  plan: Plan;
}

const GRAMMAR = {
  ReadWritePaths: 'namespace',
  ReadOnlyPaths: 'namespace',
  InaccessiblePaths: 'namespace',
  ExecPaths: 'namespace',
  NoExecPaths: 'namespace',
  BindPaths: 'bind',
  BindReadOnlyPaths: 'bind',
  TemporaryFileSystem: 'tmpfs',
  DeviceAllow: 'device',
} as const;

async function hushRun(cmd: string[], env: Record<string, string> = {}, flags: string[] = []): Promise<Run> {
  const io = () => {
    const s = new PassThrough();
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    return { s, text: () => Buffer.concat(chunks).toString() };
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const out = io();
    const err = io();
    const code = await main(['run', '--mode', 'aggressive', ...flags, '--', ...cmd], {
      stdin: new PassThrough(),
      stdout: out.s,
      stderr: err.s,
    });
    const json = io();
    await main(['run', '--json', '--mode', 'aggressive', ...flags, '--', ...cmd], {
      stdin: new PassThrough(),
      stdout: json.s,
      stderr: new PassThrough(),
    });
    const dropIn = out.text();
    const items = new Map<string, string[]>();
    for (const a of parseDropIn(dropIn).assignments) {
      const g = GRAMMAR[a.option as keyof typeof GRAMMAR];
      if (!g || a.value === '') continue;
      items.set(a.option, [...(items.get(a.option) ?? []), ...readPathItems(g, a.value)]);
    }
    return {
      code,
      dropIn,
      stderr: err.text(),
      items,
      plan: (JSON.parse(json.text()) as { plan: Plan }).plan,
    };
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** The paths a setting's items name (prefixes, rights and tmpfs options stripped). */
function pathsOf(r: Run, option: keyof typeof GRAMMAR): string[] {
  return (r.items.get(option) ?? []).map((i) => splitPathItem(GRAMMAR[option], i).path);
}

let dir: string;
let srv: string;

beforeAll(() => {
  execFileSync('strace', ['-V'], { stdio: 'ignore' });
  dir = mkdtempSync(join(tmpdir(), 'hush-hostile-'));
  // under /srv, which aggressive mode hides behind an empty tmpfs with bind mounts of what is used
  srv = mkdtempSync('/srv/hush-hostile-');
  execFileSync('python3', ['-c', HOSTILE_TREE, srv]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(srv, { recursive: true, force: true });
});

/** The argv that runs program `p` (written into the scratch directory) on this machine's tree. */
const py = (p: HostileProgram): string[] => {
  const file = join(dir, p.file);
  writeFileSync(file, p.source);
  return ['python3', file, ...hostileArg(p, srv, join(dir, 'game'))];
};

describe('hostile programs under hush run', () => {
  it('a ":" in a used path never becomes a bind mount destination (/etc/shadow, /usr/bin)', async () => {
    const r = await hushRun(py(COLON));
    expect(r.code).toBe(0);
    const ro = pathsOf(r, 'BindReadOnlyPaths');
    const rw = pathsOf(r, 'BindPaths');
    expect(ro).toContain(`${srv}/x/a:/etc/shadow`);
    expect(rw).toContain(`${srv}/x/b:/usr/bin`);
    // one source each, the destination being the source itself: nothing at /etc/shadow or /usr/bin
    for (const p of [...ro, ...rw]) expect(['/etc/shadow', '/usr/bin', '/etc', '/usr']).not.toContain(p);
    for (const a of parseDropIn(r.dropIn).assignments.filter((x) => x.option.startsWith('Bind')))
      for (const mount of readBindMounts(a.value)) expect(mount.destination).toBeUndefined();
    expect(r.dropIn).toContain(`"-${srv}/x/a:/etc/shadow"`);
  });

  it('failed creates through /nonexistent/.. widen nothing: no /etc/cron.d, no /dev/sda', async () => {
    const r = await hushRun(py(DOTDOT));
    expect(r.code).toBe(0);
    expect(pathsOf(r, 'ReadWritePaths').filter((p) => p.startsWith('/etc'))).toEqual([]);
    expect(pathsOf(r, 'DeviceAllow').filter((p) => p.includes('sd'))).toEqual([]);
    expect(r.dropIn).not.toMatch(/cron\.d|\/dev\/sd/);
  });

  it('a symlink .. game (successful, through a link the program planted) gives no access outside', async () => {
    const r = await hushRun(py(SYMLINK_GAME));
    expect(r.code).toBe(0);
    expect(r.dropIn).not.toMatch(/cron\.d/);
    expect(r.plan.notes?.join(' ')).toMatch(/successful access(es)? through unresolvable paths ignored/);
  });

  it('names with tab, newline, CR, %, quotes and non-UTF-8 bytes never block the drop-in or inject a line', async () => {
    // HOSTILE_TREE made the directories; the program creates a file in each (which needs it)
    const target = join(srv, 'names');
    const r = await hushRun(py(NAMES_PROGRAM), {}, ['--threshold', '50']);
    expect(r.code).toBe(0);
    const parsed = parseDropIn(r.dropIn);
    // systemd reads every line we wrote as a comment, a section or an assignment: nothing ignored,
    // and no assignment but hardening ones (no ExecStartPre riding in on a CR)
    expect(parsed.ignored).toEqual([]);
    expect(parsed.assignments.map((a) => a.option)).not.toContain('ExecStartPre');
    // eslint-disable-next-line no-control-regex
    expect(r.dropIn).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const binds = pathsOf(r, 'BindPaths');
    // writable names a unit file can hold are bound as they are (% read back as %); the others
    // through their nearest nameable parent (bad/), with the reason in the plan
    expect(binds.filter((b) => b.startsWith(target)).sort()).toEqual(
      [`${target}/bad`, `${target}/good/100%n`, `${target}/good/q"uote's`].sort(),
    );
    expect(r.plan.chosen.find((d) => d.option === 'BindPaths')!.reasons.join(' ')).toMatch(
      /bad for .*bad\/caf\\xe9\/f, which has bytes that are not UTF-8/,
    );
  });

  it('the traced program does not inherit hush’s credentials', async () => {
    const out = join(dir, 'env.txt');
    const r = await hushRun(
      [
        'sh',
        '-c',
        `printf '%s|%s' "\${HUSH_SSH_PASSWORD-unset}" "\${HUSH_SSH_KEY_PASSPHRASE-unset}" > ${out}`,
      ],
      {
        HUSH_SSH_PASSWORD: 'pw-should-not-leak',
        HUSH_SSH_KEY_PASSPHRASE: 'pp-should-not-leak',
      },
    );
    expect(r.code).toBe(0);
    expect(execFileSync('cat', [out], { encoding: 'utf8' })).toBe('unset|unset');
  });
});
