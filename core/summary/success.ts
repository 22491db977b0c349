/**
 * The success rule: which traced calls count as "the service does this". Applied in exactly one
 * place (the summarizer's push), for both the syscall-name set and the handlers' actions.
 *
 * A call counts when:
 *  - it returned a value that is not an error (any number, including 0 and pointers); or
 *  - it never returned (`= ?`): the process exited or was killed inside it (exit_group, a blocking
 *    call at shutdown), so the call was made and the filter let it through; or
 *  - it failed with an errno that is a normal *outcome* of a permitted call rather than a refusal:
 *      EAGAIN/EWOULDBLOCK   non-blocking I/O with nothing ready (accept, recv, connect on UNIX…)
 *      EINPROGRESS/EALREADY non-blocking connect under way
 *      EEXIST               O_CREAT|O_EXCL or mkdir on something that exists: a create attempt the
 *                           service relies on (it treats "exists" as fine), so it needs the write
 *      EINTR, ERESTART…     interrupted by a signal and (maybe) restarted: the call was permitted
 *      ETIMEDOUT            a timed wait/connect that expired
 *
 * Everything else (ENOENT, EACCES, EPERM, ENOSYS, EBADF, EINVAL…) does not count: the call had no
 * effect, so it yields no action, and its name goes to `failedSyscalls` (informative) unless the
 * same name also succeeded somewhere. This is SHH's rule (shh.md §3.1) plus EINTR, ERESTART…,
 * ETIMEDOUT/EALREADY, which SHH dropped although the kernel clearly ran the call.
 *
 * State-changing handlers (chdir, dup, clone…) additionally need a real non-negative return before
 * they change the tracked process state: see `returnedOk`.
 */
import type { SyscallReturn } from '../strace/types';

const OUTCOME_ERRNOS: ReadonlySet<string> = new Set([
  'EAGAIN',
  'EWOULDBLOCK',
  'EINPROGRESS',
  'EALREADY',
  'EEXIST',
  'EINTR',
  'ERESTARTSYS',
  'ERESTARTNOINTR',
  'ERESTARTNOHAND',
  'ERESTART_RESTARTBLOCK',
  'ETIMEDOUT',
]);

/** Whether a call counts (see the module comment). */
export function callCounts(ret: SyscallReturn): boolean {
  if (ret.errno === undefined) return true;
  return OUTCOME_ERRNOS.has(ret.errno);
}

/** Whether the call returned a real, non-error, non-negative value (for state changes). */
export function returnedOk(ret: SyscallReturn): boolean {
  return ret.errno === undefined && ret.value !== null && ret.value >= 0;
}
