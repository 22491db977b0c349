/**
 * `npm run bench:compare`: hush side by side with SHH (issue 7), one table in bench/RESULTS.md.
 *
 *   node -r ./scripts/ts-register.cjs bench/compare.ts [--sections parser,overhead,strength] [--units u1,u2] [--tools hush,shh]
 *   node -r ./scripts/ts-register.cjs bench/compare.ts --render   # RESULTS.md again from the stored figures
 *
 * Sections (default: all, in this order):
 *   parser    (a) the same real strace log through both parsers, lines per CPU second (no VM)
 *   cpu       (b) on this machine's own CPU (no VM): `npm run bench:overhead` (bench/overhead/run.ts),
 *             nginx and redis unprofiled, under hush's recorders and under SHH, interleaved rounds
 *   overhead  (b) nginx req/s in the debian-13 VM (emulated) unprofiled, profiled by hush, by SHH
 *   strength  (c) every corpus unit profiled + hardened by each tool: exposure and functional check
 *             (HUSH_COMPARE_IMAGE=debian-12 measures the debian-12 corpus into its own section)
 *   fleet     (d) `pulumi up` of examples/fleet on one VM, then on HUSH_COMPARE_FLEET_HOSTS (3) VMs
 *             in parallel: cost beyond the profiling window (hush only; its own VMs `flt-N`, booted
 *             and stopped by the section, run before overhead/strength so the two never overlap)
 *
 * SHH comes from scripts/install-shh (cached build from crates.io). The VM sections use ONE test
 * VM (`scripts/testhost` instance `shhbench`, or HUSH_COMPARE_VM), stopped at the end. Each
 * section's figures are kept in ${HUSH_CACHE}/bench/compare-results.json, so running one section
 * re-renders the table with the others' last figures (each row says when it was measured).
 * Not a test: nothing here fails a build; missed targets are printed as missed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hushVersion } from '../core/dropin';
import { compareFleet } from './compare/fleet';
import { compareOverhead, tracingVariants } from './compare/overhead';
import type { LocalOverheadResults } from './overhead/report';
import { compareParsers } from './compare/parser';
import { renderResults, type CompareResults, type Environment } from './compare/report';
import { hardenAllWithHush, hardenWithShh, type UnitStrength } from './compare/strength';
import { IMAGE, Vm } from './compare/vm';
import { securityBaseline, startCorpus } from '../test/host';
import { corpusUnitsOn } from '../test/host/corpusRun';

const REPO = path.resolve(__dirname, '..');
const SECTIONS = ['parser', 'cpu', 'overhead', 'strength', 'fleet'] as const;
type SectionName = (typeof SECTIONS)[number];
const REPEATS = Number(process.env.HUSH_BENCH_REPEATS ?? 3);

const log = (line: string) =>
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function resultsPath(): string {
  return path.join(process.env.HUSH_CACHE || '/var/cache/hush', 'bench', 'compare-results.json');
}

function loadResults(): CompareResults {
  try {
    return JSON.parse(fs.readFileSync(resultsPath(), 'utf8')) as CompareResults;
  } catch {
    return {};
  }
}

/**
 * Stores one section's figures: re-reads the file first, so that two sections run by separate
 * processes do not overwrite each other, then re-renders RESULTS.md.
 */
function save<K extends keyof CompareResults>(name: K, section: CompareResults[K]): CompareResults {
  const results = loadResults();
  results[name] = section;
  fs.mkdirSync(path.dirname(resultsPath()), { recursive: true });
  fs.writeFileSync(resultsPath(), JSON.stringify(results, null, 2) + '\n');
  writeResultsMd(results);
  return results;
}

function writeResultsMd(results: CompareResults): void {
  const notesFile = path.join(REPO, 'bench', 'compare', 'NOTES.md');
  const notes = fs.existsSync(notesFile) ? fs.readFileSync(notesFile, 'utf8') : '';
  fs.writeFileSync(path.join(REPO, 'bench', 'RESULTS.md'), renderResults(results, notes));
}

function installShh(): string {
  return execFileSync(path.join(REPO, 'scripts', 'install-shh'), [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

function environment(shh: string): Environment {
  const cpu = os.cpus();
  const strace = (() => {
    try {
      return (
        execFileSync('strace', ['-V'], { encoding: 'utf8' })
          .split('\n')[0]
          ?.replace(/^strace -- version /, '') ?? '?'
      );
    } catch {
      return 'none';
    }
  })();
  const buildInfo = path.join(
    process.env.HUSH_CACHE || '/var/cache/hush',
    'testhost',
    'debian-13',
    'build-info.txt',
  );
  const vm = fs.existsSync(buildInfo)
    ? fs
        .readFileSync(buildInfo, 'utf8')
        .split('\n')
        .filter((l) => /^(built=|suite=|pkg (systemd|strace|linux-image\S*|nginx)=)/.test(l))
        .map((l) => l.replace(/^pkg /, ''))
        .join(', ')
    : 'debian-13';
  const git = (...args: string[]) => execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length;
  return {
    tree: `${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${dirty} uncommitted file(s) in the working tree` : ''}`,
    date: new Date().toISOString(),
    machine: `${cpu[0]?.model ?? 'cpu'}, ${cpu.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, load ${os.loadavg()[0]?.toFixed(1)} at start`,
    node: process.version,
    hush: hushVersion(),
    shh: path.basename(path.dirname(path.dirname(shh))),
    vm: `debian-13 test image (${vm || 'build-info unavailable'})`,
    strace,
  };
}

function parseArgs(argv: string[]): { sections: SectionName[]; units: string[] | undefined; tools: Tool[] } {
  let sections: SectionName[] = [...SECTIONS];
  let units: string[] | undefined;
  let tools: Tool[] = ['hush', 'shh'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--sections' && v) {
      sections = v.split(',').map((s) => {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section ${s}`);
        return s as SectionName;
      });
      i++;
    } else if (a === '--units' && v) {
      units = v.split(',');
      i++;
    } else if (a === '--tools' && v) {
      tools = v.split(',').map((t) => {
        if (t !== 'hush' && t !== 'shh') throw new Error(`unknown tool ${t}`);
        return t;
      });
      i++;
    } else if (a === '--render') {
      sections = [];
    } else
      throw new Error(
        `usage: compare.ts [--sections ${SECTIONS.join(',')}] [--units UNIT,...] [--tools hush,shh] | --render`,
      );
  }
  return { sections, units, tools };
}

type Tool = 'hush' | 'shh';

async function strength(
  vm: Vm,
  shh: string,
  only: string[] | undefined,
  tools: Tool[],
  results: CompareResults,
  env: Environment,
) {
  const key = IMAGE === 'debian-12' ? 'strength12' : 'strength';
  const stopTimeout = process.env.HUSH_COMPARE_SHH_STOP_TIMEOUT;
  const shhOpts = stopTimeout ? { stopTimeoutSec: Number(stopTimeout) } : {};
  await vm.reset();
  // the corpus services the boot does not start (hush-corpus.target)
  await startCorpus(vm.host);
  const all = await corpusUnitsOn(vm.host);
  const units = only ? all.filter((u) => only.includes(u.unit)) : all;
  const at = new Date().toISOString();
  const earlier = results[key]?.result ?? [];
  // units measured earlier in this section are kept when only some are re-run
  const previous = only ? earlier.filter((u) => !only.includes(u.unit)) : [];
  const out: UnitStrength[] = [...previous];
  const order = (unit: string) => {
    const i = all.findIndex((a) => a.unit === unit);
    return i < 0 ? all.length : i;
  };
  const store = () => {
    // in corpus order, whatever order the units were (re-)measured in
    out.sort((a, b) => order(a.unit) - order(b.unit));
    save(key, { at, env, result: out, planned: all.length });
  };
  const rows = new Map<string, UnitStrength>();
  for (const u of units) {
    const before = earlier.find((e) => e.unit === u.unit);
    const row: UnitStrength = { unit: u.unit, check: u.check, stockExposure: before?.stockExposure ?? NaN };
    // a tool not re-run keeps its earlier figures; an earlier SHH run that failed stays visible
    if (!tools.includes('hush') && before?.hush) row.hush = before.hush;
    if (!tools.includes('shh') && before?.shh) row.shh = before.shh;
    if (tools.includes('shh') && before?.shh) row.shhEarlier = before.shh;
    if (before?.error && !(tools.includes('hush') && tools.includes('shh')))
      row.error = `earlier: ${before.error}`;
    rows.set(u.unit, row);
    out.push(row);
  }
  const stock = await securityBaseline(
    vm.host,
    units.map((u) => u.unit),
  );
  for (const e of stock) {
    const row = rows.get(e.unit);
    if (row) row.stockExposure = e.exposure;
  }
  if (tools.includes('hush')) {
    // one corpus run for every unit (independent units side by side), as the test suite does
    log(`strength on ${IMAGE}: hush on ${units.length} units`);
    try {
      const hush = await hardenAllWithHush(vm, units, log);
      for (const [unit, r] of hush) rows.get(unit)!.hush = r;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      for (const row of rows.values()) row.error = `hush corpus run: ${why}`;
      log(`strength: hush corpus run: error: ${why}`);
    }
    store();
  }
  if (tools.includes('shh')) {
    for (const u of units) {
      const row = rows.get(u.unit)!;
      try {
        await vm.reset();
        await startCorpus(vm.host);
        await vm.installChecks();
        log(`strength: ${u.unit}: shh`);
        row.shh = await hardenWithShh(vm, shh, u, log, shhOpts);
        log(`strength: ${u.unit}: shh ${JSON.stringify(row.shh)}`);
      } catch (err) {
        row.error = err instanceof Error ? err.message : String(err);
        log(`strength: ${u.unit}: error: ${row.error}`);
      }
      store();
    }
  }
  store();
}

async function main(): Promise<void> {
  const { sections, units, tools } = parseArgs(process.argv.slice(2));
  if (sections.length === 0) {
    // --render: RESULTS.md again from the stored figures (after editing NOTES.md)
    writeResultsMd(loadResults());
    return;
  }
  const shh = installShh();
  const env = environment(shh);
  log(`SHH ${env.shh} at ${shh}; sections ${sections.join(', ')}`);

  if (sections.includes('parser')) {
    log('parser: hush and SHH on the same log, interleaved');
    const at = new Date().toISOString();
    const r = compareParsers(shh, REPEATS);
    save('parser', { at, env, result: r });
    log(
      `parser: hush ${r.hush.cpuSeconds.toFixed(2)} CPU s, SHH ${r.shh.cpuSeconds.toFixed(2)} CPU s: ${r.ratio.toFixed(2)}x`,
    );
  }

  if (sections.includes('cpu')) {
    log('cpu: bench/overhead on this machine (bash bench/overhead/setup.sh first)');
    const at = new Date().toISOString();
    // HUSH_COMPARE_CPU_STORED=1: take the last `npm run bench:overhead` run instead of a new one
    if (process.env.HUSH_COMPARE_CPU_STORED !== '1')
      execFileSync(process.execPath, [path.join(REPO, 'dist', 'bench', 'overhead', 'run.js')], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    const cpu = JSON.parse(
      fs.readFileSync(path.join(path.dirname(resultsPath()), 'overhead-local.json'), 'utf8'),
    ) as LocalOverheadResults;
    save('cpu', { at: cpu.started ?? at, env, result: cpu });
  }

  if (sections.includes('fleet')) {
    const at = new Date().toISOString();
    const r = await compareFleet(Number(process.env.HUSH_COMPARE_FLEET_HOSTS ?? 3), log);
    save('fleet', { at, env, result: r });
    log(
      `fleet: beyond the window: one host ${r.one.beyondWindowSeconds.toFixed(0)} s, ` +
        `${r.fleet.hosts} hosts ${r.fleet.beyondWindowSeconds.toFixed(0)} s: ${r.ratio.toFixed(2)}x`,
    );
  }

  const needVm = sections.includes('overhead') || sections.includes('strength');
  if (!needVm) return;
  const vm = await Vm.up();
  try {
    if (sections.includes('overhead')) {
      const at = new Date().toISOString();
      const r = await compareOverhead(vm, shh, log, tracingVariants());
      save('overhead', { at, env, result: r });
    }
    if (sections.includes('strength')) await strength(vm, shh, units, tools, loadResults(), env);
  } finally {
    await vm.down();
  }
}

if (require.main === module) {
  main().then(
    () => log(`done: ${path.join('bench', 'RESULTS.md')}`),
    (err: unknown) => {
      process.stderr.write(
        `bench:compare: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
