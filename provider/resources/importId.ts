/**
 * The ID `pulumi import` takes for a HardeningDropIn: everything needed to reach the host and
 * name the unit, since an import hands the provider nothing but the ID.
 *
 *   [user@]host[:port]/unit#hostKey        e.g.  root@203.0.113.7:22/nginx.service#SHA256:abc…
 *
 * `host` may be `[v6 address]`. The host key pin is required (as for every hush connection);
 * credentials come from the environment of the `pulumi` process: the private key file named by
 * HUSH_IMPORT_PRIVATE_KEY_FILE, else the ssh-agent at SSH_AUTH_SOCK. Nothing secret is in the ID.
 */
import { readFileSync } from 'node:fs';
import { parseHostKeyPins } from '../../remote/hostKey';
import { parseRunnableUnitName } from '../../core/systemd/unitName';

export interface ImportTarget {
  host: string;
  port: number;
  user: string;
  unit: string;
  hostKey: string;
}

export const IMPORT_ID_FORM =
  '[user@]host[:port]/unit#hostKey (e.g. root@203.0.113.7:22/nginx.service#SHA256:…)';

const ID = /^(?:([^@/#\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^@/#:\s[\]]+)(?::(\d{1,5}))?\/([^#\s]+)#(.+)$/;

export class ImportIdError extends Error {
  constructor(message: string) {
    super(`import ID: ${message}; expected ${IMPORT_ID_FORM}`);
    this.name = 'ImportIdError';
  }
}

/** Parses an import ID (pure). Errors name what is wrong, never echo the ID. */
export function parseImportId(id: string): ImportTarget {
  const m = ID.exec(id.trim());
  if (!m) throw new ImportIdError('not of the expected form');
  const [, user, rawHost = '', rawPort, rawUnit = '', hostKey = ''] = m;
  const port = rawPort === undefined ? 22 : Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ImportIdError('port must be 1 to 65535');
  let unit: string;
  try {
    unit = parseRunnableUnitName(decodeURIComponent(rawUnit)).unit;
  } catch (err) {
    throw new ImportIdError(`unit: ${(err as Error).message}`);
  }
  try {
    parseHostKeyPins(hostKey);
  } catch (err) {
    throw new ImportIdError(`host key: ${(err as Error).message}`);
  }
  return { host: rawHost.replace(/^\[(.*)\]$/, '$1'), port, user: user ?? 'root', unit, hostKey };
}

/** The credentials an import uses, from the environment (see the module comment). */
export function importCredentials(env: NodeJS.ProcessEnv = process.env): {
  privateKey?: string;
  agentSocketPath?: string;
} {
  const file = env.HUSH_IMPORT_PRIVATE_KEY_FILE;
  if (file) {
    try {
      return { privateKey: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new Error(
        `HUSH_IMPORT_PRIVATE_KEY_FILE cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (env.SSH_AUTH_SOCK) return { agentSocketPath: env.SSH_AUTH_SOCK };
  throw new Error(
    'importing needs credentials for the host: set HUSH_IMPORT_PRIVATE_KEY_FILE to a private key file, ' +
      'or run an ssh-agent (SSH_AUTH_SOCK) holding the key',
  );
}
