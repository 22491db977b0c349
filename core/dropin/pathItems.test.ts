import type { Plan } from '../resolve/plan';
import { nameablePath, printableText, unnameablePath } from '../systemd/paths';
import { normalizeDropIn, parseDropIn, renderDropIn } from './index';
import { readBindMounts, readPathItems, writePathItem, type PathGrammar } from './pathItems';
import { DropInSyntaxError, extractWords } from './quote';

const plan = (chosen: Plan['chosen']): Plan => ({
  mode: 'aggressive',
  profileDigest: 'ab',
  systemdVersion: 252,
  chosen,
  rejected: [],
});
const dropIn = (option: string, value: string | string[]): string =>
  renderDropIn(plan([{ option, value, reasons: [] }]), { version: '0' });
const line = (option: string, value: string | string[]): string =>
  dropIn(option, value)
    .split('\n')
    .filter((l) => l.startsWith(`${option}=`))
    .join('\n');

describe('path items are written for their setting’s grammar', () => {
  it('quotes a `:` in bind paths, so the service cannot choose a mount destination (the issue cases)', () => {
    expect(line('BindReadOnlyPaths', ['-/srv/x/a:/etc/shadow'])).toBe(
      'BindReadOnlyPaths="-/srv/x/a:/etc/shadow"',
    );
    expect(line('BindPaths', ['-/srv/x/b:/usr/bin'])).toBe('BindPaths="-/srv/x/b:/usr/bin"');
    // unquoted (as hush used to write it) systemd reads a destination; quoted, one source only
    expect(readBindMounts('-/srv/x/a:/etc/shadow')).toEqual([
      { source: '-/srv/x/a', destination: '/etc/shadow' },
    ]);
    expect(readBindMounts('"-/srv/x/a:/etc/shadow" /b:/c:norbind')).toEqual([
      { source: '-/srv/x/a:/etc/shadow' },
      { source: '/b', destination: '/c', options: 'norbind' },
    ]);
    // systemd reads one source, no destination
    expect(readPathItems('bind', '"-/srv/x/a:/etc/shadow" /plain')).toEqual([
      '-/srv/x/a:/etc/shadow',
      '/plain',
    ]);
    expect(readPathItems('bind', '-/srv/x/a:/etc/shadow')).toEqual(['-/srv/x/a:/etc/shadow']);
    expect(normalizeDropIn(dropIn('BindPaths', ['-/srv/x/b:/usr/bin'])).Service?.BindPaths).toEqual([
      '-/srv/x/b:/usr/bin',
    ]);
  });

  it('quotes device paths, so `sd"a"` is not read as /dev/sda', () => {
    expect(line('DeviceAllow', ['/dev/sd"a" w', 'char-rtc r'])).toBe(
      'DeviceAllow="/dev/sd\\"a\\"" w\nDeviceAllow=char-rtc r',
    );
    expect(readPathItems('device', '"/dev/sd\\"a\\"" w')).toEqual(['/dev/sd"a" w']);
    expect(readPathItems('device', '/dev/sd"a" w')).toEqual(['/dev/sda w']);
  });

  it('doubles % (specifiers expand after unquoting) and protects quotes and backslashes', () => {
    expect(line('ReadWritePaths', ['-/srv/100%', '/srv/%n', "/it's", '/a\\b', '/a b'])).toBe(
      'ReadWritePaths=-/srv/100%% /srv/%%n "/it\'s" "/a\\\\b" "/a b"',
    );
  });

  it('refuses what no grammar can hold, and never takes \\x escapes as C escapes when reading', () => {
    for (const bad of ['/a\tb', '/a\nb', '/a\rb', '/caf\udce9', '/x/../y', '/a\u009bb', '/a\ufffeb', 'rel'])
      expect(() => writePathItem('namespace', bad)).toThrow(DropInSyntaxError);
    expect(() => writePathItem('tmpfs', '/a:b:ro')).toThrow(DropInSyntaxError);
    expect(() => writePathItem('device', '/dev/x rwq')).not.toThrow(); // ` rwq` is not rights: part of the path
    expect(readPathItems('namespace', '/e\\x20f')).toEqual(['/ex20f']);
    expect(extractWords('/e\\x20f', { unquote: true, cunescape: true })).toEqual(['/e f']);
  });

  it('round-trips random nameable paths through every grammar (what systemd reads = the item)', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '"',
      "'",
      '\\',
      ':',
      '%',
      '-',
      '+',
      '=',
      '#',
      ';',
      '$',
      '~',
      'é',
      '→',
      '😀',
      '.',
    ];
    const grammars: PathGrammar[] = ['namespace', 'bind', 'device'];
    for (let i = 0; i < 2000; i++) {
      const parts = Array.from({ length: 1 + rand(3) }, () =>
        Array.from({ length: 1 + rand(6) }, () => alphabet[rand(alphabet.length)]!).join(''),
      );
      const path = (i % 3 === 2 ? '/dev/' : '/') + parts.join('/');
      if (unnameablePath(path) !== undefined) continue;
      for (const g of grammars) {
        const item = g === 'device' ? `${path} rw` : g === 'bind' ? `-${path}` : `-+${path}`;
        if (g === 'device' && !path.startsWith('/dev/')) continue;
        const written = writePathItem(g, item);
        expect(readPathItems(g, written)).toEqual([item]);
        // and inside a whole drop-in, next to another item
        const option = g === 'namespace' ? 'ReadWritePaths' : g === 'bind' ? 'BindPaths' : 'DeviceAllow';
        const parsed = parseDropIn(dropIn(option, g === 'device' ? [item] : [item, '/other']));
        const values = parsed.assignments.flatMap((a) => readPathItems(g, a.value));
        expect(values[0]).toBe(item);
      }
    }
  });
});

describe('folding what systemd cannot be told', () => {
  it('names the nearest nameable ancestor and why', () => {
    expect(nameablePath('/srv/data/caf\udce9/x')).toEqual({
      path: '/srv/data',
      why: 'has bytes that are not UTF-8',
    });
    expect(nameablePath('/srv/a\tb')).toEqual({ path: '/srv', why: 'has a control character' });
    expect(nameablePath('/ok/path')).toEqual({ path: '/ok/path' });
    expect(nameablePath('/\n')).toEqual({ path: '/', why: 'has a control character' });
  });

  it('escapes what it shows people, so a reason cannot end a comment line', () => {
    expect(printableText('/a\rExecStartPre=/bin/sh\n\u001b[2J\udcff\u2028')).toBe(
      '/a\\x0dExecStartPre=/bin/sh\\x0a\\x1b[2J\\xff\\u2028',
    );
    const text = renderDropIn(
      plan([
        { option: 'ProtectSystem', value: 'strict', reasons: ['write /srv/a\rExecStartPre=/bin/evil\u0000'] },
      ]),
      { version: '0', explain: true },
    );
    expect(parseDropIn(text.replace(/\r/g, '\n')).assignments.map((a) => a.option)).toEqual([
      'ProtectSystem',
    ]);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});
