/**
 * The contract between the summarizer and the per-syscall handlers. A handler is a small function
 * that reads one counted call (see success.ts) and emits actions and/or updates process state
 * through the context; it never throws on odd argument shapes (it just emits less, or, where being
 * unsure matters for safety, the conservative action).
 */
import type { Arg, Syscall } from '../strace/types';
import type { Action, PathAccessKind } from './actions';
import type { Decoration } from './paths';
import type { FdEntry, Proc, ShareFlags } from './process';

/** An action without its evidence: the summarizer attaches the evidence of the current call. */
export type ActionBody = Action extends infer A ? (A extends Action ? Omit<A, 'ev'> : never) : never;

export interface HandlerContext {
  /** The call being summarized. */
  readonly sc: Syscall;
  /** Its arguments ([] on the name-only path). */
  readonly args: readonly Arg[];
  /** The calling process's state. */
  readonly proc: Proc;
  /** net.ipv6.bindv6only of the traced host (decides dual-stack binds on unknown sockets). */
  readonly bindv6only: boolean;

  emit(action: ActionBody): void;
  /** Emit a path action; pseudo/unknown paths (undefined) are ignored, /proc/<traced pid> is made stable. */
  emitPath(access: PathAccessKind, path: string | undefined): void;

  /**
   * Resolve a path argument in the tracee's context: absolute paths under the process root,
   * relative ones against `dirfd` (AT_FDCWD or absent = the cwd). With `emptyPath` (AT_EMPTY_PATH)
   * an empty string or NULL path means the dirfd itself. Undefined when it cannot be known.
   */
  resolvePath(path: Arg | undefined, dirfd?: Arg, emptyPath?: boolean): string | undefined;
  /**
   * A pointer argument strace printed as an address (it could not read the tracee's memory, e.g.
   * after the process changed its credentials): counted in RunInfo.unreadableArgs when the call
   * succeeded, since what it named is then missing from the profile.
   */
  noteUnreadable(): void;
  /** The file path behind an fd argument (decoration first, then the fd table). */
  fdPath(fd: Arg | undefined): string | undefined;
  /** The fd table entry behind an fd argument, if any. */
  fdEntry(fd: Arg | undefined): FdEntry | undefined;
  /** The fd number of an fd argument. */
  fdNumber(fd: Arg | undefined): number | undefined;
  /** The returned fd when the call returned one (non-negative, no error). */
  returnedFd(): number | undefined;
  /** The decoration of the returned fd, if strace printed one. */
  returnedDecoration(): Decoration | undefined;
  /** Record a child process created by clone/fork/vfork with its sharing flags. */
  spawn(childPid: number, share: ShareFlags): void;
  /** Whether a pid belongs to the traced tree (seen in the trace or returned by clone). */
  isTraced(pid: number): boolean;
  /** Programs the kernel also runs for an executed file (ELF interpreter, #! chain): see SummarizerOptions. */
  interpretersOf(execPath: string): readonly string[];
}

export type Handler = (c: HandlerContext) => void;

/** A family of handlers: syscall name → handler. */
export type HandlerTable = Record<string, Handler>;
