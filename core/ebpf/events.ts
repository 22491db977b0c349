/**
 * A kernel record (record.ts) → the event strace's parser would have produced for the same call
 * under `strace -f -y -xx` (core/strace types), so core/summary summarizes both the same way:
 * the same handlers, the same path rule (a `..` climbs only over a base the kernel printed).
 *
 * Decorations are the kernel's: the path of a file as walked from its dentry up to the process's
 * root, `socket:[inode]` for a socket, a pseudo name (no path) for pipes and anonymous inodes.
 * What the kernel side could not read is never guessed: a path cut at the record's limit is a
 * truncated string (no action), an unreadable pointer an address (RunInfo.unreadableArgs), a
 * decoration deeper than the record holds an unknown object; `unreadable` counts the last kind.
 */
import { isIPv4 } from 'node:net';
import { stringFromInvalidUtf8 } from '../strace/bytes';
import type { Arg, Syscall, SyscallReturn } from '../strace/types';
import {
  ACCESS_MODES,
  ADDRESS_FAMILIES,
  AT_FLAGS,
  CLOCKS,
  CLONE_FLAGS,
  errnoName,
  FCNTL_DUP,
  IP_PROTOCOLS,
  MAP_FLAGS,
  MFD_FLAGS,
  MOUNT_FLAGS,
  MOVE_MOUNT_FLAGS,
  NETLINK_PROTOCOLS,
  O_TMPFILE_BITS,
  OPEN_FLAGS,
  PROT_FLAGS,
  RENAME_FLAGS,
  SCHED_POLICIES,
  SHMAT_FLAGS,
  SHMGET_FLAGS,
  SIGNALS,
  SOCK_FLAGS,
  SOCK_TYPES,
  type BitNames,
} from './constants';
import { STR_CUT, STR_FAULT, STR_NULL, type KernelRecord, type RecordDecoration } from './record';
import { SIGNATURES, syscallNameOf, type ArgKind } from './signatures';

const AT_FDCWD = -100;

const int = (value: number, raw = String(value)): Arg => ({ t: 'int', value, raw });
const sym = (name: string, path?: string): Arg =>
  path === undefined ? { t: 'sym', name } : { t: 'sym', name, path };
const PTR: Arg = { t: 'struct', fields: {}, truncated: true };

/** Bytes as the summary keeps paths: UTF-8, other bytes as U+DC80+byte (core/strace/bytes.ts). */
export function textOf(b: Buffer): string {
  const s = b.toString('utf8');
  return Buffer.byteLength(s) === b.length && !s.includes('\ufffd')
    ? s
    : stringFromInvalidUtf8(b, 0, b.length);
}

function flagsArg(v: number, table: BitNames, first: string[] = [], zero = '0'): Arg {
  const items: Arg[] = first.map((n) => sym(n));
  let rest = v >>> 0;
  for (const [bit, name] of table) {
    if ((rest & bit) === bit && bit !== 0) {
      items.push(sym(name));
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) items.push(int(rest, '0x' + rest.toString(16)));
  if (items.length === 0) return zero === '0' ? int(0) : sym(zero);
  return items.length === 1 ? items[0]! : { t: 'flags', items };
}

function openFlags(v: number): Arg {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][v & 3]!;
  let rest = v & ~3;
  const first = [acc];
  if ((rest & O_TMPFILE_BITS) === O_TMPFILE_BITS) {
    first.push('O_TMPFILE');
    rest &= ~O_TMPFILE_BITS;
  }
  return flagsArg(rest, OPEN_FLAGS, first);
}

function sockType(v: number): Arg {
  const t = SOCK_TYPES[v & 0xf];
  return flagsArg(v & ~0xf, SOCK_FLAGS, t ? [t] : [], '0');
}

function ipv6Text(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** A socket address as strace prints it (the fields core/summary's parseSockaddr reads). */
function sockaddrArg(sa: Buffer, ptr: bigint): Arg {
  if (ptr === 0n) return { t: 'null' };
  if (sa.length < 2) return int(Number(ptr), '0x' + ptr.toString(16)); // unreadable: an address
  const fam = sa.readUInt16LE(0);
  const family = sym(ADDRESS_FAMILIES[fam] ?? String(fam));
  const fields: Record<string, Arg> = { sa_family: family };
  if (fam === 2 && sa.length >= 8) {
    const addr = `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}`;
    fields.sin_port = { t: 'call', fn: 'htons', args: [int(sa.readUInt16BE(2))] };
    if (isIPv4(addr))
      fields.sin_addr = { t: 'call', fn: 'inet_addr', args: [{ t: 'str', value: addr, truncated: false }] };
  } else if (fam === 10 && sa.length >= 24) {
    fields.sin6_port = { t: 'call', fn: 'htons', args: [int(sa.readUInt16BE(2))] };
    fields.sin6_flowinfo = { t: 'call', fn: 'htonl', args: [int(sa.readUInt32BE(4))] };
    fields.sin6_addr = {
      t: 'call',
      fn: 'inet_pton',
      args: [
        sym('AF_INET6'),
        { t: 'str', value: ipv6Text(sa.subarray(8, 24)), truncated: false },
        sym('&sin6_addr'),
      ],
    };
  } else if (fam === 1 && sa.length > 2) {
    const body = sa.subarray(2);
    if (body[0] === 0) {
      fields.sun_path = { t: 'str', value: textOf(body.subarray(1)), truncated: false, abstract: true };
    } else {
      const nul = body.indexOf(0);
      fields.sun_path = { t: 'str', value: textOf(nul < 0 ? body : body.subarray(0, nul)), truncated: false };
    }
  }
  return { t: 'struct', fields, truncated: false };
}

export interface EventContext {
  /** Decorations the kernel side could not complete (deeper than the record holds). */
  unreadable: number;
}

function decorationText(d: RecordDecoration, ctx: EventContext): string | undefined {
  switch (d.kind) {
    case 'path':
      return '/' + d.components.map(textOf).join('/');
    case 'socket':
      return `socket:[${d.ino}]`;
    case 'pseudo':
      return `anon_inode:[${d.ino}]`;
    case 'cut':
      ctx.unreadable++;
      return 'unknown:[cut]';
    default:
      return undefined;
  }
}

function fdArg(v: number, d: RecordDecoration, ctx: EventContext, dirfd: boolean): Arg {
  const text = decorationText(d, ctx);
  if (dirfd && v === AT_FDCWD) return sym('AT_FDCWD', text);
  return text === undefined ? int(v) : { t: 'fd', fd: v, path: text };
}

function strArg(r: KernelRecord, j: number): Arg {
  const s = r.strs[j]!;
  if (s.flags & STR_NULL) return { t: 'null' };
  if (s.flags & STR_FAULT) return int(0x1, '0x1'); // an address strace could not read either
  return { t: 'str', value: textOf(s.bytes), truncated: (s.flags & STR_CUT) !== 0 };
}

const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
const u64n = (v: bigint): number => Number(BigInt.asUintN(64, v));

/** A value argument (flags, numbers, names) as strace prints it. */
function valueArg(kind: ArgKind, v: bigint, r: KernelRecord, i: number): Arg {
  switch (kind) {
    case 'int':
    case 'salen':
      return int(s32(v));
    case 'len':
    case 'salenp':
      return int(u64n(v));
    case 'ptr':
      return v === 0n ? { t: 'null' } : PTR;
    case 'argv':
      return { t: 'array', items: [], truncated: true };
    case 'open':
      return openFlags(s32(v));
    case 'at':
      return flagsArg(s32(v), AT_FLAGS);
    case 'amode':
      return flagsArg(s32(v), ACCESS_MODES, [], 'F_OK');
    case 'family':
      return sym(ADDRESS_FAMILIES[s32(v)] ?? String(s32(v)));
    case 'socktype':
      return sockType(s32(v));
    case 'proto': {
      const fam = s32(r.args[0]!);
      const p = s32(v);
      const n = fam === 2 || fam === 10 ? IP_PROTOCOLS[p] : fam === 16 ? NETLINK_PROTOCOLS[p] : undefined;
      return n ? sym(n) : int(p);
    }
    case 'clone': {
      const x = u64n(v);
      const sig = x & 0xff;
      const sigName = sig && SIGNALS[sig] ? [SIGNALS[sig]!] : [];
      return flagsArg(x & ~0xff, CLONE_FLAGS, sigName);
    }
    case 'prot':
      return flagsArg(s32(v), PROT_FLAGS, [], 'PROT_NONE');
    case 'mapflags':
      return flagsArg(s32(v), MAP_FLAGS);
    case 'rename':
      return flagsArg(s32(v), RENAME_FLAGS);
    case 'clock':
      return CLOCKS[s32(v)] ? sym(CLOCKS[s32(v)]!) : int(s32(v));
    case 'mount':
      return flagsArg(u64n(v), MOUNT_FLAGS);
    case 'mfd':
      return flagsArg(s32(v), MFD_FLAGS);
    case 'shmget':
      return flagsArg(s32(v) & ~0o777, SHMGET_FLAGS);
    case 'shmat':
      return flagsArg(s32(v), SHMAT_FLAGS);
    case 'sched': {
      const p = SCHED_POLICIES[s32(v) & ~0x40000000];
      return p ? sym(p) : int(s32(v));
    }
    case 'signal': {
      const n = s32(v);
      return n > 0 && n < SIGNALS.length
        ? sym(SIGNALS[n]!)
        : n >= 32 && n <= 64
          ? sym(`SIGRT_${n - 32}`)
          : int(n);
    }
    case 'fcntl':
      return FCNTL_DUP[s32(v)] ? sym(FCNTL_DUP[s32(v)]!) : int(s32(v));
    case 'movemount':
      return flagsArg(s32(v), MOVE_MOUNT_FLAGS);
    case 'sockopt':
      return i === 1
        ? s32(v) === 41
          ? sym('SOL_IPV6')
          : int(s32(v))
        : s32(v) === 26
          ? sym('IPV6_V6ONLY')
          : int(s32(v));
    default:
      throw new Error(`no reader for argument kind ${kind}`);
  }
}

/** A small struct the kernel side copied (`extra`). */
function structArg(kind: ArgKind, r: KernelRecord): Arg {
  switch (kind) {
    case 'optval':
      return r.extra.length >= 4
        ? { t: 'array', items: [int(r.extra.readInt32LE(0))], truncated: false }
        : PTR;
    case 'pair':
      return r.extra.length >= 8
        ? {
            t: 'array',
            items: [int(r.extra.readInt32LE(0)), int(r.extra.readInt32LE(4))],
            truncated: false,
          }
        : PTR;
    case 'openhow':
      return r.extra.length >= 24
        ? {
            t: 'struct',
            fields: {
              flags: openFlags(Number(r.extra.readBigUInt64LE(0) & 0xffffffffn)),
              mode: int(Number(r.extra.readBigUInt64LE(8) & 0xffffn)),
              resolve: int(Number(r.extra.readBigUInt64LE(16) & 0xffffn)),
            },
            truncated: false,
          }
        : PTR;
    case 'cloneargs':
      return r.extra.length >= 8
        ? {
            t: 'struct',
            fields: { flags: flagsArg(u64n(r.extra.readBigUInt64LE(0)), CLONE_FLAGS) },
            truncated: true,
          }
        : PTR;
    case 'schedattr': {
      const p = r.extra.length >= 8 ? SCHED_POLICIES[r.extra.readUInt32LE(4) & ~0x40000000] : undefined;
      return r.extra.length >= 8
        ? {
            t: 'struct',
            fields: { sched_policy: p ? sym(p) : int(r.extra.readUInt32LE(4)) },
            truncated: true,
          }
        : PTR;
    }
    case 'mountattr':
      return r.extra.length >= 24
        ? {
            t: 'struct',
            fields: { propagation: flagsArg(u64n(r.extra.readBigUInt64LE(16)), MOUNT_FLAGS) },
            truncated: true,
          }
        : PTR;
    default:
      return PTR;
  }
}

/** A socket address, alone or in a message header. */
function addressArg(kind: ArgKind, v: bigint, r: KernelRecord): Arg {
  switch (kind) {
    case 'sockaddr':
    case 'sockout':
      return sockaddrArg(r.sa, v);
    case 'msghdr':
      return { t: 'struct', fields: { msg_name: sockaddrArg(r.sa, 1n) }, truncated: true };
    case 'mmsghdr':
      return {
        t: 'array',
        items: [
          {
            t: 'struct',
            fields: {
              msg_hdr: { t: 'struct', fields: { msg_name: sockaddrArg(r.sa, 1n) }, truncated: true },
            },
            truncated: true,
          },
        ],
        truncated: true,
      };
    default:
      return PTR;
  }
}

const STRUCT_KINDS: ReadonlySet<ArgKind> = new Set<ArgKind>([
  'optval',
  'pair',
  'openhow',
  'cloneargs',
  'schedattr',
  'mountattr',
]);
const ADDRESS_KINDS: ReadonlySet<ArgKind> = new Set<ArgKind>(['sockaddr', 'sockout', 'msghdr', 'mmsghdr']);

/** The event for one record, or undefined for a number no signature decodes. */
export function eventOf(r: KernelRecord, line: number, ctx: EventContext): Syscall | undefined {
  const name = syscallNameOf(r.nr);
  const sig = SIGNATURES[name];
  if (!sig) return undefined;
  const args: Arg[] = [];
  let str = 0;
  let fd = 0;
  sig.args.forEach((kind: ArgKind, i) => {
    const v = r.args[i]!;
    if (kind === 'fd' || kind === 'dirfd') args.push(fdArg(s32(v), r.decs[fd++]!, ctx, kind === 'dirfd'));
    else if (kind === 'path' || kind === 'cwdbuf') args.push(strArg(r, str++));
    else if (STRUCT_KINDS.has(kind)) args.push(structArg(kind, r));
    else if (ADDRESS_KINDS.has(kind)) args.push(addressArg(kind, v, r));
    else args.push(valueArg(kind, v, r, i));
  });
  const retValue = Number(r.ret);
  const ret: SyscallReturn =
    r.ret < 0n && r.ret >= -4095n
      ? { value: -1, raw: '-1', errno: errnoName(-retValue) }
      : { value: retValue, raw: r.ret.toString() };
  if (sig.retFd && ret.errno === undefined) {
    const text = decorationText(r.decs[2]!, ctx);
    if (text !== undefined) ret.fdPath = text;
  }
  return { type: 'syscall', pid: r.tgid, name, args, ret, line };
}
