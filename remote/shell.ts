/**
 * The one place remote command lines are built. Every value that is not a literal written in
 * hush's own source goes through `shQuote` (POSIX `sh` single quotes), so user text (unit names,
 * paths, health commands, file contents) can never be interpreted by the remote shell.
 *
 * A command is a `ShellCommand` object that only these builders produce, so `Connection.exec`
 * cannot be handed a string concatenated by hand.
 *
 *   sh`systemctl show -- ${unit}`             // interpolations are quoted
 *   sh`cat -- ${paths}`                       // arrays become several quoted words
 *   argv(['systemctl', 'restart', unit])      // an argv array as one command
 *   sh`${cmdA} && ${cmdB}`                    // ShellCommands nest unquoted (they are already safe)
 *   trustedScript(PROBE_SCRIPT)               // a constant script from hush's source, never user text
 */

/**
 * A command line that is safe to hand to `sh -c`. Construct it only through the builders below;
 * the class (rather than a string) is what lets `sh` tell a nested command from user text.
 */
export class ShellCommand {
  /** @internal use sh, argv, trustedScript or userShellCommand */
  constructor(readonly text: string) {
    if (text.includes('\0')) throw new Error('shell command contains a NUL byte');
  }
  toString(): string {
    return this.text;
  }
}

/** Words that need no quoting: keeps logged commands readable. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for POSIX sh: `'…'`, with each `'` written as `'\''`. NUL cannot be passed in
 * an argv or a shell script at all, so it is rejected instead of silently truncating the word.
 */
export function shQuote(word: string | number): string {
  const s = String(word);
  if (s.includes('\0')) throw new Error('shell word contains a NUL byte');
  if (s.length > 0 && SAFE_WORD.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An argv array as one command line, each word quoted. */
export function argv(words: readonly (string | number)[]): ShellCommand {
  if (words.length === 0) throw new Error('empty argv');
  return new ShellCommand(words.map(shQuote).join(' '));
}

export type ShellValue = string | number | ShellCommand | readonly (string | number)[];

/**
 * Tagged template: literal parts are hush's own text and kept as written; each interpolated
 * string or number is quoted as one word, an array as several words, and a ShellCommand built
 * here is inserted as is.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): ShellCommand {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (Array.isArray(v)) out += (v as readonly (string | number)[]).map(shQuote).join(' ');
    else if (v instanceof ShellCommand) out += v.text;
    else out += shQuote(v as string | number);
    out += strings[i + 1] ?? '';
  });
  return new ShellCommand(out);
}

/**
 * Marks a constant script from hush's own source as a ShellCommand. Never pass user-supplied
 * text: use `sh` or `argv` for anything that varies.
 */
export function trustedScript(script: string): ShellCommand {
  return new ShellCommand(script);
}

/**
 * A user-supplied shell command (e.g. `--health 'curl -fsS localhost'`) that is meant to be run
 * by a shell: it becomes `sh -c '<text>'`, so it is parsed by a shell of its own and cannot
 * break out of the command around it.
 */
export function userShellCommand(text: string): ShellCommand {
  return argv(['sh', '-c', text]);
}

/**
 * A user-supplied script that arrives on stdin instead of in an argv: `sh -c 'eval "$(cat)"'`.
 * What a command line holds is visible to every local user (`ps`, /proc/PID/cmdline) and logged
 * by sudo; a health check or workload may carry a token. Send the script as the stdin of this
 * command; it then runs with stdin at end of file.
 */
export function userScriptFromStdin(): ShellCommand {
  return argv(['sh', '-c', 'eval "$(cat)"']);
}

/**
 * Several texts on one stdin, each as `<byte length>\n<bytes>`, read on the host in order with
 * `readFramedInto` (a remote script's argv would show them to every user): the rest of stdin
 * stays for a final `cat`.
 */
export function framedStdin(parts: readonly string[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => [Buffer.from(`${Buffer.byteLength(p)}\n`), Buffer.from(p)]));
}

/**
 * Shell lines reading one `framedStdin` part into `file` (a shell expression such as
 * `"$st/health"`, from hush's source), or nothing when it is empty. `read` and `dd bs=1` take
 * exactly their bytes from a pipe, never more, so the next part stays on stdin.
 */
export function readFramedInto(file: ShellCommand): ShellCommand {
  return new ShellCommand(
    `IFS= read -r n || exit 1; case $n in ''|*[!0-9]*) exit 1;; esac; ` +
      `if [ "$n" -gt 0 ]; then dd bs=1 count="$n" of=${file.text} 2>/dev/null || exit 1; fi`,
  );
}

/**
 * The environment for a program hush starts for the user (a local workload, a command under
 * `hush run`): everything but hush's own credentials and the Pulumi engine's, which that program
 * has no business holding.
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^HUSH_SSH_/.test(k) || /^PULUMI_(CONFIG_PASSPHRASE|ACCESS_TOKEN)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Joins commands with `;` / `&&`. */
export function seq(...cmds: ShellCommand[]): ShellCommand {
  return new ShellCommand(cmds.map((c) => c.text).join('; '));
}
export function and(...cmds: ShellCommand[]): ShellCommand {
  return new ShellCommand(cmds.map((c) => c.text).join(' && '));
}

/**
 * Wraps a command so that it runs under `sh` with root rights regardless of the login shell:
 * `sh -c '<cmd>'` for root, `sudo -n -- sh -c '<cmd>'` otherwise (`-n`: fail instead of
 * prompting for a password; hush never types passwords into sudo).
 */
export function asRoot(cmd: ShellCommand, viaSudo: boolean): ShellCommand {
  return viaSudo ? argv(['sudo', '-n', '--', 'sh', '-c', cmd.text]) : argv(['sh', '-c', cmd.text]);
}

/**
 * A command under coreutils `timeout` when a time limit is given: it stops the command's whole
 * process group (TERM, then KILL 5 s later), whatever runs it (sshd or a local shell).
 */
export function timeLimited(cmd: ShellCommand, timeoutMs: number | undefined): ShellCommand {
  return timeoutMs === undefined
    ? cmd
    : sh`exec timeout -k 5 ${Math.max(1, Math.ceil(timeoutMs / 1000))} sh -c ${cmd.text}`;
}

/**
 * Writes stdin to `path` atomically: a temp file in the same directory, fsync, rename over the
 * target, fsync of the directory. Readers see the old or the new content, never a mix, and a
 * crash leaves at most a `*.hush-tmp.*` file (which systemd ignores: it is not `*.conf`).
 * Creates missing parent directories (mode 0755). Both Hosts write files with it.
 */
export function atomicWriteCommand(path: string, mode = 0o644): ShellCommand {
  const octal = mode.toString(8);
  if (!/^[0-7]{3,4}$/.test(octal)) throw new Error(`invalid file mode ${octal}`);
  const tmpl = `${path}.hush-tmp.XXXXXX`;
  return sh`set -e; umask 022; d=$(dirname -- ${path}); mkdir -p -- "$d"; t=$(mktemp ${tmpl}); trap 'rm -f -- "$t"' EXIT; cat > "$t"; chmod ${octal} "$t"; sync -- "$t"; mv -f -- "$t" ${path}; trap - EXIT; sync -- "$d"`;
}
