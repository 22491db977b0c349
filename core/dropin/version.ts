/**
 * hush's own version, for drop-in headers. Read from the nearest package.json named pulumi-hush at
 * run time (from the source tree or from dist/), rather than imported: a JSON import would make
 * tsc copy package.json into dist/, where a second package of the same name confuses tools.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

export function hushVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'pulumi-hush' && pkg.version) return (cached = pkg.version);
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error('package.json of pulumi-hush not found');
  }
}
