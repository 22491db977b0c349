// @ts-check
// A jest reporter: at the end of a run, the wall time of every test file of one project (the
// host project by default), slowest first, with the run's total and its global setup (image
// build + first boots). CI's budget (`npm test` within 90 min on 2 cores) is planned from these
// figures. Plain JavaScript: jest loads reporters with require, untranspiled.
const path = require('node:path');
const { performance } = require('node:perf_hooks');

/** jest marks its global setup on the process's performance timeline (@jest/core) */
function globalSetupSeconds() {
  const start = performance.getEntriesByName('jest/globalSetup:start')[0];
  const end = performance.getEntriesByName('jest/globalSetup:end')[0];
  return start && end ? (end.startTime - start.startTime) / 1000 : undefined;
}

class WallTimeReporter {
  /**
   * @param {{ rootDir: string }} globalConfig
   * @param {{ project?: string }} [options]
   */
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.project = options.project ?? 'host';
    this.startedAt = Date.now();
    /** @type {{ file: string, seconds: number, failed: number, error: boolean }[]} */
    this.files = [];
  }

  onRunStart() {
    this.startedAt = Date.now();
  }

  /**
   * @param {{ path: string, context: { config: { displayName?: { name: string } } } }} test
   * @param {{ perfStats: { start: number, end: number }, numFailingTests: number, testExecError?: unknown }} result
   */
  onTestResult(test, result) {
    if (test.context.config.displayName?.name !== this.project) return;
    const { start, end } = result.perfStats;
    // a file that could not run at all has no end: count up to now
    const seconds = ((end > 0 ? end : Date.now()) - start) / 1000;
    this.files.push({
      file: path.relative(this.rootDir, test.path),
      seconds,
      failed: result.numFailingTests,
      error: result.testExecError !== undefined && result.testExecError !== null,
    });
  }

  onRunComplete() {
    if (this.files.length === 0) return;
    const files = [...this.files].sort((a, b) => b.seconds - a.seconds);
    const sum = files.reduce((s, f) => s + f.seconds, 0);
    const setup = globalSetupSeconds();
    const lines = files.map((f) => {
      const note = f.error ? '  (did not run)' : f.failed > 0 ? `  (${f.failed} failed)` : '';
      return `${f.seconds.toFixed(1).padStart(9)} s  ${f.file}${note}`;
    });
    process.stderr.write(
      `\nWall time per ${this.project} test file (slowest first):\n${lines.join('\n')}\n` +
        `${sum.toFixed(1).padStart(9)} s  sum of ${files.length} file(s); the test run took ` +
        `${((Date.now() - this.startedAt) / 1000).toFixed(1)} s` +
        (setup === undefined ? '' : ` after a global setup of ${setup.toFixed(1)} s`) +
        '\n',
    );
  }
}

module.exports = WallTimeReporter;
