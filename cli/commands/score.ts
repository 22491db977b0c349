/**
 * `hush score [--unit FILE | --properties FILE] [--systemd-version N] [--offline] [--json] DROPIN`:
 * the exposure `systemd-analyze security` would print once the drop-in is applied, predicted
 * offline (core/exposure).
 */
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
import { UsageError, type CliCommand } from '../command';
import { InputError, readUnitText } from '../input';

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

/**
 * The [Unit] and [Service] assignments of a unit file or drop-in (other sections do not score).
 * A line systemd would ignore, or no [Service]/[Unit] section at all, means this is not what the
 * user thinks it is: an error naming the line, never a score.
 */
function scoredAssignments(text: string, name: string): Assignment[] {
  const parsed = parseDropIn(text);
  const bad = parsed.ignored[0];
  if (bad !== undefined)
    throw new InputError(
      `${name}:${bad.line}: ${bad.why}: ${JSON.stringify(bad.text.slice(0, 80))} (not a unit file or drop-in)`,
    );
  if (!parsed.sections.includes('Service') && !parsed.sections.includes('Unit'))
    throw new InputError(`${name}: no [Service] or [Unit] section: not a unit file or drop-in`);
  const scored = parsed.assignments.filter((a) => a.section === 'Service' || a.section === 'Unit');
  return scored.map(({ option, value }) => ({ option, value }));
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
      const text = await readUnitText(values.properties, io, '`systemctl show` output');
      const odd = text.split('\n').findIndex((l) => l !== '' && !/^[A-Za-z][A-Za-z0-9]*=/.test(l));
      if (odd >= 0)
        throw new InputError(
          `${values.properties}:${odd + 1}: not a Property=value line of \`systemctl show\``,
        );
      base = parseSystemctlShow(text);
      unitName = base.Id ?? unitName;
    } else if (values.unit !== undefined) {
      unitName = path.basename(values.unit);
      base.Id = unitName;
      unitAssignments = scoredAssignments(await readUnitText(values.unit, io, 'a unit file'), values.unit);
    }
    const file = positionals[0] as string;
    const dropIn = scoredAssignments(await readUnitText(file, io), file === '-' ? 'stdin' : file);
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
