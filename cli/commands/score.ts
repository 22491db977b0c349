/**
 * `hush score [--unit FILE | --properties FILE] [--systemd-version N] [--offline] [--json] DROPIN`:
 * the exposure `systemd-analyze security` would print once the drop-in is applied, predicted
 * offline (core/exposure).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDropIn } from '../../core/dropin';
import {
  DEFAULT_SERVICE_PROPERTIES,
  parseSystemctlShow,
  predictExposure,
  type ExposurePrediction,
  type UnitProperties,
} from '../../core/exposure';
import type { Assignment } from '../../core/resolve/plan';
import { syscallGroupsFor } from '../../core/systemd';
import { UsageError, type CliCommand, type CliIo } from '../command';

const usage = `usage: hush score [--unit FILE | --properties FILE] [--systemd-version N] [--offline] [--json] DROPIN|-

Predicts the exposure score \`systemd-analyze security\` prints for a service once the drop-in
DROPIN (a file, or - for stdin) is applied, without a host.

  --unit FILE          the service's unit file: its own settings are the starting point
                       (default: a bare root service, which scores 9.6)
  --properties FILE    \`systemctl show UNIT\` output of the service instead (exact for a live unit)
  --systemd-version N  the target's systemd, for its syscall groups (default 252)
  --offline            predict \`systemd-analyze security --offline=true\` instead of the live score
  --json               the prediction as JSON (score, label, every check)
`;

async function readInput(file: string, io: CliIo): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The [Unit] and [Service] assignments of a unit file or drop-in (other sections do not score). */
function scoredAssignments(text: string): Assignment[] {
  return parseDropIn(text)
    .assignments.filter((a) => a.section === 'Service' || a.section === 'Unit')
    .map(({ option, value }) => ({ option, value }));
}

function renderText(p: ExposurePrediction, unit: string): string {
  const failing = p.checks.filter((c) => c.badness !== null && c.badness > 0);
  const width = Math.max(...failing.map((c) => c.name.length), 10);
  const lines = failing.map((c) =>
    `✗ ${c.name.padEnd(width)} ${c.description.padEnd(70)} ${c.exposure ?? ''}`.trimEnd(),
  );
  const passed = p.checks.filter((c) => c.badness === 0).length;
  lines.push(
    `${passed} checks passed, ${failing.length} not, ${p.checks.length - passed - failing.length} not applicable`,
  );
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  lines.push(`→ Predicted exposure level for ${unit}: ${p.scoreText} ${p.label}`);
  return lines.join('\n') + '\n';
}

export const command: CliCommand = {
  name: 'score',
  summary: 'predicted systemd-analyze security exposure of a drop-in',
  usage,
  async run(argv, io) {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        unit: { type: 'string' },
        properties: { type: 'string' },
        'systemd-version': { type: 'string' },
        offline: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expected exactly one DROPIN file (or -)');
    if (values.unit !== undefined && values.properties !== undefined)
      throw new UsageError('--unit and --properties are alternatives');
    const version = Number(values['systemd-version'] ?? '252');
    if (!Number.isInteger(version) || version < 200)
      throw new UsageError('--systemd-version must be a number like 252');
    const groups = syscallGroupsFor(version);
    if (!groups) throw new UsageError(`no bundled syscall groups for systemd ${version}`);

    let base: UnitProperties = { ...DEFAULT_SERVICE_PROPERTIES };
    let unitAssignments: Assignment[] = [];
    let unitName = 'service.service';
    if (values.properties !== undefined) {
      base = parseSystemctlShow(await readFile(values.properties, 'utf8'));
      unitName = base.Id ?? unitName;
    } else if (values.unit !== undefined) {
      unitName = path.basename(values.unit);
      base.Id = unitName;
      unitAssignments = scoredAssignments(await readFile(values.unit, 'utf8'));
    }
    const dropIn = scoredAssignments(await readInput(positionals[0] as string, io));
    const prediction = predictExposure(base, [...unitAssignments, ...dropIn], {
      syscallGroups: groups.groups,
      mode: values.offline ? 'offline' : 'online',
      systemdVersion: version,
    });
    if (values.json) {
      const { properties: _p, ...rest } = prediction;
      io.stdout.write(
        JSON.stringify({ unit: unitName, syscallGroups: groups.source, ...rest }, null, 2) + '\n',
      );
    } else {
      io.stdout.write(renderText(prediction, unitName));
    }
    return 0;
  },
};
