// Host test files that were written but never seen green on this project's machines yet, with
// why. `npm test` (and so CI) skips them; `npm run test:quarantine` runs exactly these. A file
// leaves this list in the commit that shows it passing on a quiet machine. The issues they
// belong to stay open while anything is listed here.
module.exports = [
  // #5: the corpus through the CLI. nginx passes on debian-13 (131 s; not re-run on debian-12 since
  // it became the corpus file). caddy/redis/postgresql side by side on debian-13: caddy and
  // postgresql profile and apply, but hush's drop-in for redis-server (its unit already has
  // User=redis, CapabilityBoundingSet= and PrivateUsers=true) fails with 218/CAPABILITIES and is
  // rolled back (core/resolve), so the later steps of that test never ran.
  'test/e2e/remote-cli.test.ts',
];
