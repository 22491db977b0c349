/**
 * Facts about the target host and unit, probed by remote/ (or the local machine for `hush run`).
 * They gate options (versions, kernel features), seed the syscall groups, set the floor of
 * existing hardening, and make up the re-profile fingerprint.
 */
import { z } from 'zod';
import { SyscallName } from '../summary/actions';
import { ServiceUnitName } from '../systemd/unitName';

/**
 * A `systemctl show` value. They reach the drop-in (the unit's own deny lists are repeated as its
 * floor) and reasons: no control characters but tab, so nothing in them can break a line (systemd
 * ends lines at LF, CR and NUL).
 */
const PropertyValue = z
  .string()
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u0008\u000a-\u001f\u007f]*$/, 'contains a control character');

export const ExecBinary = z.object({
  path: z.string(),
  sha256: z.string().optional(),
  /** Debian package owning it, and its version (dpkg -S / dpkg-query). */
  package: z.string().optional(),
  packageVersion: z.string().optional(),
  /** st_mode (type and permission bits, incl. setuid/setgid): proves NoNewPrivileges harmless. */
  mode: z.number().int().optional(),
  /** `getcap` output for the file (e.g. `cap_net_raw=ep`), empty or absent when none. */
  fileCapabilities: z.string().optional(),
  /**
   * The program the kernel loads to run it: the ELF interpreter (PT_INTERP) or the `#!` program; empty
   * for static binaries. NoExecPaths= must leave it executable, and it never shows in a trace.
   */
  interpreter: z.string().optional(),
  /**
   * Not one of the unit's Exec binaries: a program the profile executed, probed after the trace for
   * its mode and capabilities (remote/execModes.ts). Left out of the re-profile fingerprint, which a
   * refresh recomputes from the Exec binaries alone.
   */
  executedOnly: z.boolean().optional(),
  /**
   * remote/execModes.ts read this file on the host (mode, capabilities, head): a mode, capabilities
   * or interpreter still missing cannot be known there (no getcap; neither ELF nor `#!`), so it is
   * not asked again. Absent: not read yet.
   */
  modesProbed: z.boolean().optional(),
});
export type ExecBinary = z.infer<typeof ExecBinary>;

/**
 * One Exec* command of the unit as systemd will run it (after drop-ins and `X=` resets), read
 * from the unit text so that quoting and prefixes survive (remote/probe.ts).
 */
export const ExecLine = z.object({
  /** ExecStart, ExecStartPre, ExecStartPost, ExecCondition, ExecReload, ExecStop, ExecStopPost. */
  directive: z.string(),
  /** The special prefixes as written (`-`, `@`, `:`, `+`, `!`, `!!`, `|`), '' when none. */
  prefixes: z.string(),
  /** The command text after the prefixes, exactly as in the unit file (quotes, specifiers). */
  command: z.string(),
  /** The command split into words (systemd quoting undone; specifiers left as written). */
  argv: z.array(z.string()),
  /** The file that set it. */
  source: z.string().optional(),
});
export type ExecLine = z.infer<typeof ExecLine>;

export const HostFacts = z.object({
  /** systemd major version, e.g. 252, 257. */
  systemdVersion: z.number().int(),
  /** Full `systemctl --version` first line. */
  systemdVersionText: z.string().optional(),
  kernelRelease: z.string(),
  arch: z.string(),
  straceVersion: z.string().optional(),
  /** strace options (as tested, e.g. `--seccomp-bpf`, `-X raw`) the host's strace accepts. */
  straceFlags: z.array(z.string()).optional(),
  cgroupVersion: z.union([z.literal(1), z.literal(2)]).optional(),
  /** BPF-LSM / cgroup-bpf availability for SocketBind*, RestrictFileSystems, IPAddress*. */
  bpfFramework: z.boolean().optional(),
  /** `systemd-analyze syscall-filter` parsed: group name (with @) -> members (syscalls and @groups). */
  syscallGroups: z
    .record(
      z.string().regex(/^@[a-z0-9_-]+$/, 'not a syscall group name'),
      z.array(z.union([SyscallName, z.string().regex(/^@[a-z0-9_-]+$/)])),
    )
    .optional(),
  /** Whether the unit runs as the system manager (true) or a user manager. */
  systemInstance: z.boolean().default(true),
  unit: z
    .object({
      name: ServiceUnitName,
      /** `systemctl show UNIT` properties. */
      properties: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'not a property name'), PropertyValue),
      /** `systemctl cat UNIT` text (fragment + drop-ins), for reset/drift comparison. */
      catText: z.string().optional(),
      dropIns: z.array(z.string()).default([]),
      /** `LoadState` (loaded, not-found, masked…). */
      loadState: z.string().optional(),
      fragmentPath: z.string().optional(),
      /** Every Exec* command in effect, in order (remote/probe.ts). */
      exec: z.array(ExecLine).optional(),
      /**
       * The unit already has a SystemCallFilter: syscalls it denies never show up in a trace, and
       * strace's ptrace needs `@debug` allowed while profiling (SHH adds `SystemCallFilter=@debug`).
       */
      hasSyscallFilter: z.boolean().optional(),
    })
    .optional(),
  binaries: z.array(ExecBinary).default([]),
});
export type HostFacts = z.infer<typeof HostFacts>;
