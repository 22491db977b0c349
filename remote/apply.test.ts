import { execFileSync } from 'node:child_process';
import { ApplyError, applyResultOf, checkDropInText } from './apply';
import {
  enforceSessionPolicy,
  keepCgroupScopedOptions,
  parseSessionReach,
  profileSessionEvidence,
  restrictPlanToSessionSafe,
  SESSION_REACH_SCRIPT,
} from './sessionUnits';
import { STATUS_SCRIPT, parseStatusOutput } from './status';
import {
  commitCommand,
  parseTransactionOutput,
  readStageCommand,
  revertNowCommand,
  runCommand,
  transactionStdin,
  TXN_SCRIPT,
} from './transaction';

describe('apply output', () => {
  const runOut = (lines: string[]) => parseTransactionOutput(lines.join('\n'));

  it('reads a rollback with failures, hits and the journal tail', () => {
    const run = runOut([
      'baselineAdminWrite=ok',
      'hostMs=1234',
      'runRc=0',
      'activeBefore=active',
      'previousExisted=yes',
      'newRestartRc=1',
      'fail=systemctl restart exited 1: Job failed',
      'fail=unit is failed (failed, result exit-code) 5 s after the restart',
      'revertReason=verification failed',
      'restoredIdentical=yes',
      'revertRestartRc=0',
      'verdict=rolled-back',
      '@@hits@@',
      'nginx[1]: open() "/run/nginx.pid" failed (30: Read-only file system)',
      '@@tail@@',
      'systemd[1]: nginx.service: Failed with result exit-code.',
      'nginx[1]: open() "/run/nginx.pid" failed (30: Read-only file system)',
      '@@run@@',
      '',
    ]);
    expect(applyResultOf({ outcome: 'done', run }, 'nginx.service', '/f')).toEqual({
      unit: 'nginx.service',
      path: '/f',
      verdict: 'rolled-back',
      failures: [
        'systemctl restart exited 1: Job failed',
        'unit is failed (failed, result exit-code) 5 s after the restart',
      ],
      journal: [
        'nginx[1]: open() "/run/nginx.pid" failed (30: Read-only file system)',
        'systemd[1]: nginx.service: Failed with result exit-code.',
      ],
      previousExisted: true,
      activeBefore: 'active',
      restoredIdentical: true,
    });
  });

  it('a verified change that no fresh login confirmed is reverted, with the reason first', () => {
    const run = runOut([
      'runRc=0',
      'activeBefore=active',
      'previousExisted=no',
      'deadline=1',
      'verdict=pending',
    ]);
    const end = runOut([
      'runRc=0',
      'revertReason=no fresh login proved access: sudo: The "no new privileges" flag is set',
      'restoredIdentical=yes',
      'verdict=reverted',
    ]);
    const confirmation = { ok: false, target: 'u@h:22', proven: [], failure: 'sudo failed', ms: 3 };
    const r = applyResultOf({ outcome: 'reverted', run, end, confirmation }, 'ssh.service', '/f');
    expect(r).toMatchObject({ verdict: 'reverted', restoredIdentical: true, previousExisted: false });
    expect(r.failures[0]).toBe(
      'reverted: no fresh login proved access: sudo: The "no new privileges" flag is set',
    );
    const e = new ApplyError({ ...r, hostMs: 1, totalMs: 2 });
    expect(e.message).toMatch(/^hardening of ssh\.service was NOT confirmed and was reverted/);
    expect(e.message).toContain('NOT confirmed: sudo failed (u@h:22)');
  });

  it('a transaction stopped mid-change reports the revert its ExecStopPost made', () => {
    const run = runOut([
      'runRc=1',
      'activeBefore=active',
      'previousExisted=yes',
      'revertReason=the transaction was stopped before it finished',
      'restoredIdentical=yes',
      'verdict=reverted',
    ]);
    const r = applyResultOf({ outcome: 'done', run }, 'a.service', '/f');
    expect(r).toMatchObject({ verdict: 'reverted', restoredIdentical: true });
    expect(r.failures).toEqual(['reverted: the transaction was stopped before it finished']);
  });

  it('a committed change is applied, or unverified when the unit was not started', () => {
    const run = runOut(['runRc=0', 'activeBefore=active', 'previousExisted=yes', 'verdict=pending']);
    const end = runOut(['committed=yes']);
    expect(applyResultOf({ outcome: 'committed', run, end }, 'a.service', '/f').verdict).toBe('applied');
    const idle = runOut([
      'runRc=0',
      'activeBefore=inactive',
      'unverified=yes',
      'fail=unit is inactive: not started, so the new configuration is not verified',
      'verdict=pending',
    ]);
    const r = applyResultOf({ outcome: 'committed', run: idle, end }, 'a.service', '/f');
    expect(r.verdict).toBe('unverified');
    expect(r.failures).toEqual(['unit is inactive: not started, so the new configuration is not verified']);
  });

  it('a failed file operation is a failure naming the path, never a quiet success', () => {
    const run = runOut([
      'runRc=0',
      'activeBefore=active',
      'previousExisted=yes',
      "fail=cannot write in /etc/systemd/system/a.service.d: mktemp: failed to create file via template '/etc/systemd/system/a.service.d/.hush-probe.XXXXXX': Read-only file system",
      'verdict=failed',
    ]);
    const r = applyResultOf({ outcome: 'done', run }, 'a.service', '/f');
    expect(r.verdict).toBe('failed');
    expect(r.failures[0]).toMatch(
      /^cannot write in \/etc\/systemd\/system\/a\.service\.d: .*Read-only file system/,
    );
  });

  it('reports a transaction that never wrote a verdict as failed', () => {
    const run = parseTransactionOutput(
      'runRc=1\n@@hits@@\n@@tail@@\n@@run@@\nFailed to start transient service unit\n',
    );
    const r = applyResultOf({ outcome: 'done', run }, 'a.service', '/f');
    expect(r.verdict).toBe('failed');
    expect(r.failures[0]).toMatch(/systemd-run exited 1: Failed to start transient/);
  });

  it('checks drop-in text before it goes to a host', () => {
    expect(() => checkDropInText('')).toThrow(/empty/);
    expect(() => checkDropInText('[Service]\nPrivateTmp\n')).toThrow(/line 2: missing "="/);
    expect(() => checkDropInText('PrivateTmp=yes\n')).toThrow(/outside of a section/);
    expect(() => checkDropInText('# only a comment\n')).toThrow(/no settings/);
    expect(() => checkDropInText('[Service]\nA=1\0')).toThrow(/NUL/);
    expect(() => checkDropInText('[Service]\nPrivateTmp=yes\n')).not.toThrow();
  });

  const spec = {
    mode: 'apply' as const,
    unit: 'foo\\x2dbar@x.service',
    text: '[Service]\nPrivateTmp=yes\n',
    health: "curl -fsS 'http://localhost/'",
    settleSec: 1,
    healthTimeoutSec: 5,
    force: false,
    startInactive: true,
    confirmSec: 60,
  };
  it.each([
    ['transaction', TXN_SCRIPT],
    ['session reach', SESSION_REACH_SCRIPT],
    ['status', STATUS_SCRIPT],
    ['run command', runCommand(spec).text],
    ['commit command', commitCommand(spec.unit).text],
    ['revert command', revertNowCommand(spec.unit, "it's broken").text],
    ['read-stage command', readStageCommand(spec.unit).text],
  ])('the %s script is valid POSIX sh (dash -n)', (_name, script) => {
    expect(() => execFileSync('dash', ['-n'], { input: script })).not.toThrow();
  });
});

describe('transaction input', () => {
  const spec = {
    mode: 'apply' as const,
    unit: 'nginx.service',
    text: '[Service]\nPrivateTmp=yes\n',
    health: 'curl -fsS http://127.0.0.1/ -H "Authorization: Bearer s3cret"',
    settleSec: 2,
    healthTimeoutSec: 10,
    force: false,
    startInactive: true,
    confirmSec: 60,
  };

  it('the health command travels on stdin, framed ahead of the drop-in, never in the command line', () => {
    const health = `${spec.health}\n`;
    expect(transactionStdin(spec).toString()).toBe(`${Buffer.byteLength(health)}\n${health}${spec.text}`);
    expect(transactionStdin({ text: 'x' }).toString()).toBe('0\nx');
    expect(runCommand(spec).text).not.toContain('s3cret');
  });

  it("a profiling session's set-aside link at the pending path is refused, never removed", () => {
    const cmd = runCommand(spec).text;
    expect(cmd).toContain(
      `if [ "$(readlink -- /run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf 2>/dev/null)" = /dev/null ]; then echo "leftover=`,
    );
  });
});

describe('session units', () => {
  const cg = '/system.slice/ssh.service';
  const shells = 'S\t/bin/sh\nS\t/bin/bash\n';

  it("hush's own session inside the unit's cgroup: sessions stay, nothing is session-safe", () => {
    const reach = parseSessionReach(
      'ssh.service',
      `U\t${cg}\t359\nA\thush's own SSH session\t613\t${cg}\t359\tsshd\nL\t613\tbash\t0\n${shells}`,
    );
    expect(reach.sessionsStayInCgroup).toBe(true);
    expect(reach.evidence[0]).toBe(
      "hush's own SSH session (pid 613, still in ssh.service's cgroup) descends from ssh.service (pid 359 sshd)",
    );
    expect(() => enforceSessionPolicy(reach, 'refuse', '[Service]\nPrivateTmp=yes\n')).toThrow(
      /ssh\.service starts other people's sessions or jobs: .*read-only \/etc.*no new privileges \(sudo stops working\)\. Refusing\./,
    );
    expect(() => enforceSessionPolicy(reach, 'session-safe', '[Service]\nIPAddressDeny=any\n')).toThrow(
      /stay in its cgroup \(no pam_systemd\), so even those reach them: nothing can be hardened safely/,
    );
    expect(() =>
      enforceSessionPolicy(reach, 'sandbox-sessions', '[Service]\nPrivateTmp=yes\n'),
    ).not.toThrow();
  });

  it('sessions moved into their own scope (pam_systemd): cgroup-scoped options only', () => {
    const reach = parseSessionReach(
      'ssh.service',
      `U\t${cg}\t359\nA\tlogin session 3 of ops\t700\t/user.slice/user-1000.slice/session-3.scope\t359\tsshd\n${shells}`,
    );
    expect(reach).toMatchObject({ sessionsStayInCgroup: false });
    expect(() =>
      enforceSessionPolicy(reach, 'session-safe', '[Service]\nIPAddressDeny=any\nDevicePolicy=closed\n'),
    ).not.toThrow();
    expect(() =>
      enforceSessionPolicy(
        reach,
        'session-safe',
        '[Service]\nIPAddressDeny=any\nNoNewPrivileges=yes\nPrivateTmp=yes\n',
      ),
    ).toThrow(/the drop-in also sets NoNewPrivileges, PrivateTmp\.$/);
    const plan = {
      mode: 'standard' as const,
      profileDigest: 'x',
      systemdVersion: 257,
      chosen: [
        { option: 'PrivateTmp', value: 'yes', reasons: [] },
        { option: 'DevicePolicy', value: 'closed', reasons: [] },
        { option: 'DeviceAllow', value: ['/dev/null rw'], reasons: [] },
      ],
      rejected: [],
    };
    const kept = restrictPlanToSessionSafe(plan, reach);
    expect(kept.chosen.map((d) => d.option)).toEqual(['DevicePolicy', 'DeviceAllow']);
    expect(kept.rejected).toEqual([
      { option: 'PrivateTmp', value: 'yes', why: "--session-safe: ssh.service's sessions would inherit it" },
    ]);
    expect(() => restrictPlanToSessionSafe({ ...plan, chosen: [plan.chosen[0]!] }, reach)).toThrow(
      /the profile allows none of them/,
    );
    // Declared rather than detected (a caller without a connection, e.g. the Pulumi component): the
    // same filter, whatever the host; the apply checks the host afterwards.
    expect(keepCgroupScopedOptions(plan, 'ssh.service')).toEqual(kept);
    expect(keepCgroupScopedOptions({ ...plan, chosen: [plan.chosen[0]!] }, 'ssh.service').chosen).toEqual([]);
  });

  it('at rest (nobody logged in, no job running): a unit whose program opens PAM sessions', () => {
    const reach = parseSessionReach(
      'cron.service',
      `U\t/system.slice/cron.service\t50\n${shells}P\t/usr/sbin/cron calls pam_open_session\n`,
    );
    expect(reach.evidence).toEqual([
      'it opens PAM sessions for users (/usr/sbin/cron calls pam_open_session)',
    ]);
    expect(reach.sessionsStayInCgroup).toBe(true);
    expect(() => enforceSessionPolicy(reach, 'refuse')).toThrow(
      /^cron\.service starts other people's sessions/,
    );
    const user = parseSessionReach(
      'user@1000.service',
      `U\t/user.slice/user-1000.slice/user@1000.service\t90\nP\tPAMName=systemd-user\n`,
    );
    expect(user.evidence).toEqual(['it opens PAM sessions for users (PAMName=systemd-user)']);
  });

  it('an ordinary service shows nothing, and its plan is untouched', () => {
    const reach = parseSessionReach('nginx.service', `U\t/system.slice/nginx.service\t400\n${shells}`);
    expect(reach).toEqual({ unit: 'nginx.service', evidence: [], sessionsStayInCgroup: false });
    expect(() => enforceSessionPolicy(reach, 'refuse', '[Service]\nPrivateTmp=yes\n')).not.toThrow();
  });

  it('the profile: credentials changed and a login shell run (a cron-like job runner)', () => {
    const ev = { pid: 7, line: 1, syscall: 'x' };
    const profile = {
      schema: 'hush.profile/v1' as const,
      actions: [
        { seq: 1, count: 1, action: { kind: 'setCredentials' as const, call: 'setresuid', ev } },
        {
          seq: 2,
          count: 1,
          action: { kind: 'path' as const, access: 'exec' as const, path: '/bin/sh', ev },
        },
      ],
      syscalls: {},
      failedSyscalls: {},
      runs: [],
    };
    const reach = parseSessionReach('cron.service', `U\t/system.slice/cron.service\t50\n${shells}`, profile);
    expect(reach.evidence).toEqual([
      'the profile shows a process changing its credentials (setresuid) and running a login shell (/bin/sh), pid 7',
    ]);
    expect(reach.sessionsStayInCgroup).toBe(true);
    // Credentials changed in one process, a shell run by another (pg_ctlcluster drops privileges,
    // pg_ctl runs sh -c for its own helpers): no evidence.
    const [creds, shell] = profile.actions;
    const elsewhere = { ...shell!, action: { ...shell!.action, ev: { ...ev, pid: 8 } } };
    expect(
      profileSessionEvidence({ ...profile, actions: [creds!, elsewhere] }, new Set(['/bin/sh'])),
    ).toBeNull();
    // Without a login shell (nginx's workers drop privileges, run nothing): no evidence.
    expect(
      profileSessionEvidence({ ...profile, actions: [profile.actions[0]!] }, new Set(['/bin/sh'])),
    ).toBeNull();
  });
});

describe('status output', () => {
  it('collects hardened units with state and header, sessions, stages, transient units', () => {
    const s = parseStatusOutput(
      'h1',
      [
        'H\tnginx.service\t/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf\t120\t1700000000',
        'C\tnginx.service\t# Generated by hush 0.1.0. Do not edit: hush overwrites this file.',
        'C\tnginx.service\t# profile sha256:abc  mode standard  systemd 252',
        'P\tredis-server.service\t/run/systemd/system/redis-server.service.d/zz-hush-profile.conf',
        'S\t/run/hush/profile/redis-server-1234abcd\t3',
        'A\t/run/hush/apply/nginx-abcd1234',
        'X\t/run/hush/apply/nginx-abcd1234\tnginx.service\tpending\t1700000180\t',
        'R\tnginx.service\t/run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf',
        'M\tredis.service\t/run/systemd/system.control/redis.service.d/zz-hush-hardening.conf',
        'T\thush-apply-nginx-abcd1234.service\tactive',
        'U\tnginx.service\tactive\trunning',
        '',
      ].join('\n'),
    );
    expect(s).toEqual({
      host: 'h1',
      hardened: [
        {
          unit: 'nginx.service',
          path: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
          activeState: 'active',
          subState: 'running',
          bytes: 120,
          modified: '2023-11-14T22:13:20.000Z',
          header: [
            'Generated by hush 0.1.0. Do not edit: hush overwrites this file.',
            'profile sha256:abc  mode standard  systemd 252',
          ],
        },
      ],
      profiling: [
        {
          unit: 'redis-server.service',
          path: '/run/systemd/system/redis-server.service.d/zz-hush-profile.conf',
        },
      ],
      sessions: [{ dir: '/run/hush/profile/redis-server-1234abcd', heartbeatAgeSec: 3 }],
      transientUnits: [{ unit: 'hush-apply-nginx-abcd1234.service', activeState: 'active' }],
      applyStages: ['/run/hush/apply/nginx-abcd1234'],
      transactions: [
        {
          stage: '/run/hush/apply/nginx-abcd1234',
          unit: 'nginx.service',
          phase: 'pending',
          deadline: '2023-11-14T22:16:20.000Z',
        },
      ],
      pending: [
        { unit: 'nginx.service', path: '/run/systemd/system.control/nginx.service.d/zz-hush-hardening.conf' },
      ],
      setAside: [
        { unit: 'redis.service', path: '/run/systemd/system.control/redis.service.d/zz-hush-hardening.conf' },
      ],
    });
  });
});
