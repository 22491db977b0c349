import { actionList, summarizeLines } from '../testHelpers';
import { ipv4Mirror } from './net';

const run = (lines: string[], opts: { bindv6only?: boolean } = {}) =>
  actionList(summarizeLines(lines, { cwd: '/srv', ...opts }));

describe('sockets', () => {
  it('records socket family, type without SOCK_CLOEXEC/NONBLOCK, and protocol', () => {
    expect(run(['1 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP) = 3'])).toEqual([
      'socket AF_INET SOCK_STREAM IPPROTO_TCP',
    ]);
  });

  it('knows the socket type at bind/connect from the fd table', () => {
    expect(
      run([
        '1 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 3<socket:[1]>',
        '1 bind(3<socket:[1]>, {sa_family=AF_INET, sin_port=htons(5353), sin_addr=inet_addr("0.0.0.0")}, 16) = 0',
        '1 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4',
        '1 connect(4, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("93.184.216.34")}, 16) = -1 EINPROGRESS (Operation now in progress)',
      ]),
    ).toEqual([
      'socket AF_INET SOCK_DGRAM IPPROTO_IP',
      'net bind AF_INET 0.0.0.0:5353 SOCK_DGRAM',
      'socket AF_INET SOCK_STREAM IPPROTO_IP',
      'net connect AF_INET 93.184.216.34:443 SOCK_STREAM',
    ]);
  });

  it('counts a dual-stack bind of :: as IPv4 too', () => {
    expect(
      run([
        '1 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3',
        '1 bind(3, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        '1 listen(3, 128) = 0',
      ]),
    ).toEqual([
      'socket AF_INET6 SOCK_STREAM IPPROTO_IP',
      'net bind AF_INET 0.0.0.0:80 SOCK_STREAM',
      'net bind AF_INET6 :::80 SOCK_STREAM',
      'net listen AF_INET 0.0.0.0:80 SOCK_STREAM',
      'net listen AF_INET6 :::80 SOCK_STREAM',
    ]);
  });

  it('does not add IPv4 for an IPV6_V6ONLY socket, or when the host has bindv6only=1', () => {
    const bind =
      '1 bind(3, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::", &sin6_addr), sin6_scope_id=0}, 28) = 0';
    expect(
      run([
        '1 socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 3',
        '1 setsockopt(3, SOL_IPV6, IPV6_V6ONLY, [1], 4) = 0',
        bind,
      ]),
    ).toEqual(['socket AF_INET6 SOCK_STREAM IPPROTO_IP', 'net bind AF_INET6 :::80 SOCK_STREAM']);
    expect(run(['1 socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 3', bind], { bindv6only: true })).toEqual([
      'socket AF_INET6 SOCK_STREAM IPPROTO_IP',
      'net bind AF_INET6 :::80 SOCK_STREAM',
    ]);
  });

  it('maps IPv4-mapped IPv6 peers of accept to IPv4 and gives the new fd the listening socket type', () => {
    expect(
      run([
        '1 socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 3',
        '1 accept4(3, {sa_family=AF_INET6, sin6_port=htons(40000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:10.0.0.7", &sin6_addr), sin6_scope_id=0}, [28], SOCK_CLOEXEC) = 4',
        '1 sendto(4, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("10.0.0.8")}, 16) = 1',
      ]),
    ).toEqual([
      'socket AF_INET6 SOCK_STREAM IPPROTO_IP',
      'net accept AF_INET 10.0.0.7:* SOCK_STREAM',
      'net accept AF_INET6 ::ffff:10.0.0.7:* SOCK_STREAM',
      'net send AF_INET 10.0.0.8:9 SOCK_STREAM',
    ]);
  });

  it('records unix sockets: bind creates the node, connect reaches it, abstract names have no path', () => {
    expect(
      run([
        '1 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3',
        '1 bind(3, {sa_family=AF_UNIX, sun_path="/run/app.sock"}, 110) = 0',
        '1 connect(3, {sa_family=AF_UNIX, sun_path="rel.sock"}, 110) = 0',
        '1 bind(3, {sa_family=AF_UNIX, sun_path=@"abs"}, 6) = 0',
      ]),
    ).toEqual([
      'socket AF_UNIX SOCK_STREAM 0',
      'net bind AF_UNIX /run/app.sock:* SOCK_STREAM',
      'create /run/app.sock',
      'net connect AF_UNIX /srv/rel.sock:* SOCK_STREAM',
      'read /srv/rel.sock',
      'net bind AF_UNIX @abs:* SOCK_STREAM',
    ]);
  });

  it('reads the destination of sendmsg from msg_name, and socketpair fds get the pair type', () => {
    expect(
      run([
        '1 socketpair(AF_UNIX, SOCK_DGRAM, 0, [3, 4]) = 0',
        '1 sendmsg(3, {msg_name={sa_family=AF_UNIX, sun_path="/dev/log"}, msg_namelen=110, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, MSG_NOSIGNAL) = 1',
        '1 sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 1',
      ]),
    ).toEqual(['socket AF_UNIX SOCK_DGRAM 0', 'net send AF_UNIX /dev/log:* SOCK_DGRAM', 'read /dev/log']);
  });

  it('takes an inherited socket’s family and type from a -yy decoration (socket activation)', () => {
    expect(
      run([
        '1 accept4(3<TCPv6:[[::]:80]>, {sa_family=AF_INET6, sin6_port=htons(5000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::9", &sin6_addr), sin6_scope_id=0}, [28], SOCK_CLOEXEC) = 4<TCPv6:[[::1]:80->[2001:db8::9]:5000]>',
        '1 sendto(5<UDP:[0.0.0.0:68]>, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(67), sin_addr=inet_addr("255.255.255.255")}, 16) = 1',
      ]),
    ).toEqual([
      'net accept AF_INET6 2001:db8::9:* SOCK_STREAM',
      'net send AF_INET 255.255.255.255:67 SOCK_DGRAM',
    ]);
  });

  it('records netlink binds by family', () => {
    expect(
      run([
        '1 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3',
        '1 bind(3, {nl_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 0',
      ]),
    ).toEqual(['socket AF_NETLINK SOCK_RAW NETLINK_ROUTE', 'net bind AF_NETLINK SOCK_RAW']);
  });
});

describe('ipv4Mirror', () => {
  it('maps :: and ::ffff:a.b.c.d and nothing else', () => {
    expect(ipv4Mirror('::')).toBe('0.0.0.0');
    expect(ipv4Mirror('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(ipv4Mirror('::1')).toBeUndefined();
    expect(ipv4Mirror('2001:db8::1')).toBeUndefined();
  });
});
