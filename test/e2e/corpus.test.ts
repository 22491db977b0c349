/**
 * The generalization corpus (test/host/corpus, services.tsv) on one booted debian-13 host: every
 * unit profiled with its functional check as workload, independent units side by side in one
 * window (test/host/corpusRun.ts), resolved in hush's default mode, applied together; then, for
 * every unit: the apply verified (nothing rolled back), the check passes after the apply and again
 * after a reload-or-restart cycle, and `systemd-analyze security` rates it less exposed (a unit
 * Debian already rates OK, below 2.0, must not get worse). Debian 13 only in CI (a TCG host runs
 * ~18 units through strace); bench:compare's strength section runs both images.
 *
 * `hush status` then lists every unit. remote-cli.test.ts keeps what only the CLI does on nginx
 * (profile/apply through the CLI, the `--set` override rolled back, reset).
 */
import { CORPUS_TARGET, imagesUnderTest, startCorpus, withTestHost } from '../host';
import { corpusTable, corpusUnitsOn, hardenCorpus } from '../host/corpusRun';
import { cliTargetFlags, runHush } from './profile-support';

/** Below this, systemd-analyze already calls a unit OK: hush must not make it worse. */
const ALREADY_OK = 2.0;
/** Issue 13's targets: every unit at most this after the apply… */
const MAX_UNIT_EXPOSURE = 3.0;
/** …and the corpus's mean at most this. */
const MAX_MEAN_EXPOSURE = 2.0;
/** The load balancer reloaded during its window (its check reloads it): the reload must be traced. */
const RELOADED_IN_WINDOW = ['haproxy.service'];

for (const image of imagesUnderTest().filter((i) => i === 'debian-13')) {
  describe(`the corpus on ${image}`, () => {
    test(
      'every unit: profiled with its check as workload → applied and verified → the check passes after apply and after reload/restart → exposure drops',
      () =>
        withTestHost(image, async (host) => {
          const t0 = Date.now();
          const log = (l: string) =>
            process.stderr.write(`[corpus ${image} ${((Date.now() - t0) / 1000).toFixed(0)} s] ${l}\n`);
          await startCorpus(host);
          log(`${CORPUS_TARGET} started`);
          // HUSH_CORPUS_UNITS=a.service,b.service narrows the run while debugging (as -t narrows
          // cases); CI runs every unit
          const only = (process.env.HUSH_CORPUS_UNITS ?? '').split(',').filter(Boolean);
          const all = await corpusUnitsOn(host);
          const units = only.length > 0 ? all.filter((u) => only.includes(u.unit)) : all;
          expect(units.length).toBeGreaterThanOrEqual(only.length > 0 ? only.length : 12);
          const runs = await hardenCorpus(host, units, { log });
          log(`\n${corpusTable(runs)}\nwall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
          const problems = runs.flatMap((r) => {
            const out: string[] = [];
            if (r.error) out.push(r.error);
            if (r.workloadCode !== 0) out.push(`its check failed while profiled (exit ${r.workloadCode})`);
            if (r.verdict !== 'applied') out.push(`apply: ${r.verdict}\n${r.detail ?? ''}`);
            if (!r.afterApply?.ok) out.push(`check after apply:\n${r.afterApply?.output}`);
            if (!r.afterCycle?.ok) out.push(`check after reload/restart:\n${r.afterCycle?.output}`);
            const e = r.exposure ?? NaN;
            const better = r.stockExposure < ALREADY_OK ? e <= r.stockExposure : e < r.stockExposure;
            if (!better) out.push(`exposure ${r.stockExposure} → ${e}`);
            if (!(e <= MAX_UNIT_EXPOSURE)) out.push(`exposure ${e} > ${MAX_UNIT_EXPOSURE}`);
            if (
              RELOADED_IN_WINDOW.includes(r.unit) &&
              !r.tracedSlots?.some((s) => s.startsWith('ExecReload'))
            )
              out.push(`its reload was not traced in the window (slots: ${r.tracedSlots?.join(' ')})`);
            return out.map((p) => `${r.unit}: ${p}`);
          });
          const mean = runs.reduce((sum, r) => sum + (r.exposure ?? NaN), 0) / runs.length;
          log(`mean exposure ${mean.toFixed(2)} over ${runs.length} units`);
          if (!(mean <= MAX_MEAN_EXPOSURE))
            problems.push(`mean exposure ${mean.toFixed(2)} > ${MAX_MEAN_EXPOSURE}`);
          expect(problems).toEqual([]);
          // the CLI's view of the same host: `hush status` lists every unit hush hardened
          const status = await runHush(['status', '--json', ...cliTargetFlags(host)]);
          expect({ code: status.code, stderr: status.code === 0 ? '' : status.stderr }).toEqual({
            code: 0,
            stderr: '',
          });
          const listed = (JSON.parse(status.stdout) as { hardened: { unit: string }[] }).hardened.map(
            (h) => h.unit,
          );
          expect(listed.sort()).toEqual(runs.map((r) => r.unit).sort());
        }),
      45 * 60_000,
    );
  });
}
