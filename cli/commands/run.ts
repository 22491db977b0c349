/**
 * `hush run -- CMD ARGS…`: profile a local command under strace (as the current user) and print the
 * [Service] hardening that would let it do exactly what it did, like SHH's `run`. The command's own
 * stdout and stderr go to hush's stderr, so hush's stdout carries only the result.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { resolve } from '../../core/resolve';
import { fileChunks } from '../../core/strace/fileChunks';
import { parseStraceVersion, straceArgs, STRACE_ENV } from '../../core/strace/invocation';
import { childEnv } from '../../remote/shell';
import { UsageError, type CliCommand } from '../command';
import { withExecModes } from '../../remote/execModes';
import { LocalShell } from '../../remote/host';
import { formatPlan, HARDENING_FLAGS, HARDENING_USAGE, settingsFromFlags } from '../planOutput';
import { profileFromStraceLog } from '../traceProfile';

/** The unit name `hush run` profiles a command as (its facts: a system service of the current user). */
export const RUN_UNIT = 'hush-run.service';

const usage = `usage: hush run [FLAGS] -- COMMAND [ARGS…]

Runs COMMAND under strace on this machine, then prints the systemd [Service] options that allow
exactly what it did (conservative mode: nothing it did is blocked).

  --profile FILE       also write the profile (JSON) to FILE
  --strace-log FILE    keep the raw strace log in FILE
${HARDENING_USAGE}
`;

/**
 * The status a shell (and env(1)) gives a command that cannot start: 127 when there is no such
 * program (no file, or none on $PATH), 126 when there is one that cannot be executed.
 */
function notStartedStatus(program: string): number {
  const candidates = program.includes('/')
    ? [program]
    : (process.env.PATH ?? '').split(':').map((d) => join(d || '.', program));
  return candidates.some((c) => existsSync(c)) ? 126 : 127;
}

/** Split `FLAGS -- CMD ARGS` (or `FLAGS CMD ARGS`: the first non-flag word starts the command). */
function splitCommand(argv: string[]): { flags: string[]; cmd: string[] } {
  const dd = argv.indexOf('--');
  if (dd >= 0) return { flags: argv.slice(0, dd), cmd: argv.slice(dd + 1) };
  const valued = new Set([
    '--mode',
    '--threshold',
    '--set',
    '--forbid',
    '--writable',
    '--readable',
    '--exec',
    '--profile',
    '--strace-log',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) return { flags: argv.slice(0, i), cmd: argv.slice(i) };
    if (valued.has(a)) i++;
  }
  return { flags: argv, cmd: [] };
}

export const command: CliCommand = {
  name: 'run',
  summary: 'profile a local command under strace and print the hardening it allows',
  usage,
  async run(argv, io) {
    const { flags, cmd } = splitCommand(argv);
    if (cmd.length === 0) throw new UsageError('no command given (hush run -- COMMAND …)');
    let values;
    try {
      values = parseArgs({
        args: flags,
        options: { ...HARDENING_FLAGS, profile: { type: 'string' }, 'strace-log': { type: 'string' } },
      }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const settings = settingsFromFlags(values);
    let versionText: string;
    try {
      versionText = execFileSync('strace', ['-V'], { encoding: 'utf8' });
    } catch {
      throw new Error('strace is not installed (apt-get install strace)');
    }
    const version = parseStraceVersion(versionText);
    if (!version)
      throw new Error(`cannot read the strace version from ${JSON.stringify(versionText.split('\n')[0])}`);

    const dir = mkdtempSync(join(tmpdir(), 'hush-run-'));
    try {
      const log = values['strace-log'] ?? join(dir, 'trace.log');
      const exitCode = await new Promise<number>((done, fail) => {
        const child = spawn('strace', straceArgs({ version, output: log, command: cmd }), {
          stdio: [io.stdin === process.stdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
          // the traced program is untrusted: it gets the environment without hush's credentials
          env: { ...childEnv(), ...STRACE_ENV },
        });
        child.stdout!.pipe(io.stderr, { end: false });
        child.stderr!.pipe(io.stderr, { end: false });
        child.on('error', fail);
        child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
      });
      const traced = await profileFromStraceLog(fileChunks(log), {
        source: `run: ${cmd.join(' ')}`,
        cwd: process.cwd(),
        // straceArgs prints personality notices: every ABI switch of the command is in the log
        abiWatched: true,
      });
      // A command that never started has no behaviour to harden: its failure is the result.
      if (traced.syscalls['execve'] === undefined && traced.syscalls['execveat'] === undefined) {
        const status = notStartedStatus(cmd[0]!);
        io.stderr.write(
          `hush run: ${cmd[0]} could not be started (${status === 127 ? 'not found' : 'not executable'}); no profile, no drop-in\n`,
        );
        return status;
      }
      if (exitCode !== 0)
        io.stderr.write(`hush run: ${cmd[0]} exited with status ${exitCode}; the profile covers that run\n`);
      // The same probe and exec-mode code as `hush profile`, on this machine.
      const local = new LocalShell();
      const hostFacts = await withExecModes(local, traced, await local.facts(RUN_UNIT));
      const profile = { ...traced, host: hostFacts };
      if (values.profile) writeFileSync(values.profile, JSON.stringify(profile, null, 2) + '\n');
      const plan = resolve(profile, hostFacts, settings);
      io.stdout.write(
        formatPlan(
          plan,
          { json: values.json, explain: values.explain, notes: io.stderr, command: 'run' },
          { command: cmd, exitCode },
        ),
      );
      return 0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
