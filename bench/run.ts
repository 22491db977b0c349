/**
 * `npm run bench`: hush's performance figures, each against a baseline measured in the same run.
 * Not a test: nothing here fails a build; it prints numbers for people to read.
 */
import { runParserBench, runParserComparison } from './parser';

async function main(): Promise<void> {
  const print = (line: string): void => void process.stdout.write(line + '\n');
  const baseline = process.env.HUSH_BENCH_BASELINE;
  if (baseline) runParserComparison(baseline, print);
  else await runParserBench(print);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
