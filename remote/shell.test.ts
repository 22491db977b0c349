import { execFileSync } from 'node:child_process';
import {
  and,
  argv,
  asRoot,
  childEnv,
  framedStdin,
  readFramedInto,
  seq,
  sh,
  shQuote,
  ShellCommand,
  trustedScript,
  userScriptFromStdin,
  userShellCommand,
} from './shell';

/** Runs a command line through the real /bin/sh and returns what it printed. */
function runSh(cmd: ShellCommand | string): string {
  return execFileSync('/bin/sh', ['-c', typeof cmd === 'string' ? cmd : cmd.text], { encoding: 'utf8' });
}

const HOSTILE = [
  "it's",
  "'",
  "''",
  '"',
  '$(id)',
  '`id`',
  '${HOME}',
  '; reboot',
  '&& rm -rf /',
  'a\nb',
  '\\',
  "\\'",
  ' leading and trailing ',
  '*',
  '~',
  '-n',
  '',
  'ü ñ 🙂',
  '\t',
  '!',
  '#comment',
];

describe('shQuote', () => {
  it.each(HOSTILE)('round-trips %j through /bin/sh unchanged', (word) => {
    expect(runSh(`printf '%s' ${shQuote(word)}`)).toBe(word);
  });

  it('leaves plain words readable', () => {
    expect(shQuote('nginx.service')).toBe('nginx.service');
    expect(shQuote('/etc/systemd/system/a@b.service.d')).toBe('/etc/systemd/system/a@b.service.d');
    expect(shQuote(42)).toBe('42');
  });

  it('quotes the empty string as a word', () => {
    expect(shQuote('')).toBe("''");
  });

  it('rejects NUL', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('command builders', () => {
  it('argv keeps every word one argument', () => {
    const cmd = argv(['printf', '%s|', ...HOSTILE]);
    expect(runSh(cmd)).toBe(HOSTILE.map((w) => `${w}|`).join(''));
  });

  it('sh quotes interpolated strings and spreads arrays', () => {
    const unit = 'x; echo pwned';
    const cmd = sh`printf '%s|' ${unit} ${['a b', '$(id)']}`;
    expect(runSh(cmd)).toBe('x; echo pwned|a b|$(id)|');
  });

  it('sh inserts nested ShellCommands as they are', () => {
    const inner = argv(['printf', '%s', 'a b']);
    expect(runSh(sh`${inner}; printf '|'; ${inner}`)).toBe('a b|a b');
  });

  it('a ShellCommand-looking string is still quoted', () => {
    // Only real ShellCommand objects bypass quoting, never strings.
    expect(runSh(sh`printf %s ${'$(echo hi)'}`)).toBe('$(echo hi)');
  });

  it('seq and and join commands', () => {
    expect(runSh(seq(argv(['printf', 'a']), argv(['false']), argv(['printf', 'b'])))).toBe('ab');
    expect(() => runSh(and(argv(['printf', 'a']), argv(['false']), argv(['printf', 'b'])))).toThrow();
  });

  it('userShellCommand runs user text in a shell of its own', () => {
    const health = 'printf ok; exit 0';
    expect(runSh(sh`${userShellCommand(health)} && printf ' after'`)).toBe('ok after');
    // A quote in the user command cannot close the wrapper.
    expect(runSh(userShellCommand(`printf '%s' "it's fine"`))).toBe("it's fine");
  });

  it('asRoot wraps in sh -c (or sudo -n -- sh -c) and survives nesting', () => {
    const cmd = sh`printf '%s' ${"a'b $(c)"}`;
    expect(asRoot(cmd, false).text).toBe(`sh -c ${shQuote(cmd.text)}`);
    expect(asRoot(cmd, true).text.startsWith('sudo -n -- sh -c ')).toBe(true);
    expect(runSh(asRoot(asRoot(cmd, false), false))).toBe("a'b $(c)");
  });

  it('trustedScript keeps the text', () => {
    expect(trustedScript('echo $HOME').text).toBe('echo $HOME');
    expect(() => trustedScript('a\0')).toThrow(/NUL/);
  });

  it('argv refuses an empty command', () => {
    expect(() => argv([])).toThrow();
  });
});

describe('user scripts and secrets travel on stdin, never in an argv', () => {
  const runWithStdin = (cmd: ShellCommand, input: Buffer | string): string =>
    execFileSync('/bin/sh', ['-c', cmd.text], { input, encoding: 'utf8' });

  it('userScriptFromStdin runs the script it reads, with its exit status; its argv holds no user text', () => {
    const script = `printf '%s' "token=s3cret $(echo ok)"\nexit 0\n`;
    expect(userScriptFromStdin().text).not.toContain('s3cret');
    expect(runWithStdin(userScriptFromStdin(), script)).toBe('token=s3cret ok');
    let status: number | undefined;
    try {
      runWithStdin(userScriptFromStdin(), 'exit 3');
    } catch (err) {
      status = (err as { status?: number }).status;
    }
    expect(status).toBe(3);
  });

  it('framedStdin parts are read exactly, leaving the rest of stdin for the next reader', () => {
    for (const health of ['curl -fsS -H "Authorization: Bearer x" http://l/\n', '', 'ü\n'.repeat(5000)]) {
      const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
      const cmd = sh`d=${dir}; ${readFramedInto(trustedScript('"$d/health"'))}; cat >"$d/rest"; [ -e "$d/health" ] && cat "$d/health"; printf '@@'; cat "$d/rest"; rm -rf -- "$d"`;
      const out = runWithStdin(cmd, Buffer.concat([framedStdin([health]), Buffer.from('[Service]\nX=1\n')]));
      expect(out).toBe(`${health}@@[Service]\nX=1\n`);
    }
  });

  it('childEnv keeps the environment but hush’s and Pulumi’s credentials', () => {
    expect(
      childEnv({
        PATH: '/bin',
        HUSH_SSH_PASSWORD: 'pw',
        HUSH_SSH_KEY_PASSPHRASE: 'pp',
        PULUMI_CONFIG_PASSPHRASE: 'x',
        PULUMI_ACCESS_TOKEN: 't',
        HUSH_OTHER: 'kept',
      }),
    ).toEqual({ PATH: '/bin', HUSH_OTHER: 'kept' });
  });
});
