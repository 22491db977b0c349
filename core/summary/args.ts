/**
 * Small, allocation-light readers over the parser's `Arg` tree, shared by the handlers.
 *
 * strace prints the same value in several shapes (a lone flag is a `sym`, several are `flags`, an
 * unknown bit is an `int` inside `flags`, a mode is an octal `int`…): these helpers hide that so
 * each handler reads like the man page.
 */
import type { Arg, Syscall } from '../strace/types';

/** The names of the symbolic flags in an argument: `O_RDWR|O_CREAT|0x800` → O_RDWR, O_CREAT. */
export function flagNames(a: Arg | undefined): string[] {
  if (!a) return [];
  switch (a.t) {
    case 'sym':
      return [a.name];
    case 'flags': {
      const out: string[] = [];
      for (const item of a.items) {
        if (item.t === 'sym') out.push(item.name);
        else if (item.t === 'op' && item.left.t === 'sym') out.push(item.left.name);
      }
      return out;
    }
    case 'op':
      return a.left.t === 'sym' ? [a.left.name] : [];
    default:
      return [];
  }
}

/** Whether a flag set contains `name` (a lone symbol counts). */
export function hasFlag(a: Arg | undefined, name: string): boolean {
  if (!a) return false;
  if (a.t === 'sym') return a.name === name;
  if (a.t === 'flags') {
    for (const item of a.items) if (item.t === 'sym' && item.name === name) return true;
  }
  return false;
}

/** The numeric part of an argument: an int, or the OR of the int items of a flag set (a mode `S_IFREG|0644`). */
export function intBits(a: Arg | undefined): number | undefined {
  if (!a) return undefined;
  if (a.t === 'int') return a.value;
  if (a.t === 'flags') {
    let v: number | undefined;
    for (const item of a.items) if (item.t === 'int') v = (v ?? 0) | item.value;
    return v;
  }
  return undefined;
}

/** An integer argument's value (also `htons(80)`-style wrappers and `~0U`-free plain ints). */
export function intValue(a: Arg | undefined): number | undefined {
  if (!a) return undefined;
  if (a.t === 'int') return a.value;
  if (a.t === 'call' && a.args.length === 1) return intValue(a.args[0]);
  if (a.t === 'fd') return a.fd;
  return undefined;
}

/** A string argument's decoded value, unless strace truncated it (a truncated path is not the path). */
export function strValue(a: Arg | undefined): string | undefined {
  if (!a || a.t !== 'str' || a.truncated) return undefined;
  return a.value;
}

/** The text of a symbol, or of an int as printed: for fields we report as strings (protocol, persona…). */
export function symText(a: Arg | undefined): string | undefined {
  if (!a) return undefined;
  switch (a.t) {
    case 'sym':
      return a.name;
    case 'int':
      return a.raw;
    case 'flags':
      return a.items.map((i) => symText(i) ?? '?').join('|');
    case 'raw':
      return a.text;
    default:
      return undefined;
  }
}

/**
 * strace prints some arguments as `name=value` (clone's `flags=…`, `child_stack=…`); depending on
 * the grammar they arrive as a struct field, an `op` with `=`, or positionally. Find one by name.
 */
export function namedArg(args: readonly Arg[], name: string): Arg | undefined {
  for (const a of args) {
    if (a.t === 'op' && a.op === '=' && a.left.t === 'sym' && a.left.name === name) return a.right;
    if (a.t === 'struct' && name in a.fields && Object.keys(a.fields).length === 1) return a.fields[name];
  }
  return undefined;
}

/** A struct field, looking through in/out wrappers (`{a=1 => 2}` keeps the value after the call). */
export function field(a: Arg | undefined, name: string): Arg | undefined {
  if (!a) return undefined;
  if (a.t === 'inout') return field(a.out, name) ?? field(a.in, name);
  if (a.t !== 'struct') return undefined;
  const f = a.fields[name];
  return f && f.t === 'inout' ? f.out : f;
}

/** The value an in/out argument holds after the call. */
export function outValue(a: Arg | undefined): Arg | undefined {
  return a && a.t === 'inout' ? a.out : a;
}

const MAX_EVIDENCE_TEXT = 200;

/**
 * Evidence excerpts end up in profiles and Pulumi state, so they must not carry data that may be a
 * secret: command lines and environments (execve), payloads (sendto, sendmsg), key material
 * (add_key), xattr values, mount options. Strings are shown only where they are path names: the
 * argument positions listed here ('all' = every string of the call is a path or a name); every
 * other string prints as "…", arrays of strings as their length.
 */
const EVIDENCE_STRINGS: Readonly<Record<string, readonly number[] | 'all'>> = {
  execve: [0],
  execveat: [1],
  setxattr: [0, 1],
  lsetxattr: [0, 1],
  fsetxattr: [1],
  getxattr: [0, 1],
  lgetxattr: [0, 1],
  fgetxattr: [1],
  setxattrat: [1, 3],
  getxattrat: [1, 3],
  mount: [0, 1, 2],
  ...Object.fromEntries(
    [
      'open',
      'openat',
      'openat2',
      'creat',
      'name_to_handle_at',
      'stat',
      'lstat',
      'newfstatat',
      'fstatat64',
      'statx',
      'statfs',
      'access',
      'faccessat',
      'faccessat2',
      'readlink',
      'readlinkat',
      'inotify_add_watch',
      'mkdir',
      'mkdirat',
      'mknod',
      'mknodat',
      'unlink',
      'unlinkat',
      'rmdir',
      'rename',
      'renameat',
      'renameat2',
      'link',
      'linkat',
      'symlink',
      'symlinkat',
      'truncate',
      'chmod',
      'fchmodat',
      'fchmodat2',
      'chown',
      'lchown',
      'fchownat',
      'utime',
      'utimes',
      'futimesat',
      'utimensat',
      'removexattr',
      'lremovexattr',
      'fremovexattr',
      'removexattrat',
      'listxattr',
      'llistxattr',
      'listxattrat',
      'chdir',
      'getcwd',
      'chroot',
      'umount',
      'umount2',
      'pivot_root',
      'move_mount',
      'mount_setattr',
      'swapon',
      'swapoff',
      'delete_module',
      'memfd_create',
      'mq_open',
      'mq_unlink',
    ].map((n) => [n, 'all' as const]),
  ),
};

/** Renders an argument back to strace-like text, for evidence excerpts (bounded; see EVIDENCE_STRINGS). */
export function formatArg(a: Arg, budget = 80, showStrings = true): string {
  switch (a.t) {
    case 'int':
      return a.raw;
    case 'sym':
      return a.name;
    case 'flags':
      return a.items.map((i) => formatArg(i, budget, showStrings)).join('|');
    case 'str': {
      if (!showStrings) return '"…"';
      const v = a.value.length > budget ? a.value.slice(0, budget) : a.value;
      return (
        (a.abstract ? '@' : '') + JSON.stringify(v) + (a.truncated || v.length < a.value.length ? '...' : '')
      );
    }
    case 'fd':
      return `${a.fd}<${a.path}>`;
    case 'call':
      return `${a.fn}(${a.args.map((x) => formatArg(x, 40, showStrings || a.fn.startsWith('inet_'))).join(', ')})`;
    case 'op':
      return `${formatArg(a.left, budget, showStrings)}${a.op === '=' ? '=' : ` ${a.op} `}${formatArg(a.right, budget, showStrings)}`;
    case 'array': {
      if (!showStrings && a.items.some((x) => x.t === 'str'))
        return `[/* ${a.items.length}${a.truncated ? '+' : ''} items */]`;
      const items = a.items.slice(0, 4).map((x) => formatArg(x, 40, showStrings));
      if (a.items.length > 4 || a.truncated) items.push('...');
      return `[${items.join(', ')}]`;
    }
    case 'set':
      return `${a.negated ? '~' : ''}[${a.items.join(' ')}]`;
    case 'struct': {
      const parts: string[] = [];
      let more = a.truncated;
      for (const k in a.fields) {
        if (parts.length === 4) {
          more = true;
          break;
        }
        const c = k.charCodeAt(0);
        const label = c >= 48 && c <= 57 ? '' : `${k}=`;
        // A socket path is an address, not data: always shown.
        parts.push(label + formatArg(a.fields[k]!, 40, showStrings || k === 'sun_path'));
      }
      if (more) parts.push('...');
      return `{${parts.join(', ')}}`;
    }
    case 'inout':
      return `[${formatArg(a.in, 40, showStrings)} => ${formatArg(a.out, 40, showStrings)}]`;
    case 'null':
      return 'NULL';
    case 'raw':
      return a.text;
  }
}

/**
 * Calls whose structs identify what was done (addresses, open flags, clone flags, policies). Other
 * structs (stat buffers, timespecs…) print as `{...}`: they say nothing a reader needs, and the
 * parser builds them lazily, so not touching them keeps evidence cheap.
 */
const EVIDENCE_STRUCTS: ReadonlySet<string> = new Set([
  'bind',
  'connect',
  'accept',
  'accept4',
  'sendto',
  'sendmsg',
  'sendmmsg',
  'openat2',
  'clone',
  'clone3',
  'sched_setattr',
  'mount_setattr',
]);

/**
 * The excerpt of a call (see {@link formatSyscall}) in three pieces, `head + mid + tail` before
 * truncation: `mid` is the first string argument shown (a file name, the part unique to the call),
 * `head` and `tail` what surrounds it. Consecutive calls on one directory share their head
 * (`newfstatat(7</usr/share/pam>, `) and most calls their tail (`, {...}, AT_SYMLINK_NOFOLLOW) = 0`),
 * so a summary can keep one copy of those (see the summarizer's evidence pieces). Without a shown
 * string argument, `mid` and `tail` are empty. Each piece is a string of its own.
 */
export function formatSyscallPieces(sc: Syscall): [head: string, mid: string, tail: string] {
  const policy = EVIDENCE_STRINGS[sc.name];
  const structs = EVIDENCE_STRUCTS.has(sc.name);
  const before: string[] = [sc.name, '('];
  let mid = '';
  const after: string[] = [];
  if (sc.args) {
    let len = 0;
    let into = before;
    for (let i = 0; i < sc.args.length && len < MAX_EVIDENCE_TEXT; i++) {
      const show = policy === 'all' || (policy !== undefined && policy.includes(i));
      const arg = sc.args[i]!;
      const text = arg.t === 'struct' && !structs ? '{...}' : formatArg(arg, 80, show);
      if (i > 0) into.push(', ');
      if (into === before && show && arg.t === 'str') {
        // formatArg of a string is JSON.stringify's fresh string: nothing of the event is kept
        mid = text;
        into = after;
      } else into.push(text);
      len += text.length + 2;
    }
  } else before.push('…');
  after.push(') = ', sc.ret.raw);
  if (sc.ret.fdPath !== undefined) after.push('<', sc.ret.fdPath, '>');
  if (sc.ret.errno) after.push(' ', sc.ret.errno);
  // join() copies into one flat string: the pieces outlive the event, and must not keep what
  // they were cut from (some are slices of a 64 KiB log chunk) alive with them
  if (mid === '') return [before.concat(after).join(''), '', ''];
  return [before.join(''), mid, after.join('')];
}

/** The excerpt from its pieces ({@link formatSyscallPieces}), bounded to MAX_EVIDENCE_TEXT chars. */
export function joinSyscallPieces(head: string, mid: string, tail: string): string {
  const text = mid === '' && tail === '' ? head : [head, mid, tail].join('');
  return text.length > MAX_EVIDENCE_TEXT ? [text.slice(0, MAX_EVIDENCE_TEXT - 1), '…'].join('') : text;
}

/** A short strace-like excerpt of a call: `openat(AT_FDCWD, "/etc/x", O_RDWR) = 3`, secrets elided; a flat string of its own. */
export function formatSyscall(sc: Syscall): string {
  const [head, mid, tail] = formatSyscallPieces(sc);
  return joinSyscallPieces(head, mid, tail);
}
