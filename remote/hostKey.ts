/**
 * Host key pinning. A pin is what the user tells hush the host's key must be, in any of the forms
 * people already have at hand:
 *   - an OpenSSH SHA256 fingerprint: `SHA256:kD4m…` (as printed by `ssh-keygen -lf`, ssh's prompt);
 *   - an authorized_keys-style key: `ssh-ed25519 AAAAC3… [comment]` (the @pulumi/command form);
 *   - a known_hosts line: `[127.0.0.1]:2222 ssh-ed25519 AAAAC3…` (`ssh-keyscan` output, a
 *     `~/.ssh/known_hosts`).
 * Several pins may be given, one per line (e.g. a whole `ssh-keyscan` output); the host must
 * present a key matching one of them. Pure: no I/O.
 *
 * known_hosts lines count only for the hosts they name, as OpenSSH reads them (sshd(8) "SSH_KNOWN_
 * HOSTS FILE FORMAT", match_hostname): the name looked up is `host`, or `[host]:port` off port 22;
 * the field is a comma-separated list of patterns with `*`/`?` wildcards, compared without case,
 * where a matching `!pattern` excludes the line; a hashed field `|1|salt|hash` matches when
 * HMAC-SHA1(salt, name) = hash. A `@revoked` line's key is refused even if another line pins it;
 * `@cert-authority` lines are not supported. Bare keys and fingerprints apply to any host.
 */
import { createHash, createHmac } from 'node:crypto';

export interface HostKeyPin {
  /** `SHA256:<base64 without padding>` of the key blob. */
  readonly fingerprint: string;
  /** Key type when the pin carried the key itself (`ssh-ed25519`…); undefined for bare fingerprints. */
  readonly type?: string;
  /** The host field of a known_hosts line: the pin holds only for the hosts it matches. */
  readonly hosts?: string;
  /** A `@revoked` known_hosts line: this key must never be accepted for the hosts it names. */
  readonly revoked?: true;
}

export class HostKeyPinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostKeyPinError';
  }
}

/** The OpenSSH SHA256 fingerprint of a public key blob (the wire format the server sends). */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside a public key blob (its first SSH string), or undefined. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$/;
const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,3}$/;

/** Parses one or more pins (one per line; blank lines and `#` comments ignored). */
export function parseHostKeyPins(text: string): HostKeyPin[] {
  const pins: HostKeyPin[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    pins.push(parsePinLine(line, lines.length > 1 ? i + 1 : undefined));
  });
  if (pins.length === 0) throw new HostKeyPinError('hostKey is empty');
  return pins;
}

function parsePinLine(line: string, lineNo: number | undefined): HostKeyPin {
  const where = lineNo === undefined ? 'hostKey' : `hostKey line ${lineNo}`;
  const fp = FINGERPRINT.exec(line);
  if (fp) return { fingerprint: `SHA256:${fp[1]}` };
  if (/^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(line)) {
    throw new HostKeyPinError(
      `${where}: MD5 fingerprints are not accepted; use the SHA256:… form (ssh-keygen -lf)`,
    );
  }
  let words = line.split(/\s+/);
  let revoked = false;
  if (words[0]?.startsWith('@')) {
    if (words[0] !== '@revoked')
      throw new HostKeyPinError(`${where}: known_hosts marker ${words[0]} is not supported (only @revoked)`);
    revoked = true;
    words = words.slice(1);
  }
  // authorized_keys form starts with the type; known_hosts form has host patterns first.
  const typeAt = words.findIndex((w) => KEY_TYPE.test(w));
  if (typeAt < 0 || typeAt > 1) {
    throw new HostKeyPinError(
      `${where}: not a SHA256:… fingerprint, a "TYPE BASE64" key or a known_hosts line`,
    );
  }
  if (revoked && typeAt !== 1) throw new HostKeyPinError(`${where}: @revoked needs a host field and a key`);
  const type = words[typeAt] as string;
  const b64 = words[typeAt + 1];
  if (b64 === undefined || !BASE64.test(b64))
    throw new HostKeyPinError(`${where}: missing or invalid base64 key after ${type}`);
  const blob = Buffer.from(b64, 'base64');
  const inner = keyTypeOf(blob);
  if (inner !== type) {
    throw new HostKeyPinError(
      `${where}: the key data is not a ${type} key${inner ? ` (it says ${inner})` : ''}`,
    );
  }
  const pin = { fingerprint: fingerprintOf(blob), type };
  return typeAt === 1
    ? { ...pin, hosts: words[0] as string, ...(revoked ? { revoked: true as const } : {}) }
    : pin;
}

/** The name a known_hosts line must match for a connection: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, the rest literal (case folded by the caller). */
function globMatches(name: string, pattern: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    's',
  );
  return re.test(name);
}

/** Whether a known_hosts host field names `name` (see the module comment). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  const lower = name.toLowerCase();
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '' || !globMatches(lower, pattern)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/**
 * The pins that hold for `host`:`port`: bare keys and fingerprints, and known_hosts lines whose
 * host field matches; `revoked` lists the keys `@revoked` lines refuse for it. Throws when the
 * text pins nothing for this host (every line names other hosts), saying which name was looked up.
 */
export function pinsForHost(
  pins: readonly HostKeyPin[],
  host: string,
  port: number,
): { pins: HostKeyPin[]; revoked: HostKeyPin[] } {
  const name = knownHostsName(host, port);
  const applies = (p: HostKeyPin): boolean => p.hosts === undefined || hostFieldMatches(p.hosts, name);
  const forHost = pins.filter((p) => !p.revoked && applies(p));
  const revoked = pins.filter((p) => p.revoked && applies(p));
  if (forHost.length === 0) {
    throw new HostKeyPinError(
      `hostKey: no pin for ${name}: ${pins.some((p) => !p.revoked) ? 'every known_hosts line names other hosts' : 'only @revoked lines'} (OpenSSH looks up "${name}")`,
    );
  }
  return { pins: forHost, revoked };
}

/** Whether a presented key blob matches one of the pins (select them with `pinsForHost` first). */
export function matchesPins(blob: Buffer, pins: readonly HostKeyPin[]): boolean {
  const fp = fingerprintOf(blob);
  return pins.some((p) => p.fingerprint === fp);
}

/**
 * The ssh2 `serverHostKey` algorithm list to offer when every pin names its key type, so the
 * server presents the pinned key rather than another one it also has (an RSA key pinned on a
 * host that also has ed25519). Undefined = ssh2's default order.
 */
export function hostKeyAlgorithmsFor(pins: readonly HostKeyPin[]): string[] | undefined {
  if (pins.some((p) => p.type === undefined)) return undefined;
  const algos = new Set<string>();
  for (const p of pins) {
    if (p.type === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => algos.add(a));
    else algos.add(p.type as string);
  }
  return [...algos];
}
