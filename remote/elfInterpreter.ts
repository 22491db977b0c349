/**
 * What the kernel runs to load an executable: the ELF interpreter (PT_INTERP, the dynamic loader)
 * or the `#!` program of a script. No syscall shows it in a trace, so NoExecPaths= can whitelist
 * it only when it is read from the file itself (remote/execModes.ts does, on the host, for every
 * program a profile executed).
 */

/**
 * The program the kernel runs to load a file, from a reader of its bytes: the ELF PT_INTERP (dynamic
 * loader), the `#!` program of a script, '' for a static ELF; undefined for other formats and for
 * bytes that end before the answer (a truncated head is unknown, never static).
 */
export function interpreterOf(read: (offset: number, length: number) => Buffer): string | undefined {
  const head = read(0, 256);
  if (head.subarray(0, 2).toString('latin1') === '#!') {
    const line = head.toString('latin1').slice(2).split('\n')[0]!.trim();
    return line.split(/\s+/)[0] || undefined;
  }
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const phoff = is64 ? u64(head, 0x20) : u32(head, 0x1c);
  const phentsize = u16(head, is64 ? 0x36 : 0x2a);
  const phnum = u16(head, is64 ? 0x38 : 0x2c);
  const table = read(phoff, phentsize * phnum);
  for (let i = 0; i < phnum; i++) {
    const ph = table.subarray(i * phentsize, (i + 1) * phentsize);
    if (ph.length < phentsize) return undefined; // truncated read: unknown
    if (u32(ph, 0) !== 3 /* PT_INTERP */) continue;
    const offset = is64 ? u64(ph, 8) : u32(ph, 4);
    const size = is64 ? u64(ph, 0x20) : u32(ph, 0x10);
    const text = read(offset, size);
    return text.length < size ? undefined : text.toString('latin1').replace(/\0+$/, '');
  }
  return '';
}

/** interpreterOf over the first bytes of a file (what the host sends back). */
export function interpreterOfHead(head: Buffer): string | undefined {
  return interpreterOf((offset, length) => head.subarray(offset, offset + length));
}
