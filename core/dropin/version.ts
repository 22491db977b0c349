/** hush's own version, from package.json, for drop-in headers. */
import pkg from '../../package.json';

export function hushVersion(): string {
  return pkg.version;
}
