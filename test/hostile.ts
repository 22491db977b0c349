/**
 * The hostile programs of issue 12, one source for both places they run: under `hush run` on
 * this machine (cli/commands/hostile.test.ts) and as a systemd service profiled and hardened by
 * `hush apply` on a test host (the VM case of issue 12). Each is a Python 3 program (the
 * test images have python3: the hush-testsvc units run on it) that does, tries or names what must
 * not widen its own sandbox: a `:` that would make a bind mount destination, failed creates whose
 * `..` climbs out of a directory that does not exist, a successful `..` through a symlink the
 * program planted, names with control characters, `%`, quotes and bytes that are not UTF-8.
 */

export interface HostileProgram {
  /** File name the program is written under. */
  file: string;
  /** What its one argument is (none: it takes none). */
  arg?: 'base' | 'names' | 'game';
  source: string;
}

/**
 * The directories the names program writes a file `f` into, as Python bytes literals: each one is
 * a name a unit file cannot hold as it is (tab, newline, a CR followed by an assignment, bytes
 * that are not UTF-8) or holds only when written per its grammar (`%`, quotes).
 */
const NAMES = String.raw`[b'bad/tab\there', b'bad/new\nline', b'bad/cr\rExecStartPre=/bin/sh -c id', b'good/100%n', b'good/q"uote\'s', b'bad/caf\xe9', b'bad/\xff\xfe']`;

/** Reads `BASE/x/a:/etc/shadow` and writes into `BASE/x/b:/usr/bin/` (argument: BASE). */
export const COLON: HostileProgram = {
  file: 'colon.py',
  arg: 'base',
  source: `import sys
base = sys.argv[1]
open(base + '/x/a:/etc/shadow').read()
with open(base + '/x/b:/usr/bin/tool', 'w') as f: f.write('x')
`,
};

/** Creates that fail with ENOENT, whose text `..` would name /etc/cron.d and /dev/sda. */
export const DOTDOT: HostileProgram = {
  file: 'dotdot.py',
  source: `import os
for p in ['/nonexistent/../etc/cron.d/x', '/dev/nonexistent/../sd"a"', '/dev/nonexistent/../sda']:
    try: os.open(p, os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError as e: print(p, e.strerror)
`,
};

/**
 * A successful mkdir through a symlink the program planted: the kernel climbs from the link's
 * target back into GAME (GAME/etc/cron.d); read as text, link/.. climbs GAME's own components up to
 * / and names /etc/cron.d. GAME must be three components deep (/a/b/game).
 */
export const SYMLINK_GAME: HostileProgram = {
  file: 'symlink.py',
  arg: 'game',
  source: `import os, sys
g = sys.argv[1]
os.makedirs(g + '/deep/a/b/c', exist_ok=True)
os.makedirs(g + '/etc/cron.d', exist_ok=True)
if not os.path.lexists(g + '/link'): os.symlink(g + '/deep/a/b/c', g + '/link')
depth = g.count('/')
assert depth + 1 == 4, depth
os.mkdir(g + '/link' + '/..' * (depth + 1) + '/etc/cron.d/evil-' + str(os.getpid()))
`,
};

/** Writes a file into each of NAMES under its argument (BASE/names, made by HOSTILE_TREE). */
export const NAMES_PROGRAM: HostileProgram = {
  file: 'names.py',
  arg: 'names',
  source: `import os, sys
d = os.fsencode(sys.argv[1])
for name in ${NAMES}:
    with open(d + b'/' + name + b'/f', 'wb') as f: f.write(b'x')
`,
};

export const HOSTILE_PROGRAMS: readonly HostileProgram[] = [COLON, DOTDOT, SYMLINK_GAME, NAMES_PROGRAM];

/**
 * Python: makes what the programs use under BASE (its argument) — `x/a:/etc/shadow` (a file),
 * `x/b:/usr/bin/` and the NAMES directories under `names/` — so that the programs themselves only
 * read and write (a create of their own would need the parent writable anyway).
 */
export const HOSTILE_TREE = `import os, sys
b = os.fsencode(sys.argv[1])
os.makedirs(b + b'/x/a:/etc', exist_ok=True)
with open(b + b'/x/a:/etc/shadow', 'w') as f: f.write('not the real one\\n')
os.makedirs(b + b'/x/b:/usr/bin', exist_ok=True)
for name in ${NAMES}:
    os.makedirs(b + b'/names/' + name, exist_ok=True)
`;

/** Where each program's argument lives, for a tree made under BASE and a game directory. */
export function hostileArg(p: HostileProgram, base: string, game: string): string[] {
  if (p.arg === 'base') return [base];
  if (p.arg === 'names') return [`${base}/names`];
  if (p.arg === 'game') return [game];
  return [];
}

/**
 * Python: the programs as one service. Runs each program of HOSTILE_PROGRAMS (written in PROGS) in
 * turn, prints `hostile FILE ok|errno N|raised NAME` for each (no error text: a service's own
 * "Read-only file system" would read as a sandbox denial to the apply verification, and what the
 * hardened service could still do is asserted from these lines), then, as a Type=notify service,
 * reports READY and waits; without NOTIFY_SOCKET it exits. Arguments: PROGS BASE GAME.
 */
export const HOSTILE_SERVICE = `import os, runpy, signal, socket, sys
progs, base, game = sys.argv[1:4]
args = {'base': [base], 'names': [base + '/names'], 'game': [game]}
for file, arg in ${JSON.stringify(HOSTILE_PROGRAMS.map((p) => [p.file, p.arg ?? '']))}:
    sys.argv = [file] + args.get(arg, [])
    try:
        runpy.run_path(os.path.join(progs, file), run_name='__main__')
        print('hostile', file, 'ok', flush=True)
    except OSError as e:
        print('hostile', file, 'errno', e.errno, flush=True)
    except Exception as e:
        print('hostile', file, 'raised', type(e).__name__, flush=True)
n = os.environ.get('NOTIFY_SOCKET')
if n:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect('\\0' + n[1:] if n.startswith('@') else n)
    s.send(b'READY=1')
    while True: signal.pause()
`;

/** The paths the hostile service aims at: a mount over /etc/shadow or /usr/bin, write access to
 * /etc/cron.d, the disk /dev/sda, or one of their top directories. */
export function namesHostileTarget(path: string): boolean {
  if (['/etc', '/usr', '/dev', '/'].includes(path) || path.startsWith('/dev/sd')) return true;
  return ['/etc/shadow', '/usr/bin', '/etc/cron.d'].some((t) => path === t || path.startsWith(`${t}/`));
}

/**
 * The hostile targets among path settings' items as systemd reads them (option → items, in the
 * shape of test/e2e/dropinFuzz.ts systemdItems: namespace items as strings with their `-`/`+`
 * prefixes, bind items [source, destination, ignore-missing], device and tmpfs items [path, …]),
 * as `OPTION PATH` lines; empty when the service named none of them into its sandbox.
 */
export function hostileTargets(reading: Readonly<Record<string, readonly unknown[]>>): string[] {
  return Object.entries(reading).flatMap(([option, items]) =>
    items
      .flatMap((item) =>
        option === 'BindPaths' || option === 'BindReadOnlyPaths'
          ? (item as string[]).slice(0, 2)
          : typeof item === 'string'
            ? [item.replace(/^-?\+?/, '')]
            : [(item as string[])[0] as string],
      )
      .filter(namesHostileTarget)
      .map((path) => `${option} ${path}`),
  );
}
