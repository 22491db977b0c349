/* eslint-disable -- plain CommonJS require hook, not part of the TypeScript build */
// `node -r ./scripts/ts-register.cjs FILE.ts` runs hush's TypeScript sources directly: the
// controller-killed e2e test spawns the real CLI this way (and SIGKILLs it), and
// `npm run bench:compare` drives the test hosts through test/host, whose helpers find their bash
// checks relative to their own source files. .ts files are transpiled on require with
// TypeScript's transpileModule (no type check: `npm run typecheck` does that). The timed parser
// figures never run through this hook: they use the compiled dist/bench/parser-worker.js.
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2023,
      esModuleInterop: true,
    },
  });
  module._compile(out.outputText, filename);
};
