/**
 * Process handlers: process creation (fd/fs sharing and namespaces), namespace changes, signals to
 * other processes, credential changes, and cross-process inspection (ptrace family).
 */
import type { Arg } from '../../strace/types';
import { NamespaceType } from '../actions';
import { field, flagNames, intValue, symText } from '../argReaders';
import type { HandlerContext, HandlerTable } from '../handler';
import { objectOf } from '../paths';
import { returnedOk } from '../success';

export const NAMESPACE_FLAGS: Readonly<Record<string, NamespaceType>> = {
  CLONE_NEWCGROUP: 'cgroup',
  CLONE_NEWIPC: 'ipc',
  CLONE_NEWNET: 'net',
  CLONE_NEWNS: 'mnt',
  CLONE_NEWPID: 'pid',
  CLONE_NEWUSER: 'user',
  CLONE_NEWUTS: 'uts',
  CLONE_NEWTIME: 'time',
};

const ALL_NAMESPACES: readonly NamespaceType[] = NamespaceType.options;

/** The CLONE_* names of clone's `flags=` (however the parser shaped the named argument). */
function cloneFlagNames(args: readonly Arg[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    let v: Arg | undefined = a;
    if (a.t === 'op' && a.op === '=') v = a.right;
    else if (a.t === 'struct' && 'flags' in a.fields) v = a.fields['flags'];
    for (const n of flagNames(v)) if (n.startsWith('CLONE_')) out.push(n);
  }
  return out;
}

function namespaces(c: HandlerContext, flags: readonly string[], via: 'clone' | 'unshare' | 'setns'): void {
  for (const f of flags) {
    const ns = NAMESPACE_FLAGS[f];
    if (ns) c.emit({ kind: 'namespace', ns, via });
  }
}

function spawnFrom(c: HandlerContext, flags: readonly string[]): void {
  namespaces(c, flags, 'clone');
  const child = c.sc.ret.value;
  if (!returnedOk(c.sc.ret) || child === null || child <= 0) return;
  c.spawn(child, { fs: flags.includes('CLONE_FS'), files: flags.includes('CLONE_FILES') });
}

/** Namespace type of an nsfs fd decoration (`net:[4026531840]`) or path (`/proc/1/ns/net`). */
function nsTypeOfFd(c: HandlerContext, fd: Arg | undefined): NamespaceType | undefined {
  const text = fd?.t === 'fd' ? fd.path : c.fdPath(fd);
  if (!text) return undefined;
  const m = /^([a-z_]+):\[/.exec(text) ?? /\/ns\/([a-z_]+)$/.exec(text);
  if (!m) return undefined;
  const name = m[1]!.replace(/_for_children$/, '');
  if (name === 'mnt') return 'mnt';
  return (ALL_NAMESPACES as readonly string[]).includes(name) ? (name as NamespaceType) : undefined;
}

/** Emit killOther unless the target is a process of the traced tree (pid <= 0 reaches beyond it). */
function signal(c: HandlerContext, target: number | undefined, sig: Arg | undefined): void {
  const signalName = symText(sig) ?? '?';
  if (target === undefined) {
    c.emit({ kind: 'killOther', target: -1, signal: signalName });
    return;
  }
  if (target > 0 && c.isTraced(target)) return;
  c.emit({ kind: 'killOther', target, signal: signalName });
}

const credentials = (c: HandlerContext): void => c.emit({ kind: 'setCredentials', call: c.sc.name });
const ptrace = (c: HandlerContext): void => c.emit({ kind: 'ptrace' });

export const procHandlers: HandlerTable = {
  clone: (c) => spawnFrom(c, cloneFlagNames(c.args)),
  clone3: (c) => {
    const flags = flagNames(field(c.args[0], 'flags')).filter((n) => n.startsWith('CLONE_'));
    spawnFrom(c, flags);
  },
  fork: (c) => spawnFrom(c, []),
  vfork: (c) => spawnFrom(c, []),
  unshare: (c) => {
    const flags = flagNames(c.args[0]);
    namespaces(c, flags, 'unshare');
    if (!returnedOk(c.sc.ret)) return;
    // CLONE_NEWNS and CLONE_NEWUSER imply CLONE_FS (unshare(2)).
    if (flags.includes('CLONE_FS') || flags.includes('CLONE_NEWNS') || flags.includes('CLONE_NEWUSER')) {
      c.proc.fs = { ...c.proc.fs };
    }
    if (flags.includes('CLONE_FILES')) c.proc.files = c.proc.files.copy();
  },
  setns: (c) => {
    const types = new Set<NamespaceType>();
    for (const n of flagNames(c.args[1])) {
      const ns = NAMESPACE_FLAGS[n];
      if (ns) types.add(ns);
    }
    if (types.size === 0) {
      const ns = nsTypeOfFd(c, c.args[0]);
      if (ns) types.add(ns);
    }
    // A pidfd or an unknown fd with nstype 0 can join any namespace: assume all of them.
    for (const ns of types.size > 0 ? types : ALL_NAMESPACES) c.emit({ kind: 'namespace', ns, via: 'setns' });
  },

  kill: (c) => signal(c, intValue(c.args[0]), c.args[1]),
  tkill: (c) => signal(c, intValue(c.args[0]), c.args[1]),
  tgkill: (c) => signal(c, intValue(c.args[0]), c.args[2]),
  rt_sigqueueinfo: (c) => signal(c, intValue(c.args[0]), c.args[1]),
  rt_tgsigqueueinfo: (c) => signal(c, intValue(c.args[0]), c.args[2]),
  pidfd_open: (c) => {
    const fd = c.returnedFd();
    const pid = intValue(c.args[0]);
    if (fd !== undefined && pid !== undefined) c.proc.files.set(fd, { pid, ...objectOf(c.sc.ret.fdPath) });
  },
  pidfd_send_signal: (c) => {
    const fd = c.args[0];
    let pid = c.fdEntry(fd)?.pid;
    if (pid === undefined && fd?.t === 'fd') {
      const m = /^pid:(\d+)/.exec(fd.path);
      if (m) pid = Number(m[1]);
    }
    signal(c, pid, c.args[1]);
  },

  setuid: credentials,
  setgid: credentials,
  setreuid: credentials,
  setregid: credentials,
  setresuid: credentials,
  setresgid: credentials,
  setfsuid: credentials,
  setfsgid: credentials,
  setgroups: credentials,

  ptrace,
  process_vm_readv: ptrace,
  process_vm_writev: ptrace,
  pidfd_getfd: ptrace,
};
