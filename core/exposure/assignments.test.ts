/**
 * How assignments change `systemctl show` properties: each expectation below is what systemd 252
 * printed on the debian-12 test host for a bare service (ExecStart= only) with that drop-in.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDropIn } from '../dropin';
import { parseSyscallFilterOutput } from '../systemd/syscallFilter';
import { DEFAULT_SERVICE_PROPERTIES, predictExposure, type UnitProperties } from './index';
import { formatCapabilities, CAP_ALL } from './linux';

const groups = parseSyscallFilterOutput(
  readFileSync(path.join(__dirname, 'fixtures', 'syscall-filter-252.txt'), 'utf8'),
);
const probe: UnitProperties = { ...DEFAULT_SERVICE_PROPERTIES, Id: 'hush-probe.service' };

function after(dropIn: string, base: UnitProperties = probe) {
  return predictExposure(base, parseDropIn(`[Service]\n${dropIn}\n`).assignments, { syscallGroups: groups });
}
const badness = (p: ReturnType<typeof after>, field: string) =>
  p.checks.find((c) => c.jsonField === field)?.badness;

describe('drop-in → properties (observed on systemd 252)', () => {
  it('a bare service scores 9.6', () => {
    expect(after('').scoreText).toBe('9.6');
  });

  it('DynamicUser= implies a user, PrivateTmp, RemoveIPC, ProtectSystem=strict, ProtectHome=read-only, NoNewPrivileges, RestrictSUIDSGID', () => {
    const p = after('DynamicUser=yes');
    expect(p.properties).toMatchObject({
      User: 'hush-probe',
      DynamicUser: 'yes',
      RemoveIPC: 'yes',
      PrivateTmp: 'yes',
      PrivateMounts: 'no', // shown as set; the score implies it (see below)
      ProtectHome: 'read-only',
      ProtectSystem: 'strict',
      NoNewPrivileges: 'yes',
      RestrictSUIDSGID: 'yes',
    });
    expect(badness(p, 'PrivateMounts')).toBe(0);
    expect(p.scoreText).toBe('8.2');
  });

  it('NoNewPrivileges is not implied by a syscall filter for a non-root user', () => {
    const p = after('User=nobody\nSystemCallFilter=@system-service');
    expect(p.properties.NoNewPrivileges).toBe('no');
    expect(badness(p, 'UserOrDynamicUser')).toBe(9);
    expect(p.scoreText).toBe('8.2');
  });

  it('SystemCallFilter=~@mount:EPERM counts as denying @mount (errno suffixes are ignored)', () => {
    expect(badness(after('SystemCallFilter=~@mount:EPERM'), 'SystemCallFilter_mount')).toBe(0);
    expect(after('SystemCallFilter=~@mount:EPERM').scoreText).toBe('9.4');
    expect(after('SystemCallFilter=~@mount').scoreText).toBe('9.4');
  });

  it('RestrictNamespaces= lists what remains allowed, in systemd order', () => {
    expect(after('RestrictNamespaces=~user net').properties.RestrictNamespaces).toBe(
      'cgroup ipc mnt pid uts',
    );
    expect(after('RestrictNamespaces=~user net').scoreText).toBe('9.2');
    expect(after('RestrictNamespaces=cgroup').properties.RestrictNamespaces).toBe('cgroup');
    expect(after('RestrictNamespaces=cgroup').scoreText).toBe('8.9');
  });

  it('IPAddressAllow=127.0.0.1 becomes a /32, which the live score does not count as localhost', () => {
    const p = after('IPAddressDeny=any\nIPAddressAllow=127.0.0.1');
    expect(p.properties).toMatchObject({ IPAddressAllow: '127.0.0.1/32', IPAddressDeny: '0.0.0.0/0 ::/0' });
    expect(badness(p, 'IPAddressDeny')).toBe(5);
    expect(p.scoreText).toBe('9.5');
    const l = after('IPAddressDeny=any\nIPAddressAllow=localhost');
    expect(l.properties.IPAddressAllow).toBe('127.0.0.0/8 ::1/128');
    expect(badness(l, 'IPAddressDeny')).toBe(2);
    expect(l.scoreText).toBe('9.4');
  });

  it('RestrictAddressFamilies=: a deny-list of one family passes its whole bucket; none is an empty allow-list', () => {
    const d = after('RestrictAddressFamilies=~AF_INET6');
    expect(d.properties.RestrictAddressFamilies).toBe('~AF_INET6');
    expect(badness(d, 'RestrictAddressFamilies_AF_INET_INET6')).toBe(0);
    expect(d.scoreText).toBe('9.3');
    const n = after('RestrictAddressFamilies=none');
    expect(n.properties.RestrictAddressFamilies).toBe('');
    expect(n.scoreText).toBe('8.9');
  });

  it('PrivateTmp= alone passes PrivateMounts live', () => {
    expect(after('PrivateTmp=yes').scoreText).toBe('9.2');
  });

  it('a bounding set assigned after ProtectKernelModules= replaces the default, then loses CAP_SYS_MODULE', () => {
    const p = after('ProtectKernelModules=yes\nCapabilityBoundingSet=CAP_SYS_MODULE CAP_NET_RAW');
    expect(p.properties.CapabilityBoundingSet).toBe('cap_net_raw');
    expect(p.scoreText).toBe('6.8');
    // The same when the unit itself already has ProtectKernelModules= (its shown set lacks the bit).
    const base = {
      ...probe,
      ProtectKernelModules: 'yes',
      CapabilityBoundingSet: formatCapabilities(CAP_ALL & ~(1n << 16n)),
    };
    expect(
      after('CapabilityBoundingSet=CAP_SYS_MODULE CAP_NET_RAW', base).properties.CapabilityBoundingSet,
    ).toBe('cap_net_raw');
  });

  it('bounding-set lines merge once the set is no longer the default', () => {
    expect(
      after('CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=CAP_KILL').properties
        .CapabilityBoundingSet,
    ).toBe('cap_chown cap_kill');
    expect(
      after('CapabilityBoundingSet=CAP_CHOWN CAP_KILL\nCapabilityBoundingSet=~CAP_KILL').properties
        .CapabilityBoundingSet,
    ).toBe('cap_chown');
    expect(
      after('CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=').properties.CapabilityBoundingSet,
    ).toBe('');
  });

  it('ProtectClock= adds the RTC to the device ACL; PrivateDevices= closes the policy', () => {
    const p = after('ProtectClock=yes\nPrivateDevices=yes');
    expect(p.properties).toMatchObject({ DevicePolicy: 'closed', DeviceAllow: 'char-rtc r' });
    expect(badness(p, 'DeviceAllow')).toBe(5);
  });

  it('reports assignments that do not influence the score', () => {
    expect(after('ReadWritePaths=/run\nProtectSystem=strict').ignored).toMatchObject([
      { option: 'ReadWritePaths', value: '/run' },
    ]);
  });
});
