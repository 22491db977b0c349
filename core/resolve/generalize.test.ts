/**
 * Resolver cases from the generalization corpus (test/host/corpus) on the Debian 13 VM: a daemon
 * whose privilege drop put its memory out of strace's reach (memcached, from a real trace), and a
 * load balancer that chroots and drops privileges in its workers and is reloaded (haproxy: the
 * calls below are the evidence lines of its profile).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStraceText } from '../strace';
import { HANDLED_SYSCALLS } from '../summary/handlers';
import { createSummarizer } from '../summary/summarizer';
import type { Action } from '../summary/actions';
import { resolve } from './index';
import { act, chosen, facts257, profileOf, rejected, withUnit } from './testkit';

/** Debian 13's memcached.service (the properties that matter here, as `systemctl show` prints them). */
const MEMCACHED_UNIT = {
  CapabilityBoundingSet: 'cap_setgid cap_setuid cap_sys_resource',
  RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
  NoNewPrivileges: 'yes',
  ProtectSystem: 'full',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
};

function memcachedProfile() {
  const file = join(__dirname, '..', 'summary', 'fixtures', 'memcached-dropped.strace613.strace');
  const { events } = parseStraceText(readFileSync(file, 'utf8'), {
    fullParse: (n) => HANDLED_SYSCALLS.has(n),
  });
  const s = createSummarizer({ cwd: '/', source: 'memcached' });
  for (const e of events) s.push(e);
  return s.finish();
}

describe('a trace that lost sight of the service after its privilege drop (memcached)', () => {
  const p = resolve(memcachedProfile(), withUnit(MEMCACHED_UNIT));

  it('never denies the families it binds (the dual-stack bind that failed with EPERM)', () => {
    const denied = (chosen(p, 'SocketBindDeny') ?? '').split(' ');
    expect(denied).not.toContain('ipv4:tcp');
    expect(denied).not.toContain('ipv6:tcp');
    expect(chosen(p, 'SocketBindAllow')).toBeUndefined();
  });

  it('rests no path option on it: the paths after the drop are unknown', () => {
    const strict = rejected(p, 'ProtectSystem', 'strict');
    expect(strict?.why).toMatch(/could not read \d+ path or address argument/);
    expect(chosen(p, 'ProtectSystem')).toBe('full'); // the unit's own, kept
    expect(chosen(p, 'ProtectHome')).toBeUndefined();
    expect(rejected(p, 'DevicePolicy', 'closed')?.why).toMatch(/could not read/);
  });

  it('standard mode: SocketBindAllow keeps both whole families (no port is known)', () => {
    const std = resolve(memcachedProfile(), withUnit(MEMCACHED_UNIT), { mode: 'standard' });
    expect(chosen(std, 'SocketBindAllow')).toBe('ipv4:tcp ipv6:tcp');
    expect(rejected(std, 'IPAddressDeny', 'any')).toBeDefined();
  });
});

describe('chroot and privilege drop without prctl (haproxy workers)', () => {
  let line = 0;
  const ev = (pid: number, syscall: string, text: string) => ({ pid, line: ++line, syscall, text });
  const actions: Action[] = [
    {
      kind: 'mount',
      op: 'chroot',
      propagatesToHost: false,
      target: '/var/lib/haproxy',
      ev: ev(3944, 'chroot', 'chroot("/var/lib/haproxy") = 0'),
    },
    { kind: 'setCredentials', call: 'setgid', ev: ev(3944, 'setgid', 'setgid(107) = 0') },
    { kind: 'setCredentials', call: 'setuid', ev: ev(3944, 'setuid', 'setuid(104) = 0') },
  ];
  const syscalls = { chroot: 2, setgid: 1, setuid: 1, setgroups: 1 };
  const caps = (extra: Record<string, number> = {}) =>
    (
      chosen(resolve(profileOf(actions, { ...syscalls, ...extra }), facts257()), 'CapabilityBoundingSet') ??
      ''
    ).split(/[\s~]+/);

  it('chroot keeps CAP_SYS_CHROOT, not CAP_SYS_ADMIN (chroot(2) checks only the former)', () => {
    const dropped = caps();
    expect(dropped).toContain('CAP_SYS_ADMIN');
    expect(dropped).not.toContain('CAP_SYS_CHROOT');
  });

  it('CAP_SETPCAP goes when no prctl was called, stays when one was (PR_CAPBSET_DROP hides there)', () => {
    expect(caps()).toContain('CAP_SETPCAP');
    expect(caps({ prctl: 1 })).not.toContain('CAP_SETPCAP');
    expect(caps()).not.toContain('CAP_SETUID');
  });
});

describe('advice: identity and ownership changes are printed, never applied', () => {
  it('a root service that used no root power gets DynamicUser= advice with its evidence and steps', () => {
    const p = resolve(
      profileOf([
        act.socket('AF_INET'),
        act.net('bind', 'AF_INET', '127.0.0.1', 80, 'SOCK_STREAM'),
        act.path('create', '/var/lib/app/state.db'),
      ]),
      facts257(),
    );
    const a = p.advice?.find((x) => x.option === 'DynamicUser');
    expect(a?.value).toBe('yes');
    expect(a?.evidence.join('\n')).toMatch(/binds ports below 1024: 80/);
    expect(a?.steps.join('\n')).toMatch(/AmbientCapabilities=CAP_NET_BIND_SERVICE/);
    expect(a?.steps.join('\n')).toMatch(/StateDirectory=app/);
    // never in the drop-in's options
    expect(p.chosen.map((d) => d.option)).not.toContain('DynamicUser');
    expect(p.chosen.map((d) => d.option)).not.toContain('User');
  });

  it('a service that changes credentials gets no identity advice', () => {
    const p = resolve(profileOf([act.setCredentials('setuid')], { setuid: 1 }), facts257());
    expect(p.advice ?? []).toEqual([]);
  });
});

describe('IPAddressDeny for a load balancer on the loopback (haproxy)', () => {
  it('a health check bound to 0.0.0.0:0 before connecting to a loopback backend serves nothing', () => {
    const p = resolve(
      profileOf([
        act.socket('AF_INET'),
        act.net('bind', 'AF_INET', '127.0.0.1', 8081, 'SOCK_STREAM'),
        act.net('bind', 'AF_INET', '0.0.0.0', 0, 'SOCK_STREAM'),
        act.net('connect', 'AF_INET', '127.0.0.1', 80, 'SOCK_STREAM'),
      ]),
      facts257(),
    );
    expect(chosen(p, 'IPAddressDeny')).toBe('any');
    expect(chosen(p, 'IPAddressAllow')).toBe('localhost');
  });

  it('a listen on the wildcard with an ephemeral port still keeps IP open', () => {
    const listen = act.net('listen', 'AF_INET', '0.0.0.0', 0, 'SOCK_STREAM');
    const p = resolve(
      profileOf([act.socket('AF_INET'), act.net('bind', 'AF_INET', '0.0.0.0', 0, 'SOCK_STREAM'), listen]),
      facts257(),
    );
    expect(rejected(p, 'IPAddressDeny', 'any')?.blockedBy?.ev).toEqual(listen.ev);
  });
});

it('a TCP source bind on the wildcard (no listen) serves nothing; a UDP one does', () => {
  const tcp = [
    act.socket('AF_INET'),
    act.net('bind', 'AF_INET', '0.0.0.0', 37097, 'SOCK_STREAM'),
    act.net('connect', 'AF_INET', '127.0.0.1', 8080, 'SOCK_STREAM'),
  ];
  expect(chosen(resolve(profileOf(tcp), facts257()), 'IPAddressDeny')).toBe('any');
  const udp = act.net('bind', 'AF_INET', '0.0.0.0', 123, 'SOCK_DGRAM');
  expect(
    rejected(
      resolve(profileOf([act.socket('AF_INET', 'SOCK_DGRAM'), udp]), facts257()),
      'IPAddressDeny',
      'any',
    )?.blockedBy?.ev,
  ).toEqual(udp.ev);
});
