#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=20
/**
 * `hush`: the CLI entry. Subcommands live in cli/commands/<name>.ts and are loaded on demand so
 * that `hush parse` does not pay for ssh2 or the option registry.
 *
 * The shebang's V8 flags keep a huge summary's memory flat: a small young generation and slower
 * heap growth make the garbage of parsing (short strings, one per line) die young instead of
 * piling up in the old generation. On 2.4 GB of strace log `hush summarize` peaks at 185 MiB with
 * them, 359 MiB without, for 10–20 % more CPU (bench/README.md). NODE_OPTIONS cannot carry
 * --heap-growing-percent, hence the shebang; `node dist/cli/main.js` runs without them.
 */
import type { CliCommand, CliIo } from './command';
import { UsageError } from './command';

/** Subcommands in help order. */
export const COMMAND_NAMES = [
  'run',
  'parse',
  'summarize',
  'resolve',
  'score',
  'profile',
  'apply',
  'reset',
  'status',
  'watch',
] as const;

function loadCommand(name: string): CliCommand | undefined {
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`./commands/${name}`) as { command: CliCommand }).command;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
      String(err).includes(`commands/${name}`)
    ) {
      return undefined;
    }
    throw err;
  }
}

function help(io: CliIo): void {
  const lines = [
    'usage: hush COMMAND [ARGS…]   (hush COMMAND --help for details; hush --version)',
    '',
    'commands:',
  ];
  for (const name of COMMAND_NAMES) {
    const cmd = loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    // Loaded here only: the header's version comes from the same place (core/dropin/version.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { hushVersion } = require('../core/dropin/version') as typeof import('../core/dropin/version');
    io.stdout.write(`hush ${hushVersion()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 2;
  }
  const cmd = loadCommand(name);
  if (!cmd) {
    io.stderr.write(`hush: unknown command '${name}' (see hush --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    // node's parseArgs rejects unknown or malformed flags with ERR_PARSE_ARGS_*: bad usage too.
    const parseArgsError = String((err as NodeJS.ErrnoException)?.code ?? '').startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseArgsError) {
      const message = err instanceof Error ? err.message : String(err);
      io.stderr.write(`hush ${name}: ${message}\n\n${cmd.usage.trimEnd()}\n`);
      return 2;
    }
    io.stderr.write(`hush ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`hush: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
