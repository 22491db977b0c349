/**
 * predictExposure() against the number systemd itself prints, on the real test hosts: for each
 * corpus unit, before hardening and after each drop-in of cases.ts (written to
 * /etc/systemd/system/UNIT.d/zz-test.conf, daemon-reload, measured, removed). The prediction sees
 * only what a hush user has offline: the unit's `systemctl show` properties before the drop-in,
 * the drop-in text, and the host's syscall groups.
 *
 * By default each corpus unit is measured before and after the reference drop-ins (three-lines,
 * strong), and nginx also after the synthetic ones. HUSH_RECORD_EXPOSURE=1 measures every drop-in
 * on every unit plus a few system units, and writes core/exposure/fixtures/<image>.json (the unit
 * tests' data).
 * HUSH_EXPOSURE_INSTANCE=NAME measures an already running `scripts/testhost` instance instead.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDropIn } from '../../../core/dropin';
import { predictExposure } from '../../../core/exposure';
import { parseSyscallFilterOutput } from '../../../core/systemd/syscallFilter';
import { HostRecording, type Measurement } from '../../../core/exposure/fixtures/recording';
import { connect, execOn, HOST_TEST_TIMEOUT_MS, imagesUnderTest, withTestHost } from '../../host';
import {
  parseHostInfo,
  TESTHOST_SCRIPT,
  toConnection,
  type TestHostConnection,
  type TestHostImage,
} from '../../host/testhost';
import { CORPUS_UNITS, DROP_INS, SYSTEM_UNITS } from './cases';
import {
  measureUnit,
  resolveUnit,
  syscallFilterListing,
  systemdVersion,
  withDropIn,
  type Exec,
} from './measure';

const IMAGES: TestHostImage[] = imagesUnderTest();
const RECORD = process.env.HUSH_RECORD_EXPOSURE === '1';
const REFERENCE_DROP_INS = ['three-lines', 'strong'];
const FIXTURES = path.join(__dirname, '..', '..', '..', 'core', 'exposure', 'fixtures');

/** The already running instance to measure instead of booting one (HUSH_EXPOSURE_INSTANCE). */
const attached = process.env.HUSH_EXPOSURE_INSTANCE
  ? parseHostInfo(
      execFileSync(TESTHOST_SCRIPT, ['info', process.env.HUSH_EXPOSURE_INSTANCE], { encoding: 'utf8' }),
    )
  : undefined;
/** With an attached instance, HUSH_EXPOSURE_ONLY=1 skips the other image (for quick re-recording). */
const images =
  attached && process.env.HUSH_EXPOSURE_ONLY === '1' ? IMAGES.filter((i) => i === attached.image) : IMAGES;

async function onHost<T>(image: TestHostImage, fn: (exec: Exec) => Promise<T>): Promise<T> {
  const session = async (conn: TestHostConnection): Promise<T> => {
    // One SSH connection for the whole measurement: a handshake costs ~1 s under TCG.
    const client = await connect(conn);
    try {
      return await fn((command, stdin) => execOn(client, command.text, { stdin, timeoutMs: 120_000 }));
    } finally {
      client.end();
    }
  };
  if (attached?.image === image) return session(toConnection(attached));
  return withTestHost(image, (host) => session(host));
}

interface Row {
  unit: string;
  case: string;
  live: string;
  predicted: string;
  differingChecks: string[];
}

describe.each(images)('exposure prediction vs systemd-analyze security on %s', (image) => {
  it(
    'predicts every corpus unit before and after each drop-in',
    async () => {
      const rows: Row[] = [];
      const recording = await onHost(image, async (exec) => {
        const listing = await syscallFilterListing(exec);
        const rec: HostRecording = {
          image,
          systemd: await systemdVersion(exec),
          syscallFilter: listing,
          units: [],
        };
        const groups = parseSyscallFilterOutput(listing);
        const compare = (
          unit: string,
          name: string,
          before: Measurement,
          text: string | null,
          live: Measurement,
        ) => {
          const assignments = text === null ? [] : parseDropIn(text).assignments;
          const p = predictExposure(before.properties, assignments, {
            syscallGroups: groups,
            systemdVersion: version,
          });
          const ours = Object.fromEntries(p.checks.map((c) => [c.jsonField, c.badness]));
          const differing = Object.keys(live.live.checks).filter((k) => live.live.checks[k] !== ours[k]);
          rows.push({
            unit,
            case: name,
            live: `${live.live.score} ${live.live.label}`,
            predicted: `${p.scoreText} ${p.label}`,
            differingChecks: differing.map((k) => `${k}: live ${live.live.checks[k]} predicted ${ours[k]}`),
          });
        };
        const version = Number(rec.systemd.split(' ')[0]);
        for (const pattern of [...CORPUS_UNITS, ...(RECORD ? SYSTEM_UNITS : [])]) {
          const unit = await resolveUnit(exec, pattern);
          const before = await measureUnit(exec, unit);
          compare(unit, 'before', before, null, before);
          const measured = [];
          if ((CORPUS_UNITS as readonly string[]).includes(pattern)) {
            // Every unit gets the reference hardening; the synthetic drop-ins (which exercise the
            // less common rules) run on every unit only when recording, on nginx otherwise.
            const dropIns = DROP_INS.filter(
              (d) => RECORD || REFERENCE_DROP_INS.includes(d.name) || pattern === 'nginx.service',
            );
            for (const d of dropIns) {
              const after = await withDropIn(exec, unit, d.text, () => measureUnit(exec, unit));
              compare(unit, d.name, before, d.text, after);
              measured.push({ name: d.name, text: d.text, ...after });
            }
          }
          rec.units.push({ unit, ...before, dropIns: measured });
          process.stderr.write(`exposure ${image}: measured ${unit} (${measured.length} drop-ins)\n`);
          // Partial recordings survive an interrupted run (the final write below replaces them).
          if (RECORD) {
            writeFileSync(path.join(FIXTURES, `${image}.partial.json`), JSON.stringify(rec, null, 1) + '\n');
          }
        }
        return HostRecording.parse(rec);
      });
      if (RECORD) {
        const file = path.join(FIXTURES, `${image}.json`);
        // One value per line keeps re-recordings reviewable as diffs (prettier ignores fixtures).
        writeFileSync(file, JSON.stringify(recording, null, 1) + '\n');
        rmSync(path.join(FIXTURES, `${image}.partial.json`), { force: true });
      }
      process.stderr.write(
        `\nexposure on ${image} (systemd ${recording.systemd}): live vs predicted\n` +
          rows
            .map((r) => `  ${r.unit.padEnd(30)} ${r.case.padEnd(15)} ${r.live.padEnd(12)} ${r.predicted}`)
            .join('\n') +
          '\n',
      );
      expect(rows.filter((r) => r.live !== r.predicted || r.differingChecks.length > 0)).toEqual([]);
    },
    // ~25 measurements (~60 when recording), each with two daemon-reloads, under TCG emulation.
    (RECORD ? 12 : 3) * HOST_TEST_TIMEOUT_MS,
  );
});
