/**
 * The in-kernel recorder's binary record (native/recorder/record.h), read field by field at fixed
 * offsets. Every byte string comes with the length the kernel measured; a record of another size
 * or version is refused whole (never half-read).
 */
export const RECORD_VERSION = 1;
/** The fixed head: ids, return value, arguments, lengths and the three decorations' fields. */
export const HEAD = 152;
const OFF_DEC = 80;
const STR_MAX = 512;
const DEC_MAX = 1024;
const SA_MAX = 128;
const EXTRA_MAX = 64;

export const STR_NULL = 1;
export const STR_CUT = 2;
export const STR_FAULT = 4;

export type DecorationKind = 'none' | 'path' | 'socket' | 'pseudo' | 'cut' | 'badfd';
const DEC_KINDS: readonly DecorationKind[] = ['none', 'path', 'socket', 'pseudo', 'cut', 'badfd'];

export interface RecordString {
  bytes: Buffer;
  flags: number;
}

export interface RecordDecoration {
  kind: DecorationKind;
  /** path: the components from the root down (each the kernel's bytes). */
  components: Buffer[];
  family: number;
  type: number;
  protocol: number;
  ino: bigint;
}

export interface KernelRecord {
  nr: number;
  tgid: number;
  tid: number;
  ret: bigint;
  args: readonly bigint[];
  strs: readonly RecordString[];
  /** fd argument A, fd argument B, the returned fd. */
  decs: readonly RecordDecoration[];
  sa: Buffer;
  extra: Buffer;
}

export class RecordError extends Error {}

/**
 * One record as the loader writes it: the fixed head (up to the strings), then the two strings,
 * the socket address, the extra struct and the three decorations, each exactly as long as the
 * head says. Anything else (a short record, trailing bytes, a length over its area) is refused.
 */
export function parseRecord(b: Buffer): KernelRecord {
  if (b.length < HEAD) throw new RecordError(`record of ${b.length} bytes`);
  const version = b.readUInt32LE(0);
  if (version !== RECORD_VERSION) throw new RecordError(`record version ${version}, not ${RECORD_VERSION}`);
  let o = HEAD;
  const take = (n: number, max: number): Buffer => {
    if (n > max || o + n > b.length) throw new RecordError('a length runs past the record');
    const out = Buffer.from(b.subarray(o, o + n));
    o += n;
    return out;
  };
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(b.readBigUInt64LE(24 + 8 * i));
  const strs: RecordString[] = [];
  for (let j = 0; j < 2; j++)
    strs.push({ bytes: take(b.readUInt16LE(72 + 2 * j), STR_MAX), flags: b.readUInt8(76 + j) });
  const sa = take(b.readUInt8(78), SA_MAX);
  const extra = take(b.readUInt8(79), EXTRA_MAX);
  const decs: RecordDecoration[] = [];
  for (let j = 0; j < 3; j++) {
    const d = OFF_DEC + 24 * j;
    let kind = DEC_KINDS[b.readUInt8(d)] ?? 'cut';
    const bytes = take(b.readUInt16LE(d + 2), DEC_MAX);
    const parts = kind === 'path' ? components(bytes) : [];
    // a path whose components do not add up is not a path
    if (kind === 'path' && parts.length === 0 && bytes.length !== 0) kind = 'cut';
    decs.push({
      kind,
      components: parts,
      family: b.readUInt16LE(d + 4),
      type: b.readUInt16LE(d + 6),
      protocol: b.readUInt16LE(d + 8),
      ino: b.readBigUInt64LE(d + 16),
    });
  }
  if (o !== b.length) throw new RecordError('bytes after the record');
  return {
    nr: b.readUInt32LE(4),
    tgid: b.readUInt32LE(8),
    tid: b.readUInt32LE(12),
    ret: b.readBigInt64LE(16),
    args,
    strs,
    decs,
    sa,
    extra,
  };
}

/** `[len][bytes]…` leaf first → root first; empty when a length runs past the end. */
function components(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const n = buf[i]!;
    if (n === 0 || i + 1 + n > buf.length) return [];
    out.push(Buffer.from(buf.subarray(i + 1, i + 1 + n)));
    i += 1 + n;
  }
  return out.reverse();
}
