/**
 * The cost of in-kernel recording, measured before hush has an eBPF recorder (issue 16 part 3):
 * a bpftrace program shaped like the recorder's hot path, attached from outside to the service's
 * cgroup (no wrapper, no ptrace). Per syscall of the cgroup: a count by number at entry and by
 * errno at exit (SystemCallFilter needs every name, success and failure); per path-family call: the
 * (syscall, path) pair deduplicated in a kernel map, printed only the first time. It is NOT a
 * profile: paths are read as the process passed them (no dirfd/cwd resolution, 64-byte reads, no
 * flags), which is what the real recorder still has to do; it bounds what that recorder costs.
 */
export const PATH_SYSCALLS = ['openat', 'newfstatat', 'statx', 'access', 'faccessat2', 'execve'];

/** The program for the cgroup (v2) at `cgroupPath`; the path is the bench's own, inlined as a literal. */
export function prototypeProgram(cgroupPath: string): string {
  if (!/^\/sys\/fs\/cgroup\/[A-Za-z0-9_./-]+$/.test(cgroupPath))
    throw new Error(`bad cgroup path ${cgroupPath}`);
  const inCgroup = `cgroup == cgroupid("${cgroupPath}")`;
  return [
    `tracepoint:raw_syscalls:sys_enter /${inCgroup}/ { @calls[args->id] = count(); }`,
    `tracepoint:raw_syscalls:sys_exit /${inCgroup} && args->ret < 0 && args->ret > -4096/ { @failed[args->id, -args->ret] = count(); }`,
    `${PATH_SYSCALLS.map((s) => `tracepoint:syscalls:sys_enter_${s}`).join(',')} /${inCgroup}/ {`,
    '  if (@seen[probe, str(args->filename)] == 0) { @seen[probe, str(args->filename)] = 1; printf("P %d %s %s\\n", pid, probe, str(args->filename)); }',
    '}',
    // the maps are printed by bpftrace at exit (SIGINT); @seen is the dedup set, not output
    'END { clear(@seen); }',
    '',
  ].join('\n');
}
