/**
 * `npm run bench`: hush's performance figures, each against a baseline measured in the same run.
 * Not a test: nothing here fails a build; it prints numbers for people to read.
 */
import { runParserBench } from './parser';

async function main(): Promise<void> {
  await runParserBench((line) => process.stdout.write(line + '\n'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
