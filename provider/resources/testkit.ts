// Shared fixtures of the resource operations' unit tests.
import { ConnectionArgs } from '../../remote/connection';

/** Nothing listens on port 1, and one dial attempt: a host that never answers, at once. */
export const unreachableConnection = ConnectionArgs.parse({
  host: '127.0.0.1',
  port: 1,
  hostKey: 'SHA256:' + 'A'.repeat(43),
  privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
  dialErrorLimit: 1,
});
