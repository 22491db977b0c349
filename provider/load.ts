/**
 * Where the provider implementations are loaded from inside the dynamic-provider process.
 *
 * Pulumi serializes a dynamic provider's methods by value and runs them in a separate Node
 * process through `require-from-string`, with no file name: relative `require`s cannot work
 * there, and capturing ssh2 (native parts) by value fails. So the serialized methods are
 * one-line trampolines that `require` the compiled implementation (provider/runtime.js) by
 * absolute path — a plain string captured by value — and fall back to the package name for a
 * state written by an installation that has since moved.
 *
 * Under ts-jest this file is TypeScript: the compiled twin lives in dist/ (`npm run build`).
 */
import * as path from 'node:path';
import type * as pulumi from '@pulumi/pulumi';

export const RUNTIME_PATH: string = __filename.endsWith('.ts')
  ? path.join(__dirname, '..', 'dist', 'provider', 'runtime.js')
  : path.join(__dirname, 'runtime.js');

export const RUNTIME_PACKAGE_PATH = 'pulumi-hush/dist/provider/runtime.js';

type Runtime = typeof import('./runtime');
type Kind = 'serviceProfile' | 'hardeningDropIn';

/**
 * A ResourceProvider whose every method forwards to `runtime[kind]`. The closure Pulumi
 * serializes holds two strings and this function: nothing heavy, nothing secret.
 */
export function trampolineProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  const load = (): Runtime[Kind] => {
    let runtime: Runtime;
    /* eslint-disable @typescript-eslint/no-require-imports -- must stay a runtime require: see above */
    try {
      runtime = require(RUNTIME_PATH);
    } catch {
      runtime = require(RUNTIME_PACKAGE_PATH);
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
    return runtime[kind];
  };
  return {
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read(id, props),
    update: (id, olds, news) => load().update(id, olds, news),
    delete: (id, props) => load().delete(id, props),
  };
}
