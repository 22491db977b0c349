/* eslint-disable -- plain CommonJS require hook for child node processes, not part of the TypeScript build */
// Lets a child `node` process run hush's TypeScript sources directly (the controller-killed test
// spawns the real CLI and SIGKILLs it): .ts files are transpiled on require with TypeScript's own
// transpileModule (no type check, as ts-jest's isolatedModules).
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
