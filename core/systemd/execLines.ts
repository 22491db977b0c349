/**
 * The unit's effective Exec* command lists, as written in its unit files (prefixes, systemd
 * quoting, `%` specifiers and `$VARS` intact), derived from the unit's files (`systemctl cat`
 * output, whole or split per file). The one reader of Exec lines: the host probe
 * (remote/probe.ts) and the wrapper plan (core/profiling) both use it.
 *
 * Why the raw text and not `systemctl show -p ExecStart`: `show` prints argv joined by spaces, so
 * quoting is lost (`-g "daemon on; master_process on;"` cannot be told from four words), and it
 * has already resolved specifiers. Re-emitting the text as written keeps every word, specifier
 * and variable exactly as systemd would have parsed it for the original unit.
 */

import { parseDropIn } from '../dropin/parse';

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
   * The prefix characters exactly as written (`-`, `@`, `:`, `+`, `!`, `!!`, `|` in any order
   * systemd accepts), e.g. `-@`. Empty when none.
   */
  prefixes: string;
  /** The command after the prefixes: executable word, then arguments, systemd quoting intact. */
  command: string;
  /** The file that set it, when the text was read per file. */
  source?: string;
}

/** Splits the leading prefix characters off an Exec value (systemd's exec_command parsing). */
export function splitExecPrefixes(value: string): { prefixes: string; command: string } {
  const trimmed = value.replace(/^\s+/, '');
  const m = /^[-@:+!|]*/.exec(trimmed);
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

/** One of a unit's files: its path (when known) and text. */
export interface UnitFileText {
  path?: string;
  text: string;
}

/**
 * The effective Exec* lists of a unit from its files, the fragment first, then its drop-ins in the
 * order systemd applies them (systemd's line grammar: core/dropin/parse). An empty assignment
 * (`ExecStart=`) resets the list, as systemd does.
 */
export function execCommandsFromFiles(files: readonly UnitFileText[]): ExecCommand[] {
  const lists = new Map<ExecDirective, Omit<ExecCommand, 'directive' | 'index'>[]>();
  for (const file of files) {
    for (const a of parseDropIn(file.text).assignments) {
      if (a.section !== 'Service' || !isExecDirective(a.option)) continue;
      if (a.value === '') {
        lists.set(a.option, []);
        continue;
      }
      const list = lists.get(a.option) ?? [];
      list.push({ ...splitExecPrefixes(a.value), ...(file.path !== undefined ? { source: file.path } : {}) });
      lists.set(a.option, list);
    }
  }
  const out: ExecCommand[] = [];
  for (const directive of EXEC_DIRECTIVES) {
    (lists.get(directive) ?? []).forEach((c, index) => out.push({ directive, index, ...c }));
  }
  return out;
}

/**
 * The effective Exec* lists from `systemctl cat UNIT` output read as one text (each file starts
 * with a `# /path` comment line and its own section header).
 */
export function execCommandsFromCat(catText: string): ExecCommand[] {
  return execCommandsFromFiles([{ text: catText }]);
}
