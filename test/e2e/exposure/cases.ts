/**
 * What the exposure host test measures: each corpus unit before hardening and after each drop-in.
 * The drop-ins are written for scoring only (the services are not restarted), so one set fits all
 * units; the nginx ones are the reference profiles scored live on the test hosts.
 */

export interface DropInCase {
  name: string;
  text: string;
}

/**
 * Corpus units (test/host/corpus/services.tsv; patterns are resolved on the host, e.g. PostgreSQL
 * 15 on Debian 12 and 17 on Debian 13) and a few system units with rich existing hardening.
 */
export const CORPUS_UNITS = [
  'nginx.service',
  'caddy.service',
  'redis-server.service',
  'postgresql@*-main.service',
  'hush-testsvc-notify.service',
  'hush-testsvc-forking.service',
  'hush-testsvc-restart.service',
] as const;

/** Units scored before hardening only: their own hardening exercises many checks at once. */
export const SYSTEM_UNITS = [
  'systemd-journald.service',
  'systemd-logind.service',
  'systemd-networkd.service',
  'systemd-udevd.service',
  'emergency.service',
  'ssh.service',
] as const;

const lines = (...l: string[]): string => `[Service]\n${l.join('\n')}\n`;

export const DROP_INS: readonly DropInCase[] = [
  {
    name: 'three-lines',
    text: lines('ProtectSystem=strict', 'PrivateTmp=true', 'ReadWritePaths=/var/log/nginx /run'),
  },
  {
    name: 'strong',
    text: lines(
      'ProtectSystem=strict',
      'PrivateTmp=true',
      'ReadWritePaths=/var/log/nginx /run /var/lib/nginx',
      'ProtectHome=yes',
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectKernelLogs=yes',
      'ProtectControlGroups=yes',
      'ProtectClock=yes',
      'ProtectHostname=yes',
      'ProtectProc=invisible',
      'RestrictNamespaces=yes',
      'RestrictRealtime=yes',
      'RestrictSUIDSGID=yes',
      'LockPersonality=yes',
      'MemoryDenyWriteExecute=yes',
      'NoNewPrivileges=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'SystemCallArchitectures=native',
      'SystemCallFilter=@system-service',
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_CHOWN CAP_DAC_OVERRIDE',
      'UMask=0027',
    ),
  },
  {
    // SHH-style deny-list with errno suffixes, plus a reset-then-set bounding set and IP rules.
    name: 'denylist-errno',
    text: lines(
      'SystemCallFilter=~@clock:EPERM @cpu-emulation:EPERM @debug:EPERM @module:EPERM @mount:EPERM @obsolete:EPERM @raw-io:EPERM @reboot:EPERM @swap:EPERM',
      'CapabilityBoundingSet=',
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
      'IPAddressDeny=any',
      'IPAddressAllow=127.0.0.1',
      'RestrictAddressFamilies=~AF_PACKET',
    ),
  },
  {
    // DynamicUser and its implied settings, ProtectClock's device rule, PrivateDevices' policy.
    name: 'dynamic-user',
    text: lines(
      'DynamicUser=yes',
      'ProtectClock=yes',
      'PrivateDevices=yes',
      'IPAddressDeny=any',
      'IPAddressAllow=localhost',
      'RestrictNamespaces=~user net',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
      'KeyringMode=shared',
      'ProtectProc=noaccess',
    ),
  },
  {
    // Modes of former booleans: 257 accepts the first three, 252 none, ProtectHostname=private is 258+.
    name: 'v257-modes',
    text: lines(
      'PrivateTmp=disconnected',
      'PrivateUsers=self',
      'ProtectHostname=private',
      'ProtectControlGroups=strict',
    ),
  },
  {
    // Weaker values than some units already have (redis-server: ProtectSystem=strict …).
    name: 'weaker',
    text: lines(
      'ProtectSystem=full',
      'ProtectHome=read-only',
      'RestrictAddressFamilies=AF_UNIX AF_NETLINK',
      'UMask=0002',
    ),
  },
];
