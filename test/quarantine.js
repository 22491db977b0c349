// Host test files that were written but never seen green on this project's machines yet, with
// why. `npm test` (and so CI) skips them; `npm run test:quarantine` runs exactly these. A file
// leaves this list in the commit that shows it passing on a quiet machine. The issues they
// belong to stay open while anything is listed here.
module.exports = [
  // issue 14 (ops): first run under load average 25 outlived its timeout while profiling; the
  // watch flow it drives was checked by hand on debian-13, the canary flow not yet on a VM.
  'test/e2e/watch.test.ts',
];
