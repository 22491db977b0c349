/**
 * Secrets across the provider protocol. The plugin accepts secrets, so the engine hands over a
 * secret value as `{ [SIG]: SECRET, value }` wherever it sits (a private key inside the
 * connection, a health command given as a secret) and keeps a returned value secret only when
 * it comes back wrapped the same way. The operations work on plain values; these two functions
 * take the wrappers off on the way in, remembering where they were, and put them back (plus the
 * paths that are always secret, e.g. the whole connection) on the way out.
 */

/** `@pulumi/pulumi`'s special signature key and its value for a secret (runtime/rpc.ts). */
const SIG = '4dabf18193072939515e22adb298388d';
const SECRET = '1b47061264138c4ac30d75fd1eb44270';

export type Path = readonly (string | number)[];

/** A plain object (not an array, not null), readable by key. */
function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSecretWrapper(v: unknown): v is { value: unknown } {
  return isRecord(v) && v[SIG] === SECRET;
}

/** The value without secret wrappers, and the paths where there were some. */
export function unwrapSecrets(value: unknown): { plain: unknown; secretPaths: Path[] } {
  const secretPaths: Path[] = [];
  const walk = (v: unknown, path: Path): unknown => {
    if (isSecretWrapper(v)) {
      secretPaths.push(path);
      return walk(v.value, path);
    }
    if (Array.isArray(v)) return v.map((e, i) => walk(e, [...path, i]));
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, [...path, k])]));
    return v;
  };
  return { plain: walk(value, []), secretPaths };
}

/**
 * `value` with the values at `paths` wrapped as secrets. A path the value does not have (an
 * unset optional input) is skipped; a path under another secret path adds nothing (the outer
 * wrapper already covers it).
 */
export function wrapSecrets(value: unknown, paths: readonly Path[]): unknown {
  const sorted = [...paths].sort((a, b) => a.length - b.length);
  const covered = (p: Path, done: Path[]) =>
    done.some((d) => d.length <= p.length && d.every((k, i) => p[i] === k));
  const done: Path[] = [];
  let out = value;
  for (const p of sorted) {
    if (covered(p, done)) continue;
    const next = wrapAt(out, p, 0);
    if (next !== undefined) {
      out = next;
      done.push(p);
    }
  }
  return out;
}

function wrapAt(v: unknown, path: Path, i: number): unknown | undefined {
  if (i === path.length) return v === undefined ? undefined : { [SIG]: SECRET, value: v };
  const key = path[i] as string | number;
  if (Array.isArray(v) && typeof key === 'number' && key < v.length) {
    const inner = wrapAt(v[key], path, i + 1);
    if (inner === undefined) return undefined;
    const copy = [...v];
    copy[key] = inner;
    return copy;
  }
  if (isRecord(v) && typeof key === 'string' && key in v) {
    const inner = wrapAt(v[key], path, i + 1);
    if (inner === undefined) return undefined;
    return { ...v, [key]: inner };
  }
  return undefined;
}
