// Host test files that were written but never seen green on this project's machines yet, with
// why. `npm test` (and so CI) skips them; `npm run test:quarantine` runs exactly these. A file
// leaves this list in the commit that shows it passing on a quiet machine. The issues they
// belong to stay open while anything is listed here.
module.exports = [
  // issue 13 (corpus): the 18-unit corpus run; its image never booted to a saved state while the
  // machine ran at load 25-35 (two cold boots outlived 300 s and 900 s). Until it is seen green,
  // remote-cli keeps its per-service loops (caddy, redis, postgresql, hush-testsvc); the commit
  // that takes this file out of quarantine removes them (corpus.test.ts covers every unit).
  'test/e2e/corpus.test.ts',
];
