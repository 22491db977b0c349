/**
 * The unit's effective Exec* command lists, as written in its unit files (prefixes, systemd
 * quoting, `%` specifiers and `$VARS` intact), derived from `systemctl cat` output.
 *
 * Why the raw text and not `systemctl show -p ExecStart`: `show` prints argv joined by spaces, so
 * quoting is lost (`-g "daemon on; master_process on;"` cannot be told from four words), and it
 * has already resolved specifiers. Re-emitting the text as written keeps every word, specifier
 * and variable exactly as systemd would have parsed it for the original unit.
 */

/** Every directive that runs a command. All of them run inside the unit's sandbox (unless `+`). */
export const EXEC_DIRECTIVES = [
  'ExecCondition',
  'ExecStartPre',
  'ExecStart',
  'ExecStartPost',
  'ExecReload',
  'ExecStop',
  'ExecStopPost',
] as const;
export type ExecDirective = (typeof EXEC_DIRECTIVES)[number];

export function isExecDirective(key: string): key is ExecDirective {
  return (EXEC_DIRECTIVES as readonly string[]).includes(key);
}

/** One command of an Exec* list. */
export interface ExecCommand {
  directive: ExecDirective;
  /** Position in its directive's effective list (0-based). */
  index: number;
  /**
   * The prefix characters exactly as written (`-`, `@`, `:`, `+`, `!`, `!!` in any order systemd
   * accepts), e.g. `-@`. Empty when none.
   */
  prefixes: string;
  /** The command after the prefixes: executable word, then arguments, systemd quoting intact. */
  command: string;
}

/** Splits the leading prefix characters off an Exec value (systemd's exec_command parsing). */
export function splitExecPrefixes(value: string): { prefixes: string; command: string } {
  const trimmed = value.replace(/^\s+/, '');
  const m = /^[-@:+!]*/.exec(trimmed);
  const prefixes = m ? m[0] : '';
  return { prefixes, command: trimmed.slice(prefixes.length).replace(/^\s+/, '') };
}

export interface ExecPrefixFlags {
  /** `-`: a non-zero exit (or signal) counts as success. */
  ignoreFailure: boolean;
  /** `@`: the second word is argv[0]. */
  argv0: boolean;
  /** `:`: no `$VAR` expansion in this command. */
  noEnvExpansion: boolean;
  /** `+`: full privileges, no sandboxing at all. */
  fullPrivileges: boolean;
  /** `!`: User=/Group= not applied (runs as root), sandboxing still applied. */
  noSetUid: boolean;
  /** `!!`: like `!` only on systems without ambient capabilities; ignored elsewhere. */
  ambientFallback: boolean;
}

export function parseExecPrefixes(prefixes: string): ExecPrefixFlags {
  return {
    ignoreFailure: prefixes.includes('-'),
    argv0: prefixes.includes('@'),
    noEnvExpansion: prefixes.includes(':'),
    fullPrivileges: prefixes.includes('+'),
    noSetUid: prefixes.includes('!') && !prefixes.includes('!!'),
    ambientFallback: prefixes.includes('!!'),
  };
}

/**
 * The effective Exec* lists of a unit from `systemctl cat UNIT` output: the fragment, then its
 * drop-ins in the order systemd applies them. Each file starts with a `# /path` header line. An
 * empty assignment (`ExecStart=`) resets the list, as systemd does.
 */
export function execCommandsFromCat(catText: string): ExecCommand[] {
  const lists = new Map<ExecDirective, { prefixes: string; command: string }[]>();
  let section = '';
  for (const logical of logicalLines(catText)) {
    const line = logical.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1] ?? '';
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!isExecDirective(key)) continue;
    const value = line.slice(eq + 1).trim();
    if (value === '') {
      lists.set(key, []);
      continue;
    }
    const list = lists.get(key) ?? [];
    list.push(splitExecPrefixes(value));
    lists.set(key, list);
  }
  const out: ExecCommand[] = [];
  for (const directive of EXEC_DIRECTIVES) {
    (lists.get(directive) ?? []).forEach((c, index) => out.push({ directive, index, ...c }));
  }
  return out;
}

/**
 * Joins continuation lines (a trailing backslash) the way systemd's config parser does: the
 * backslash is replaced by a space, and comment lines inside a continuation are skipped.
 */
function* logicalLines(text: string): Generator<string> {
  let pending: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (pending !== undefined) {
      const t = line.trimStart();
      if (t.startsWith('#') || t.startsWith(';')) continue;
      if (line.endsWith('\\')) {
        pending += ' ' + line.slice(0, -1);
        continue;
      }
      yield pending + ' ' + line;
      pending = undefined;
      continue;
    }
    const t = line.trimStart();
    if (!t.startsWith('#') && !t.startsWith(';') && line.endsWith('\\')) {
      pending = line.slice(0, -1);
      continue;
    }
    yield line;
  }
  if (pending !== undefined) yield pending;
}
