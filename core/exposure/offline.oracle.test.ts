/**
 * Differential test against the real thing: random hardening unit files scored by this machine's
 * `systemd-analyze security --offline=true` (systemd 252, installed as a Debian package) and by
 * predictExposure(…, { mode: 'offline' }) must agree on every check's badness and on the total.
 * The offline mode uses the same table and formula as the live one; only two documented inputs
 * differ (PrivateMounts implication, localhost prefix rule), which live tests cover on the VMs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDropIn } from '../dropin';
import { parseSyscallFilterOutput } from '../systemd/syscallFilter';
import { DEFAULT_SERVICE_PROPERTIES, predictExposure } from './index';
import { seededRandom as rng } from '../strace/testkit';

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const available = analyze.status === 0;

const POOLS: Record<string, string[][]> = {
  User: [['root'], ['nobody'], ['www-data'], ['0']],
  DynamicUser: [['yes'], ['no']],
  SupplementaryGroups: [['adm'], ['adm wheel']],
  NoNewPrivileges: [['yes']],
  PrivateDevices: [['yes']],
  PrivateMounts: [['yes']],
  PrivateNetwork: [['yes']],
  PrivateTmp: [['yes']],
  PrivateUsers: [['yes']],
  ProtectControlGroups: [['yes']],
  ProtectKernelModules: [['yes']],
  ProtectKernelTunables: [['yes']],
  ProtectKernelLogs: [['yes']],
  ProtectClock: [['yes']],
  ProtectHostname: [['yes']],
  ProtectHome: [['yes'], ['read-only'], ['tmpfs'], ['no']],
  ProtectSystem: [['strict'], ['full'], ['yes'], ['no']],
  LockPersonality: [['yes']],
  MemoryDenyWriteExecute: [['yes']],
  RemoveIPC: [['yes']],
  RestrictRealtime: [['yes']],
  RestrictSUIDSGID: [['yes']],
  Delegate: [['yes'], ['cpu memory']],
  KeyringMode: [['shared'], ['inherit']],
  ProtectProc: [['invisible'], ['noaccess'], ['ptraceable']],
  ProcSubset: [['pid']],
  NotifyAccess: [['all'], ['main']],
  UMask: [['0077'], ['0027'], ['0007'], ['0002'], ['0000']],
  RootDirectory: [['/srv/root']],
  RestrictNamespaces: [['yes'], ['no'], ['~user net'], ['cgroup ipc'], ['~user', 'pid'], ['mnt', '~mnt uts']],
  RestrictAddressFamilies: [
    ['AF_UNIX'],
    ['AF_INET AF_INET6'],
    ['~AF_PACKET'],
    ['none'],
    ['~AF_INET6'],
    ['AF_UNIX AF_NETLINK AF_BLUETOOTH'],
    ['AF_UNIX', '~AF_UNIX'],
  ],
  CapabilityBoundingSet: [
    [''],
    ['~CAP_SYS_ADMIN'],
    ['CAP_NET_BIND_SERVICE'],
    ['CAP_NET_BIND_SERVICE CAP_SETUID', '~CAP_SETUID'],
    ['CAP_CHOWN', 'CAP_KILL'],
    ['~CAP_SYS_PTRACE CAP_BPF', '~CAP_AUDIT_READ'],
  ],
  AmbientCapabilities: [['CAP_NET_RAW'], ['']],
  SystemCallFilter: [
    ['@system-service'],
    ['~@mount:EPERM @swap'],
    ['@system-service', '~@privileged @resources'],
    ['~@obsolete'],
    ['@basic-io @file-system @process'],
    ['~@clock @cpu-emulation @debug @module @raw-io @reboot'],
    ['@system-service @clock', '~@resources:EPERM'],
  ],
  SystemCallArchitectures: [['native'], ['native x86'], ['x86-64']],
  IPAddressDeny: [['any'], ['0.0.0.0/0']],
  IPAddressAllow: [['localhost'], ['127.0.0.1'], ['10.0.0.0/8'], ['::1']],
  DevicePolicy: [['closed'], ['strict']],
  DeviceAllow: [['/dev/null rw'], ['char-rtc r']],
};

function randomUnit(r: () => number): string {
  const lines = ['[Unit]'];
  if (r() < 0.15) lines.push('DefaultDependencies=no');
  lines.push('[Service]', 'ExecStart=/bin/true');
  for (const [option, variants] of Object.entries(POOLS)) {
    if (r() > 0.45) continue;
    const variant = variants[Math.floor(r() * variants.length)] as string[];
    for (const v of variant) lines.push(`${option}=${v}`);
  }
  return lines.join('\n') + '\n';
}

interface AnalyzeRow {
  json_field: string;
  badness: number | string;
}

(available ? describe : describe.skip)('offline oracle: systemd-analyze security --offline=true', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-exposure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const groups = parseSyscallFilterOutput(
    execFileSync('systemd-analyze', ['syscall-filter'], { encoding: 'utf8' }),
  );

  const score = (file: string): { rows: AnalyzeRow[]; overall: string } => {
    const env = { ...process.env, SYSTEMD_ANALYZE_DEBUG: '1', SYSTEMD_LOG_LEVEL: 'err' };
    const json = spawnSync('systemd-analyze', ['security', '--offline=true', '--json=short', file], {
      env,
      encoding: 'utf8',
    });
    const text = spawnSync('systemd-analyze', ['security', '--offline=true', file], {
      env,
      encoding: 'utf8',
    });
    const overall =
      /Overall exposure level for \S+: ([0-9.]+)/.exec(text.stdout)?.[1] ?? `missing: ${text.stderr}`;
    return { rows: JSON.parse(json.stdout) as AnalyzeRow[], overall };
  };

  // Two systemd-analyze runs per case: generous timeout for a loaded machine.
  it.each(Array.from({ length: 120 }, (_, i) => i + 1))(
    'random unit, seed %i',
    (seed) => {
      const unitText = randomUnit(rng(seed));
      const file = path.join(dir, `s${seed}.service`);
      writeFileSync(file, unitText);
      const live = score(file);
      const unit = parseDropIn(readFileSync(file, 'utf8'));
      const predicted = predictExposure(
        { ...DEFAULT_SERVICE_PROPERTIES, Id: `s${seed}.service` },
        unit.assignments,
        {
          syscallGroups: groups,
          mode: 'offline',
        },
      );
      const liveBadness = Object.fromEntries(
        live.rows.map((r) => [r.json_field, Number(r.badness) > 1e6 ? null : Number(r.badness)]),
      );
      const ours = Object.fromEntries(predicted.checks.map((c) => [c.jsonField, c.badness]));
      expect({ unit: unitText, checks: ours, score: predicted.scoreText }).toEqual({
        unit: unitText,
        checks: liveBadness,
        score: live.overall,
      });
    },
    60_000,
  );
});
