/**
 * Data produced by the strace parser (core/strace) and consumed by the summary stage.
 *
 * The argument tree keeps what strace printed, structurally, and no more: the summary handlers
 * decide what a value means. Strings are decoded from strace's `\xHH` escapes (hush runs strace
 * with -xx so every string arrives hex-escaped and lossless).
 *
 * Laziness (core/strace/argGrammar.ts): by default the parser builds top-level structs and arrays of
 * structs, and fd / AT_FDCWD decoration paths, only when first read (`LazyStruct`, `LazyArray`,
 * `LazyFd`, `LazySym`: class instances whose `fields` / `items` / `path` are getters). Reading
 * properties, `in`, `for…in` and JSON.stringify behave as for plain objects; deep-equality helpers
 * that compare own properties need `toPlainArg()` first. Pass `lazy: false` for plain trees.
 */

/** One argument (or sub-expression) as strace printed it. */
export type Arg =
  /** An integer literal: decimal, hex (0x…) or octal (0…). `value` is exact up to 2^53; `raw` keeps the text. */
  | { t: 'int'; value: number; raw: string }
  /**
   * A named constant such as AT_FDCWD, O_RDONLY, SIGTERM. `path` is the -y decoration of a
   * symbolic fd (`AT_FDCWD</tmp>`: the caller's cwd at the time of the call).
   */
  | { t: 'sym'; name: string; path?: string }
  /** Flags joined with `|`: O_WRONLY|O_CREAT|0x800. */
  | { t: 'flags'; items: Arg[] }
  /**
   * A string. `value` is the decoded bytes as UTF-8 (latin1 where not valid UTF-8); `truncated` when strace printed `...`;
   * `abstract` for an abstract unix socket name (`sun_path=@"…"`).
   */
  | { t: 'str'; value: string; truncated: boolean; abstract?: boolean }
  /** A file descriptor decorated with its path by -y: `3</etc/passwd>`, `5<TCP:[127.0.0.1:80]>`, `7<pipe:[123]>`. */
  | { t: 'fd'; fd: number; path: string }
  /** A macro-like call: makedev(0x1, 0x3), htons(80), inet_addr("127.0.0.1"), inet_pton(AF_INET6, "::1", &sin6_addr). */
  | { t: 'call'; fn: string; args: Arg[] }
  /** A binary expression strace prints: `1<<20`, `4*1024`, `SIG_BLOCK-1`, `X == Y`, `A && B`. */
  | { t: 'op'; op: string; left: Arg; right: Arg }
  /** An array `[a, b]` (also `[[0]=a, …]` index forms, index dropped); `truncated` for a trailing `...`. */
  | { t: 'array'; items: Arg[]; truncated: boolean }
  /** A bit set such as a signal mask: `[HUP INT]`, `~[RTMIN RT_1]`. */
  | { t: 'set'; negated: boolean; items: string[] }
  /** A struct `{a=1, b=…}`; fields keep their names (an unnamed member gets its index as name). */
  | { t: 'struct'; fields: Record<string, Arg>; truncated: boolean }
  /** An in/out value: `[16 => 8]`, `{a=1 => 2}` member forms. */
  | { t: 'inout'; in: Arg; out: Arg }
  /** NULL */
  | { t: 'null' }
  /** Anything the grammar keeps without interpreting (e.g. a MAC address, a bare `...`). */
  | { t: 'raw'; text: string };

/** The `= …` part of a line. */
export interface SyscallReturn {
  /** The numeric value; null when strace printed `?` (call never returned: exit, restart, killed). */
  value: number | null;
  /** Text of the value as printed (keeps hex and 64-bit values exact). */
  raw: string;
  /** Error name when the call failed: ENOENT, EAGAIN, ERESTARTSYS… */
  errno?: string;
  /** The fd path decoration of the return value (`= 3</etc/passwd>`). */
  fdPath?: string;
  /** Trailing free text: `(flags O_RDWR)`, `(in [3])`, `(No such file or directory)`… */
  comment?: string;
}

export interface Syscall {
  type: 'syscall';
  /** The tracee pid; 0 when the log has no pid column (single process, no -f). */
  pid: number;
  name: string;
  /** Parsed arguments, or null on the name-only fast path (syscall without a summary handler). */
  args: Arg[] | null;
  ret: SyscallReturn;
  /** 1-based line number of the line that started the call. */
  line: number;
  /** Timestamp in seconds if the log had one (-t/-tt: seconds since midnight; -ttt: epoch; -r: relative). */
  ts?: number;
  /** Time spent in the call (-T), seconds. */
  duration?: number;
  /** True when assembled from `<unfinished ...>` and `<... resumed>` lines. */
  resumed?: boolean;
  /**
   * True when the call started (`<unfinished ...>`) but its end never appeared (the process was
   * killed, or the log ends): `ret` is `?` and `args` holds what was printed before the cut.
   */
  unfinished?: boolean;
  /**
   * Set when the call's name and return parsed but its arguments did not (args is then null even
   * though a full parse was asked for). The line is also reported through `onUnparsed`.
   */
  argsError?: string;
}

/** `--- SIGCHLD {si_signo=…} ---` */
export interface SignalEvent {
  type: 'signal';
  pid: number;
  signal: string;
  line: number;
  ts?: number;
}

/** `+++ exited with 0 +++` / `+++ killed by SIGKILL +++` */
export interface ExitEvent {
  type: 'exit';
  pid: number;
  /** Exit status, or null when killed. */
  code: number | null;
  /** Killing signal, when killed. */
  signal?: string;
  line: number;
  ts?: number;
}

/**
 * `[ Process PID=N runs in 32 bit mode. ]`: the process entered another syscall ABI (a 32-bit or
 * x32 binary, or `int 0x80` from 64-bit code), or came back to the native one. strace starts every
 * process in the native ABI, so a process's first notice is always a switch away from it. Printed
 * only when the quiet set leaves out `personality` (hush's invocation, core/strace/invocation.ts).
 */
export interface PersonalityEvent {
  type: 'personality';
  pid: number;
  /** strace's name of the ABI entered: `32 bit`, `x32`, `64 bit`… */
  mode: string;
  line: number;
  ts?: number;
}

export type TraceEvent = Syscall | SignalEvent | ExitEvent | PersonalityEvent;

/** A line the parser could not understand: counted, reported, skipped. Never thrown. */
export interface UnparsedLine {
  line: number;
  /** The first bytes of the line (at most 200 characters). */
  text: string;
  reason: string;
}
