/**
 * Host facts of the machine hush runs on, for `hush run` (and `hush resolve` of a log with no facts):
 * systemd and kernel versions, cgroup hierarchy, systemd's build features, its syscall groups, and
 * the file modes of the binaries a profile executed. Every probe is optional: a missing tool leaves
 * the fact unknown, and the resolver under-hardens on unknown facts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statfsSync, statSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import type { ExecBinary, HostFacts } from '../core/profile/hostFacts';
import type { Profile } from '../core/profile/schema';
import { parseSyscallFilterOutput, type SyscallGroups } from '../core/systemd/syscallFilter';
import { validateUnitName } from '../core/systemd/unitName';
import { parseSystemctlVersion } from '../core/systemd/version';

const CGROUP2_SUPER_MAGIC = 0x63677270;

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
  } catch {
    return undefined;
  }
}

function cgroupVersion(): 1 | 2 | undefined {
  try {
    return statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC ? 2 : 1;
  } catch {
    return undefined;
  }
}

function localSyscallGroups(): SyscallGroups | undefined {
  const out = run('systemd-analyze', ['syscall-filter']);
  if (!out) return undefined;
  try {
    return parseSyscallFilterOutput(out);
  } catch {
    return undefined;
  }
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'x86', arm: 'arm' };

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/**
 * The program the kernel runs to load a file, from a reader of its bytes: the ELF PT_INTERP (dynamic
 * loader), the `#!` program of a script, '' for a static ELF; undefined for other formats.
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

/** interpreterOf for a local file (undefined if it cannot be read). */
export function readInterpreter(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return interpreterOf((offset, length) => readAt(fd, offset, length));
  } finally {
    closeSync(fd);
  }
}

/** Mode, file capabilities and interpreter of each binary the profile executed (NoNewPrivileges, NoExecPaths). */
export function execBinaries(profile: Profile): ExecBinary[] {
  const paths = new Set<string>();
  for (const pa of profile.actions) {
    const a = pa.action;
    if (a.kind === 'path' && a.access === 'exec' && a.ev.syscall.startsWith('execve')) paths.add(a.path);
  }
  const out: ExecBinary[] = [];
  // getcap (libcap2-bin) may be absent: file capabilities then stay unknown (NoNewPrivileges unproven for non-root).
  const getcap = spawnSync('getcap', ['/'], { stdio: 'ignore' }).error === undefined;
  for (const path of [...paths].sort()) {
    let mode: number | undefined;
    try {
      mode = statSync(path).mode;
    } catch {
      continue; // gone since: unknown, and NoNewPrivileges stays unproven
    }
    const caps = getcap ? run('getcap', [path]) : undefined;
    const fileCapabilities = caps === undefined ? undefined : caps.replace(path, '').trim();
    const interpreter = readInterpreter(path);
    out.push({
      path,
      mode,
      ...(fileCapabilities !== undefined ? { fileCapabilities } : {}),
      ...(interpreter !== undefined ? { interpreter } : {}),
    });
    // The interpreter is a binary too (a script's /bin/sh has its own ELF interpreter).
    let next = interpreter;
    for (let depth = 0; next && !paths.has(next) && depth < 4; depth++) {
      paths.add(next);
      const nested = readInterpreter(next);
      if (nested === undefined) break;
      out.push({ path: next, interpreter: nested });
      next = nested;
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Facts of this machine, as if the traced command were a system service run by the current user. */
export function localHostFacts(unitName = 'hush-run.service'): HostFacts {
  const sv = parseSystemctlVersion(run('systemctl', ['--version']) ?? '');
  const strace = run('strace', ['-V']);
  const groups = localSyscallGroups();
  const cg = cgroupVersion();
  const user = userInfo();
  return {
    systemdVersion: sv?.version ?? 0,
    ...(sv ? { systemdVersionText: sv.line } : {}),
    kernelRelease: release(),
    arch: ARCH[process.arch] ?? process.arch,
    ...(strace ? { straceVersion: strace.split('\n')[0]!.trim() } : {}),
    ...(cg ? { cgroupVersion: cg } : {}),
    ...(sv?.bpfFramework !== undefined ? { bpfFramework: sv.bpfFramework } : {}),
    ...(groups ? { syscallGroups: groups } : {}),
    systemInstance: true,
    unit: {
      name: validateUnitName(unitName),
      properties: user.uid === 0 ? {} : { User: user.username },
      dropIns: [],
    },
    binaries: [],
  };
}
