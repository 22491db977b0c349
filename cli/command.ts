/** The contract every `hush` subcommand module (cli/commands/<name>.ts) exports as `command`. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CliCommand {
  name: string;
  /** One line for `hush --help`. */
  summary: string;
  /** Full usage text for `hush NAME --help`. */
  usage: string;
  /** Returns the process exit code. Throw UsageError for bad arguments (exit 2, usage shown). */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Bad command-line input: reported as `hush NAME: message` with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
