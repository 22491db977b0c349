/**
 * `hush apply UNIT`: resolve a profile against the host's current facts, write the hardening
 * drop-in, verify the service, roll back on failure. Without --profile the unit is profiled
 * first (remote/profile.ts) with the --duration / --workload window.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hushVersion, renderDropIn } from '../../core/dropin';
import { parseProfile } from '../../core/profile';
import type { Profile } from '../../core/profile/schema';
import { resolve } from '../../core/resolve';
import { applyDropIn, ApplyError } from '../../remote/apply';
import { probe } from '../../remote/probe';
import { withExecModesOrUnknown } from '../../remote/execModes';
import { profileService } from '../../remote/profile';
import { parseRunnableUnitName, InvalidUnitNameError } from '../../remote/unitName';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { HARDENING_FLAGS, HARDENING_USAGE, settingsFromFlags } from '../planOutput';
import {
  connectFromFlags,
  connectionArgsFromFlags,
  parseDuration,
  progress,
  TARGET_FLAGS,
  TARGET_USAGE,
  tracingFromFlag,
} from '../remoteTarget';

const usage = `usage: hush apply UNIT --host H --host-key KEY [FLAGS]

Hardens UNIT on the host: resolves the profile against the host's current facts, writes
/etc/systemd/system/UNIT.d/zz-hush-hardening.conf atomically, restarts UNIT and verifies it
(active after the settle time, no restart loop, no SIGSYS/EPERM in its journal, --health passes).
On failure the previous file is restored byte-for-byte and UNIT restarted (exit 3).

profile flags:
  --profile FILE       the profile to apply (hush.profile/v1 JSON); without it UNIT is profiled first:
  --duration D         profiling window (e.g. 60s; default 60s unless --workload is given)
  --workload CMD       shell command run on the host during the profiling window
  --save-profile FILE  write the profile taken here to FILE
  --tracing MODE       decisions or full (see hush profile --help); default: decisions when the
                       host's strace has --seccomp-bpf, else full
apply flags:
  --health CMD         shell command run on the host after the restart; must exit 0
  --health-timeout D   limit for --health (default 60s); a health command still running then fails
  --settle D           how long UNIT must stay up after the restart (default 5s)
  --force              rewrite and restart even if the drop-in is unchanged
  --dry-run            print the drop-in that would be applied; change nothing
${HARDENING_USAGE.replace(/\n {2}--json[^\n]*\n/, '\n')}
${TARGET_USAGE}
`;

export const command: CliCommand = {
  name: 'apply',
  summary: 'harden a unit on a host over SSH: drop-in, restart, verify, roll back on failure',
  usage,
  async run(args, io: CliIo) {
    const parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...HARDENING_FLAGS,
        ...TARGET_FLAGS,
        profile: { type: 'string' },
        duration: { type: 'string' },
        workload: { type: 'string' },
        'save-profile': { type: 'string' },
        tracing: { type: 'string' },
        health: { type: 'string' },
        'health-timeout': { type: 'string' },
        settle: { type: 'string' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
    });
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expects exactly one UNIT');
    let unit: string;
    try {
      unit = parseRunnableUnitName(positionals[0] as string).unit;
    } catch (err) {
      if (err instanceof InvalidUnitNameError) throw new UsageError(err.message);
      throw err;
    }
    const settings = settingsFromFlags(values);
    const settleMs = values.settle !== undefined ? parseDuration(values.settle, '--settle') : 5000;
    const durationMs =
      values.duration !== undefined ? parseDuration(values.duration, '--duration') : undefined;
    const healthTimeoutMs =
      values['health-timeout'] !== undefined
        ? parseDuration(values['health-timeout'], '--health-timeout')
        : undefined;
    if (healthTimeoutMs !== undefined && healthTimeoutMs < 1000) {
      throw new UsageError('--health-timeout must be at least 1s');
    }
    if (healthTimeoutMs !== undefined && values.health === undefined) {
      throw new UsageError('--health-timeout needs --health');
    }
    const tracing = tracingFromFlag(values.tracing);
    if (tracing !== undefined && values.profile !== undefined) {
      throw new UsageError('--tracing applies to profiling; with --profile nothing is profiled');
    }
    connectionArgsFromFlags(values); // flag errors before any network use
    const log = progress(io, 'apply');

    let profile: Profile | undefined;
    if (values.profile !== undefined) {
      try {
        profile = parseProfile(readFileSync(values.profile, 'utf8'));
      } catch (err) {
        throw new UsageError(`--profile ${values.profile}: ${(err as Error).message}`);
      }
    }

    const conn = await connectFromFlags(values, io, 'apply');
    let profiledNow = false;
    try {
      if (!profile) {
        log(`no --profile: profiling ${unit} first`);
        const r = await profileService({
          unit,
          connect: () => connectFromFlags(values, io, 'apply'),
          ...(durationMs !== undefined
            ? { durationMs }
            : values.workload === undefined
              ? { durationMs: 60_000 }
              : {}),
          ...(values.workload !== undefined ? { remoteWorkload: values.workload } : {}),
          ...(tracing !== undefined ? { tracing } : {}),
          log,
        });
        for (const w of r.warnings) log(`warning: ${w}`);
        profile = r.profile;
        profiledNow = true;
        if (values['save-profile']) {
          writeFileSync(values['save-profile'], JSON.stringify(profile, null, 2) + '\n');
          log(`profile written to ${values['save-profile']}`);
        }
      }
      // Facts probed by the profiling session just now are current; otherwise probe (one round trip).
      let facts = profiledNow ? profile.host : undefined;
      if (!facts) {
        log(`probing ${unit} on ${conn.host}`);
        facts = await probe(conn, unit);
        // The profile's programs as they are on the host now: their modes prove NoNewPrivileges.
        facts = await withExecModesOrUnknown(conn, profile, facts, (message) => log(`warning: ${message}`));
      }
      if (facts.unit?.loadState !== 'loaded') {
        throw new Error(
          `${unit} is not loaded on ${conn.host} (LoadState=${facts.unit?.loadState ?? 'unknown'})`,
        );
      }
      const plan = resolve(profile, facts, settings);
      for (const n of plan.notes ?? []) log(`note: ${n}`);
      const text = renderDropIn(plan, { version: hushVersion(), unit, explain: values.explain ?? false });
      if (values['dry-run']) {
        io.stdout.write(
          values.json
            ? JSON.stringify({ unit, host: conn.host, dryRun: true, dropIn: text, plan }, null, 2) + '\n'
            : text,
        );
        return 0;
      }
      log(`${plan.chosen.length} option(s) chosen, ${plan.rejected.length} rejected`);
      try {
        const result = await applyDropIn(conn, unit, text, {
          ...(values.health !== undefined ? { health: values.health } : {}),
          ...(healthTimeoutMs !== undefined ? { healthTimeoutMs } : {}),
          settleMs,
          force: values.force ?? false,
          log,
        });
        if (values.json) {
          io.stdout.write(JSON.stringify({ unit, host: conn.host, result, dropIn: text }, null, 2) + '\n');
        } else {
          io.stdout.write(
            result.verdict === 'applied'
              ? `${unit}: hardened and verified on ${conn.host} (${result.path})\n`
              : result.verdict === 'unchanged'
                ? `${unit}: already hardened with this drop-in on ${conn.host}; nothing changed\n`
                : `${unit}: drop-in written on ${conn.host} but NOT verified: ${result.failures.join('; ')}\n`,
          );
        }
        return 0;
      } catch (err) {
        if (!(err instanceof ApplyError)) throw err;
        if (values.json)
          io.stdout.write(
            JSON.stringify({ unit, host: conn.host, result: err.result, dropIn: text }, null, 2) + '\n',
          );
        io.stderr.write(`hush apply: ${err.message}\n`);
        return err.result.verdict === 'rollback-failed' ? 4 : 3;
      }
    } finally {
      await conn.close();
    }
  },
};
