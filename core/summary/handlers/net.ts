/**
 * Network handlers: socket creation (RestrictAddressFamilies), and bind/connect/accept/listen/send
 * with addresses (SocketBind*, IPAddress*, PrivateNetwork). The socket's family and type come from
 * the fd table filled at socket()/socketpair()/accept(), since bind/connect only carry an address.
 */
import type { Arg } from '../../strace/types';
import { field, flagNames, hasFlag, intValue, outValue, strValue, symText } from '../argReaders';
import type { HandlerContext, HandlerTable } from '../handler';
import { objectOf } from '../paths';
import type { SocketInfo } from '../process';

/** The socket type of a `SOCK_STREAM|SOCK_CLOEXEC` argument (the flags are not the type). */
export function socketType(a: Arg | undefined): string {
  for (const n of flagNames(a)) if (n !== 'SOCK_CLOEXEC' && n !== 'SOCK_NONBLOCK') return n;
  return symText(a) ?? 'unknown';
}

export interface SockAddr {
  family: string;
  address?: string;
  port?: number;
  /** AF_UNIX path (non-abstract), for the path action. */
  unixPath?: string;
}

/** Read a struct sockaddr as strace prints it. Undefined for NULL or a bare pointer. */
export function parseSockaddr(a: Arg | undefined): SockAddr | undefined {
  a = outValue(a);
  if (!a || a.t !== 'struct') return undefined;
  // sockaddr_in/in6/un print `sa_family`, netlink `nl_family`, packet `sll_family`…
  let familyArg = a.fields['sa_family'];
  if (!familyArg) {
    for (const [k, v] of Object.entries(a.fields)) if (k.endsWith('_family')) familyArg = v;
  }
  const family = symText(familyArg);
  if (!family) return undefined;
  const out: SockAddr = { family };
  if (family === 'AF_INET') {
    const port = intValue(a.fields['sin_port']);
    if (port !== undefined) out.port = port;
    const addr = a.fields['sin_addr'];
    if (addr?.t === 'call') {
      const s = strValue(addr.args[0]);
      if (s !== undefined) out.address = s;
    }
  } else if (family === 'AF_INET6') {
    const port = intValue(a.fields['sin6_port']);
    if (port !== undefined) out.port = port;
    for (const v of Object.values(a.fields)) {
      if (v.t === 'call' && v.fn === 'inet_pton') {
        const s = strValue(v.args[1]);
        if (s !== undefined) out.address = s;
      }
    }
  } else if (family === 'AF_UNIX') {
    const p = a.fields['sun_path'];
    const s = unixSocketPath(p);
    if (s !== undefined) {
      out.address = s;
      if (!s.startsWith('@')) out.unixPath = s;
    }
  }
  return out;
}

/** sun_path: a string; an abstract name (`@"…"`) is kept with a leading `@`. */
function unixSocketPath(p: Arg | undefined): string | undefined {
  if (!p || p.t !== 'str' || p.truncated) return undefined;
  return p.abstract ? '@' + p.value : p.value;
}

/**
 * The IPv4 address an IPv6 address also stands for on a dual-stack socket: `::` is every IPv4
 * address too, `::ffff:a.b.c.d` is a.b.c.d.
 */
export function ipv4Mirror(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  if (address === '::') return '0.0.0.0';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : undefined;
}

type NetOp = 'bind' | 'connect' | 'accept' | 'listen' | 'send';

function netAction(c: HandlerContext, op: NetOp, sock: SocketInfo | undefined, sa: SockAddr): void {
  const base = { kind: 'net' as const, op, ...(sock ? { type: sock.type } : {}) };
  // A dual-stack AF_INET6 socket (IPV6_V6ONLY off: explicitly, or by the host default) also
  // speaks IPv4: `::` and `::ffff:…` addresses count as the IPv4 ones for IPv4 deny lists.
  if (sa.family === 'AF_INET6') {
    const v6only = sock?.v6only ?? c.bindv6only;
    const v4 = ipv4Mirror(sa.address);
    if (v4 !== undefined && !v6only) {
      c.emit({
        ...base,
        family: 'AF_INET',
        address: v4,
        ...(sa.port !== undefined ? { port: sa.port } : {}),
      });
    }
  }
  c.emit({
    ...base,
    family: sa.family,
    ...(sa.address !== undefined ? { address: sa.address } : {}),
    ...(sa.port !== undefined ? { port: sa.port } : {}),
  });
}

function sockOf(c: HandlerContext, fd: Arg | undefined): SocketInfo | undefined {
  return c.fdEntry(fd)?.socket;
}

function addressed(c: HandlerContext, op: NetOp, fd: Arg | undefined, addr: Arg | undefined): void {
  const sa = parseSockaddr(addr);
  const sock = sockOf(c, fd);
  if (!sa && addr?.t === 'int' && addr.value !== 0) {
    // strace could not read the address (the process changed its credentials): the call still
    // happened, on a socket whose family the fd table knows. Without an address or a port it
    // counts as "any" (SocketBindAllow= keeps the whole family and protocol, IPAddressDeny= is
    // not proven); dropping it would deny what the service does.
    c.noteUnreadable();
    if (sock && sock.family !== 'unknown') netAction(c, op, sock, { family: sock.family });
    return;
  }
  if (!sa || sa.family === 'AF_UNSPEC') return;
  // A filesystem socket: binding creates the node, connecting/sending reaches it.
  const path =
    sa.unixPath !== undefined ? c.resolvePath({ t: 'str', value: sa.unixPath, truncated: false }) : undefined;
  netAction(c, op, sock, path !== undefined ? { ...sa, address: path } : sa);
  if (sa.unixPath !== undefined) c.emitPath(op === 'bind' ? 'create' : 'read', path);
  if (op === 'bind' && sock) {
    sock.boundAddress = sa.address;
    sock.boundPort = sa.port;
  }
}

function newSocket(
  c: HandlerContext,
  family: Arg | undefined,
  type: Arg | undefined,
  protocol: Arg | undefined,
): SocketInfo {
  const info: SocketInfo = { family: symText(family) ?? 'unknown', type: socketType(type) };
  c.emit({ kind: 'socket', family: info.family, type: info.type, protocol: symText(protocol) ?? '0' });
  return info;
}

export const netHandlers: HandlerTable = {
  socket: (c) => {
    const info = newSocket(c, c.args[0], c.args[1], c.args[2]);
    const fd = c.returnedFd();
    if (fd !== undefined)
      c.proc.files.set(fd, {
        socket: info,
        cloexec: hasFlag(c.args[1], 'SOCK_CLOEXEC'),
        ...objectOf(c.sc.ret.fdPath),
      });
  },
  socketpair: (c) => {
    const info = newSocket(c, c.args[0], c.args[1], c.args[2]);
    const fds = outValue(c.args[3]);
    if (fds?.t === 'array' && c.sc.ret.value === 0) {
      for (const item of fds.items) {
        const fd = c.fdNumber(item);
        if (fd !== undefined)
          c.proc.files.set(fd, {
            socket: { ...info },
            cloexec: hasFlag(c.args[1], 'SOCK_CLOEXEC'),
            ...objectOf(item.t === 'fd' ? item.path : undefined),
          });
      }
    }
  },
  bind: (c) => addressed(c, 'bind', c.args[0], c.args[1]),
  connect: (c) => addressed(c, 'connect', c.args[0], c.args[1]),
  accept: (c) => accept(c),
  accept4: (c) => accept(c),
  listen: (c) => {
    const sock = sockOf(c, c.args[0]);
    if (!sock) {
      c.emit({ kind: 'net', op: 'listen', family: 'unknown' });
      return;
    }
    netAction(c, 'listen', sock, {
      family: sock.family,
      ...(sock.boundAddress !== undefined ? { address: sock.boundAddress } : {}),
      ...(sock.boundPort !== undefined ? { port: sock.boundPort } : {}),
    });
  },
  sendto: (c) => addressed(c, 'send', c.args[0], c.args[4]),
  sendmsg: (c) => addressed(c, 'send', c.args[0], field(c.args[1], 'msg_name')),
  sendmmsg: (c) => {
    const msgs = c.args[1];
    if (msgs?.t !== 'array') return;
    for (const m of msgs.items) addressed(c, 'send', c.args[0], field(field(m, 'msg_hdr'), 'msg_name'));
  },
  setsockopt: (c) => {
    // Only IPV6_V6ONLY matters: it decides whether an AF_INET6 socket also speaks IPv4.
    if (!hasFlag(c.args[2], 'IPV6_V6ONLY')) return;
    const sock = sockOf(c, c.args[0]);
    const v = c.args[3];
    const val = v?.t === 'array' ? intValue(v.items[0]) : intValue(v);
    if (sock && val !== undefined) sock.v6only = val !== 0;
  },
};

function accept(c: HandlerContext): void {
  const listening = sockOf(c, c.args[0]);
  const sa = parseSockaddr(c.args[1]);
  // The peer's port is its ephemeral source port: noise that would make every connection a new
  // action. The peer address is what IP allow/deny lists are about.
  const addr = c.args[1];
  if (!sa && addr?.t === 'int' && addr.value !== 0) c.noteUnreadable();
  if (sa && sa.family !== 'AF_UNSPEC') {
    netAction(c, 'accept', listening, {
      family: sa.family,
      ...(sa.address !== undefined ? { address: sa.address } : {}),
    });
  } else
    c.emit({
      kind: 'net',
      op: 'accept',
      family: listening?.family ?? 'unknown',
      ...(listening ? { type: listening.type } : {}),
    });
  const fd = c.returnedFd();
  if (fd !== undefined && listening) {
    c.proc.files.set(fd, {
      socket: {
        family: listening.family,
        type: listening.type,
        ...(listening.v6only !== undefined ? { v6only: listening.v6only } : {}),
      },
      cloexec: hasFlag(c.args[3], 'SOCK_CLOEXEC'),
      ...objectOf(c.sc.ret.fdPath),
    });
  }
}
