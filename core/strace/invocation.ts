/**
 * hush's strace invocation, kept in one place.
 *
 * The parser (this folder) reads exactly what these flags make strace print; change one here and
 * the fixtures under fixtures/ must be re-captured (fixtures/capture.sh).
 *
 * Checked on strace 6.1 (Debian 12) and 6.13 (Debian 13):
 *   -f   --follow-forks        services fork workers and helpers; every process must be profiled,
 *                              and the pid column (printed with -f and -o) tells them apart.
 *   -xx  --strings-in-hex=all  every string arrives as "\xHH…": paths are lossless bytes and the
 *                              grammar never meets quotes, commas or parens inside a string.
 *   -y   --decode-fds=path     fds carry their path (`3</etc/passwd>`, `AT_FDCWD</srv>`): fd-relative
 *                              calls (read, fstat, *at with a dirfd, mmap of a file) resolve without
 *                              replaying the fd table, and the cwd is visible at each *at call.
 *                              (-yy would add socket endpoints; the parser accepts it, hush does not
 *                              need it: families and addresses come from socket()/connect()/bind().)
 *   -v   --no-abbrev           full structures (stat, sockaddr, execve's environment): nothing is
 *                              hidden behind `...` that a handler might need.
 *   --quiet=attach             strace's default quiet set for a traced command is attach and
 *                              personality; naming only attach keeps every other line as it was
 *                              and adds `[ Process PID=N runs in 32 bit mode. ]` whenever a process
 *                              enters another syscall ABI (a 32-bit or x32 binary, `int 0x80`):
 *                              what SystemCallArchitectures=native rests on (RunInfo.abiWatched).
 *                              Checked on strace 6.1: the same lines as without it, plus the notices
 *                              (a 32-bit static binary, `int 0x80` from 64-bit code); under
 *                              --seccomp-bpf a notice comes with the first traced call in the new
 *                              ABI (exit/exit_group at the latest), none for untraced calls alone.
 *   -o FILE                    the log goes to a file (or FIFO) instead of the program's stderr,
 *                              so the service's own output stays clean and the format is the plain
 *                              `PID ` column (stderr output uses `[pid N]`, also parsed).
 *   -A   --output-append-mode  (option) a unit restarted during profiling appends to the same log.
 *   -D   --daemonize          (option, when wrapping a unit's Exec line) strace runs as a detached
 *                              grandchild, so the traced program keeps the pid systemd started
 *                              (MAINPID, sd_notify's sender check, signals from systemctl).
 *   --kill-on-exit             (strace >= 6.6 only; 6.1 rejects it) if strace dies, the tracees are
 *                              killed rather than left running untraced: a profile must never
 *                              silently stop covering a live service.
 *   -ttt / -r / -T             (options) timestamps and call durations; the summary needs none.
 *   --seccomp-bpf -e trace=SET (option) low-overhead profiling of a known syscall set: only those
 *                              calls stop the tracee; the others run at full speed and are not seen.
 *   --seccomp-bpf -e 'trace=!?a,?b…' (option, `seccompExcept`) every syscall but a few: what hush's
 *                              decision tracing uses (core/tracing: the hot syscalls that change no
 *                              decision are left out, the profile says so in its runs). `?` makes a
 *                              name this strace does not know harmless instead of fatal. Full tracing
 *                              stays the fallback (no --seccomp-bpf) and an explicit choice.
 *                              Checked: strace 6.1 and 6.13 accept it. The filter needs no_new_privs,
 *                              which strace sets in the tracee (see core/tracing for what that changes).
 *                              (strace >= 6.6 also turns on --kill-on-exit by itself with --seccomp-bpf.)
 *
 * Deliberately not used:
 *   --status=successful,failed (exists in 6.1 too) would drop `<unfinished ...>` calls, so a call
 *     still blocked when profiling stops would be lost; worse, strace 6.1 then prints the rest of
 *     an interrupted call on a separate line with no pid (SHH's trap; the parser handles it, and
 *     6.13 no longer does it). Unfinished/resumed pairs are merged by the parser instead.
 *   -s N: strace prints paths in full whatever -s says; data buffers are not needed.
 *   -e trace=… without --seccomp-bpf: it would hide calls without saving a single stop.
 *   -q/-qq: `+++ exited +++` lines end a pid's state in the summary; keep them.
 * Environment: run strace with LC_ALL=C (error texts stay the English strace table either way,
 * but the unit's own environment must not change how strace formats anything).
 */

export interface StraceVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parses `strace -V` / `strace --version` output (`strace -- version 6.1`, `strace -- version 6.13`). */
export function parseStraceVersion(output: string): StraceVersion | null {
  const first = output.split('\n', 1)[0] ?? '';
  const m = /^strace\b.*?\bversion\s+(\d+)\.(\d+)(?:\.(\d+))?/.exec(first.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

export function versionAtLeast(v: StraceVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** The oldest strace hush supports (Debian 12's). */
export const MIN_STRACE: StraceVersion = { major: 6, minor: 1, patch: 0 };

/** Per-version features. */
export function straceFeatures(v: StraceVersion): { killOnExit: boolean; seccompBpf: boolean } {
  return {
    // --kill-on-exit was added in strace 6.6 (NEWS 2023-10-31); 6.1 rejects it.
    killOnExit: versionAtLeast(v, 6, 6),
    // --seccomp-bpf exists since 5.3; it needs -f and a kernel with seccomp filters.
    seccompBpf: versionAtLeast(v, 5, 3),
  };
}

export interface StraceInvocation {
  /** strace version on the host that will run it (from {@link parseStraceVersion}). */
  version: StraceVersion;
  /** Log file or FIFO path (absolute, on the traced host). */
  output: string;
  /** The command to trace: program and its arguments. */
  command: readonly string[];
  /** -D: strace as a detached grandchild (used when wrapping a unit's Exec line). */
  daemonize?: boolean;
  /** -A: append to the log instead of truncating it. */
  append?: boolean;
  /** Timestamps: `unix` (-ttt, epoch seconds with µs) or `relative` (-r). Default none. */
  timestamps?: 'none' | 'unix' | 'relative';
  /** -T: time spent in each call. */
  syscallTimes?: boolean;
  /**
   * Trace only these syscalls through a seccomp-bpf filter (low overhead). Not for a full profile:
   * SystemCallFilter needs every name, so hush falls back to full tracing for that.
   */
  seccompTrace?: readonly string[];
  /**
   * Trace every syscall except these, through a seccomp-bpf filter (`-e trace=!?a,?b…`): hush's
   * decision tracing (core/tracing). Exclusive with `seccompTrace`.
   */
  seccompExcept?: readonly string[];
}

const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * strace's argv (without the `strace` program itself) for the given version and options.
 * Throws on options the version cannot honour or on a malformed syscall name, so a bad
 * invocation never reaches a host.
 */
export function straceArgs(o: StraceInvocation): string[] {
  if (!versionAtLeast(o.version, MIN_STRACE.major, MIN_STRACE.minor)) {
    throw new Error(`strace ${o.version.major}.${o.version.minor} is too old (hush needs >= 6.1)`);
  }
  if (!o.output) throw new Error('strace output path is required');
  if (o.command.length === 0 || !o.command[0]) throw new Error('strace needs a command to trace');
  const features = straceFeatures(o.version);
  const argv: string[] = ['-f', '-xx', '-y', '-v', '--quiet=attach'];
  if (o.daemonize) argv.push('-D');
  if (features.killOnExit) argv.push('--kill-on-exit');
  if (o.timestamps === 'unix') argv.push('-ttt');
  else if (o.timestamps === 'relative') argv.push('-r');
  if (o.syscallTimes) argv.push('-T');
  if (o.seccompTrace && o.seccompExcept) throw new Error('seccompTrace and seccompExcept exclude each other');
  const names = o.seccompTrace ?? o.seccompExcept;
  if (names) {
    if (!features.seccompBpf) throw new Error('this strace has no --seccomp-bpf');
    if (names.length === 0) throw new Error('a seccomp trace set needs at least one syscall');
    for (const name of names) {
      if (!SYSCALL_NAME.test(name)) throw new Error(`not a syscall name: ${JSON.stringify(name)}`);
    }
    const value = o.seccompTrace ? names.join(',') : `!${names.map((n) => `?${n}`).join(',')}`;
    argv.push('--seccomp-bpf', '-e', `trace=${value}`);
  }
  if (o.append) argv.push('-A');
  argv.push('-o', o.output, '--', ...o.command);
  return argv;
}

/** Environment strace should run with (see the header). */
export const STRACE_ENV: Readonly<Record<string, string>> = { LC_ALL: 'C' };
