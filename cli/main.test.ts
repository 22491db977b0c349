import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from './main';

test('hush --version prints the package version', async () => {
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  const code = await main(['--version'], { stdin: new PassThrough(), stdout, stderr: new PassThrough() });
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(code).toBe(0);
  expect(Buffer.concat(out).toString()).toBe(`hush ${pkg.version}\n`);
});
