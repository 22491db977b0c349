/**
 * `hush resolve`: profiles and/or strace logs in, hardening out. Several inputs are merged (logs are
 * summarized first); the target is the profile's host facts, a --facts file, or this machine.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mergeProfiles, parseProfile } from '../../core/profile';
import { HostFacts } from '../../core/profile/hostFacts';
import type { Profile } from '../../core/profile/schema';
import { PROFILE_SCHEMA } from '../../core/profile/schema';
import { resolve } from '../../core/resolve';
import { UsageError, type CliCommand } from '../command';
import { execBinaries, localHostFacts } from '../localHost';
import { formatPlan, HARDENING_FLAGS, HARDENING_USAGE, PositiveInt, settingsFromFlags } from '../planOutput';
import { profileFromStraceLog } from '../traceProfile';

const usage = `usage: hush resolve [FLAGS] PROFILE|STRACE_LOG…   (- reads stdin)

Prints the drop-in for the merged inputs. A file is a profile if it is a hush.profile/v1 JSON
document; anything else is read as a strace log (hush's -f -xx -y -v format).

target flags:
  --systemd-version N  resolve for systemd N (gates options; bundled syscall groups for N)
  --facts FILE         host facts JSON (as probed by hush profile) instead of the profile's or this machine's
  --unit NAME          unit name for the drop-in header
${HARDENING_USAGE}
`;

async function readInput(path: string, stdin: NodeJS.ReadableStream): Promise<Profile> {
  const text = path === '-' ? undefined : readFileSync(path).subarray(0, 4096).toString('utf8');
  if (text !== undefined && text.trimStart().startsWith('{') && text.includes(PROFILE_SCHEMA)) {
    return parseProfile(readFileSync(path, 'utf8'));
  }
  return profileFromStraceLog(path === '-' ? stdin : createReadStream(path), {
    source: path === '-' ? 'stdin' : path,
  });
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

    let profile: Profile | undefined;
    for (const input of positionals) {
      const p = await readInput(input, io.stdin);
      profile = profile ? mergeProfiles(profile, p) : p;
    }
    let facts = values.facts
      ? HostFacts.parse(JSON.parse(readFileSync(values.facts, 'utf8')))
      : profile!.host;
    if (!facts) {
      // A bare log: assume it was captured on this machine.
      facts = { ...localHostFacts(values.unit), binaries: execBinaries(profile!) };
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
        unit: values.unit ?? facts.unit?.name,
        notes: io.stderr,
      }),
    );
    return 0;
  },
};
