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
 *  - it failed with ENOENT but creates or removes a directory entry (unlink, rmdir, mkdir, mknod,
 *    rename, link, symlink, creat, open with O_CREAT): the kernel checks for a read-only mount
 *    *before* looking up the last component, so on a read-only path the same call would fail with
 *    EROFS instead, an error the service may not expect (`unlink(stale pidfile)` tolerating only
 *    ENOENT). The write intent counts.
 *
 * Everything else (ENOENT elsewhere, EACCES, EPERM, EROFS, ENOSYS, EBADF, EINVAL…) does not count:
 * the call had no effect, so it yields no action, and its name goes to `failedSyscalls`
 * (informative) unless the same name also succeeded somewhere. EPERM/EROFS are what an existing
 * sandbox returns, so a re-profile under hardening does not widen it. This is SHH's rule
 * plus EINTR, ERESTART…, ETIMEDOUT/EALREADY, which SHH dropped although the kernel
 * clearly ran the call, and the write-intent ENOENT case.
 *
 * State-changing handlers (chdir, dup, clone…) additionally need a real non-negative return before
 * they change the tracked process state: see `returnedOk`.
 *
 * What a counted call that *failed* adds besides its name (`callPaths`): failed calls widen nothing
 * beyond what a successful one would have needed, so this follows the kernel's order of checks
 * (fs/namei.c): the directory part of a path is looked up first (a missing directory is ENOENT
 * whatever the mount), then a read-only mount is refused (EROFS), then the last component.
 *  - Creating an entry (mkdir, mknod, symlink, link, creat, open O_CREAT): ENOENT means a directory
 *    on the way is missing, EEXIST that the entry is there; a read-only mount gives the same
 *    errors, so the call needs no write. EEXIST still shows the name was looked up (a `read`:
 *    hiding it behind an empty tmpfs would change the answer); ENOENT adds nothing.
 *  - Removing or renaming (unlink, rmdir, rename): the read-only check comes before the last
 *    component, so ENOENT (no such entry) would become EROFS: the write intent counts, but only
 *    where the directory is proven to exist by the rest of the trace (the summarizer settles this
 *    at the end). A missing directory would have failed the same way under any sandbox.
 */
import type { Arg, SyscallReturn } from '../strace/types';
import { flagNames } from './argReaders';

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

/**
 * Calls that create or remove a directory entry: ENOENT still shows the write intent. Every string
 * they take is a path (core/summary/evidence.ts shows them in evidence for that reason).
 */
export const ENTRY_CHANGING_CALLS = [
  'unlink',
  'unlinkat',
  'rmdir',
  'mkdir',
  'mkdirat',
  'mknod',
  'mknodat',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'creat',
] as const;
const ENTRY_CHANGING: ReadonlySet<string> = new Set(ENTRY_CHANGING_CALLS);

/** Calls that create an entry and check for a read-only mount only after finding it absent. */
const ENTRY_CREATING: ReadonlySet<string> = new Set([
  'mkdir',
  'mkdirat',
  'mknod',
  'mknodat',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'creat',
]);

/** Open calls and where their flags are, for the O_CREAT case. */
function openCreates(name: string, args: readonly Arg[] | null | undefined): boolean {
  if (!args) return false;
  let flags: Arg | undefined;
  if (name === 'open') flags = args[1];
  else if (name === 'openat') flags = args[2];
  else if (name === 'openat2') {
    const how = args[2];
    flags = how?.t === 'struct' ? how.fields['flags'] : undefined;
  } else return false;
  return flagNames(flags).includes('O_CREAT');
}

/** Whether a call counts (see the module comment). `name`/`args` matter only for ENOENT. */
export function callCounts(ret: SyscallReturn, name?: string, args?: readonly Arg[] | null): boolean {
  if (ret.errno === undefined) return true;
  if (OUTCOME_ERRNOS.has(ret.errno)) return true;
  if (ret.errno === 'ENOENT' && name !== undefined)
    return ENTRY_CHANGING.has(name) || openCreates(name, args);
  return false;
}

/** Whether the call returned a real, non-error, non-negative value (for state changes). */
export function returnedOk(ret: SyscallReturn): boolean {
  return ret.errno === undefined && ret.value !== null && ret.value >= 0;
}

/**
 * What a counted call contributes besides its name (module comment, last part):
 * `all` its actions; `lookups` its paths as reads only; `ifDirExists` its path actions, each kept
 * only if the trace proves the path's directory exists; `none` nothing.
 */
export type CallPaths = 'all' | 'lookups' | 'ifDirExists' | 'none';

export function callPaths(
  ret: SyscallReturn,
  name: string,
  args: readonly Arg[] | null | undefined,
): CallPaths {
  const errno = ret.errno;
  if (errno !== 'ENOENT' && errno !== 'EEXIST') return 'all';
  const creates = ENTRY_CREATING.has(name) || openCreates(name, args);
  if (creates) return errno === 'EEXIST' ? 'lookups' : 'none';
  // unlink/rmdir/rename: their ENOENT may be a missing directory (same under any mount) or a
  // missing entry (after the read-only check); EEXIST (rmdir of a non-empty directory, rename with
  // RENAME_NOREPLACE) comes after the read-only check with every directory found.
  return ENTRY_CHANGING.has(name) && errno === 'ENOENT' ? 'ifDirExists' : 'all';
}
