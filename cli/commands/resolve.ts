/**
 * `hush resolve`: profiles and/or strace logs in, hardening out. Several inputs are merged (logs are
 * summarized first); the target is the profile's host facts, a --facts file, or this machine.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatIssues, mergeProfiles } from '../../core/profile';
import { HostFacts } from '../../core/profile/hostFacts';
import type { Profile } from '../../core/profile/schema';
import { resolve } from '../../core/resolve';
import { InvalidUnitNameError, validateUnitName } from '../../core/systemd/unitName';
import { UsageError, type CliCommand } from '../command';
import { InputError, readProfileOrLog } from '../input';
import { withExecModes } from '../../remote/execModes';
import { LocalShell } from '../../remote/host';
import { RUN_UNIT } from './run';
import { formatPlan, HARDENING_FLAGS, HARDENING_USAGE, PositiveInt, settingsFromFlags } from '../planOutput';

const usage = `usage: hush resolve [FLAGS] PROFILE|STRACE_LOG…   (- reads stdin)

Prints the drop-in for the merged inputs. JSON input must be a hush.profile/v1 profile, any
other input a strace log (hush's -f -xx -y -v format); empty, binary or unreadable input is an
error (exit 1), never a drop-in.

target flags:
  --systemd-version N  resolve for systemd N (gates options; bundled syscall groups for N)
  --facts FILE         host facts JSON (as probed by hush profile) instead of the profile's or this machine's
  --unit NAME          unit name for the drop-in header
${HARDENING_USAGE}
`;

/** `--facts FILE`: host facts JSON, refused with the field named. */
function readFacts(file: string): HostFacts {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON host facts (${(err as Error).message})`);
  }
  const res = HostFacts.safeParse(value);
  if (!res.success)
    throw new InputError(`${file}: invalid host facts: ${formatIssues(res.error).join('; ')}`);
  return res.data;
}

export const command: CliCommand = {
  name: 'resolve',
  summary: 'profiles or strace logs → hardening drop-in (or JSON plan)',
  usage,
  async run(argv, io) {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...HARDENING_FLAGS,
        'systemd-version': { type: 'string' },
        facts: { type: 'string' },
        unit: { type: 'string' },
      },
    });
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('no input given');
    const settings = settingsFromFlags(values);
    let unit: string | undefined;
    try {
      unit = values.unit === undefined ? undefined : validateUnitName(values.unit);
    } catch (err) {
      if (err instanceof InvalidUnitNameError) throw new UsageError(`--unit: ${err.message}`);
      throw err;
    }
    if (positionals.filter((p) => p === '-').length > 1)
      throw new UsageError('stdin (-) can be read only once');
    let profile: Profile | undefined;
    for (const input of positionals) {
      const p = await readProfileOrLog(input, io);
      profile = profile ? mergeProfiles(profile, p) : p;
    }
    let facts = values.facts ? readFacts(values.facts) : profile!.host;
    if (!facts) {
      // A bare log: assume it was captured on this machine.
      const local = new LocalShell();
      facts = await withExecModes(local, profile!, await local.facts(unit ?? RUN_UNIT));
      io.stderr.write("hush resolve: no host facts in the input; using this machine's\n");
    }
    if (values['systemd-version'] !== undefined) {
      const n = PositiveInt.safeParse(values['systemd-version']);
      if (!n.success) throw new UsageError('--systemd-version expects a number');
      if (n.data !== facts.systemdVersion) {
        // The probed groups belong to another systemd: use the bundled ones for N.
        const { syscallGroups: _probed, ...rest } = facts;
        facts = { ...rest, systemdVersion: n.data };
      }
    }
    const plan = resolve(profile!, facts, settings);
    io.stdout.write(
      formatPlan(plan, {
        json: values.json,
        explain: values.explain,
        unit: unit ?? facts.unit?.name,
        notes: io.stderr,
      }),
    );
    return 0;
  },
};
