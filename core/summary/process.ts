/**
 * Per-process state the summary needs to resolve paths in the tracee's own context: the file
 * system context (cwd, root) and the fd table, with the kernel's sharing semantics:
 *  - clone(CLONE_FS) shares the fs context, otherwise the child gets a copy;
 *  - clone(CLONE_FILES) shares the fd table, otherwise a copy; fork/vfork copy both;
 *  - unshare(CLONE_FS / CLONE_FILES) and close_range(CLOSE_RANGE_UNSHARE) split them;
 *  - a successful execve unshares the fd table and drops close-on-exec fds;
 *  - `+++ exited +++` forgets the process (shared tables live on in their other users).
 */

/** What the summary knows about a socket fd. */
export interface SocketInfo {
  family: string;
  type: string;
  /** IPV6_V6ONLY as set by setsockopt; undefined = the system default (net.ipv6.bindv6only). */
  v6only?: boolean;
  /** The local address after bind, for listen's action. */
  boundAddress?: string;
  boundPort?: number;
}

export interface FdEntry {
  /** Absolute path when the fd is a file or directory. */
  path?: string;
  /**
   * The path is the tracee's text (an open without `-y` decoration), not the kernel's: `..` may not
   * climb over it (paths.ts).
   */
  named?: boolean;
  charDevice?: boolean;
  socket?: SocketInfo;
  /** For a pidfd (pidfd_open, clone's CLONE_PIDFD): the process it refers to. */
  pid?: number;
  /**
   * The `-y` decoration of a socket or pidfd when it was made (`socket:[128604]`, `anon_inode:[pidfd]`):
   * a later call's decoration must be the same for this entry to be used. Under decision tracing
   * `close` is not seen (core/tracing), so the number may since name another object, which the
   * kernel then decorates differently (another socket inode, not a pidfd).
   */
  object?: string;
  cloexec?: boolean;
}

export class FdTable {
  readonly fds = new Map<number, FdEntry>();

  copy(): FdTable {
    const t = new FdTable();
    for (const [fd, e] of this.fds) t.fds.set(fd, { ...e });
    return t;
  }

  /** The copy a successful execve leaves: close-on-exec fds are gone. */
  afterExec(): FdTable {
    const t = new FdTable();
    for (const [fd, e] of this.fds) if (!e.cloexec) t.fds.set(fd, { ...e });
    return t;
  }

  get(fd: number): FdEntry | undefined {
    return this.fds.get(fd);
  }

  set(fd: number, e: FdEntry): void {
    this.fds.set(fd, e);
  }

  close(fd: number): void {
    this.fds.delete(fd);
  }

  /** close_range(first, last[, CLOEXEC]). */
  closeRange(first: number, last: number, cloexecOnly: boolean): void {
    for (const [fd, e] of this.fds) {
      if (fd < first || fd > last) continue;
      if (cloexecOnly) e.cloexec = true;
      else this.fds.delete(fd);
    }
  }

  /** dup family: `to` becomes another name for `from`'s file (close-on-exec is per fd, not copied). */
  dup(from: FdEntry | undefined, to: number, cloexec: boolean): void {
    if (!from) {
      // Unknown source (no -y, opened before the trace): forget whatever `to` was.
      this.fds.delete(to);
      return;
    }
    this.fds.set(to, { ...from, cloexec });
  }
}

export interface FsContext {
  /** Absolute cwd, or undefined while unknown (no --cwd, nothing in the trace told us yet). */
  cwd: string | undefined;
  /**
   * The cwd came from the tracee's text (chdir's argument) rather than from the kernel (an
   * `AT_FDCWD` decoration, getcwd, the configured cwd): `..` may not climb over it (paths.ts).
   */
  cwdNamed?: boolean;
  /** Process root after chroot; '/' normally. */
  root: string;
}

export interface Proc {
  pid: number;
  fs: FsContext;
  files: FdTable;
  /**
   * True while the process is known only from its own lines: strace -f often prints a child's
   * first calls before the parent's clone returns its pid. Its events wait in `pending` until the
   * clone tells us what it inherited.
   */
  awaitingParent: boolean;
}

/** clone/unshare flags that matter for state. */
export interface ShareFlags {
  fs: boolean;
  files: boolean;
}

export function newProc(pid: number, cwd: string | undefined): Proc {
  return { pid, fs: { cwd, root: '/' }, files: new FdTable(), awaitingParent: false };
}

/** Give `child` what it inherits from `parent` under the given clone flags. */
export function inherit(child: Proc, parent: Proc, share: ShareFlags): void {
  child.fs = share.fs ? parent.fs : { ...parent.fs };
  child.files = share.files ? parent.files : parent.files.copy();
  child.awaitingParent = false;
}
