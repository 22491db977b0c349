/**
 * Facts about the target host and unit, probed by remote/ (or the local machine for `hush run`).
 * They gate options (versions, kernel features), seed the syscall groups, set the floor of
 * existing hardening, and make up the re-profile fingerprint.
 */
import { z } from 'zod';

export const ExecBinary = z.object({
  path: z.string(),
  sha256: z.string().optional(),
  /** Debian package owning it, and its version (dpkg -S / dpkg-query). */
  package: z.string().optional(),
  packageVersion: z.string().optional(),
});
export type ExecBinary = z.infer<typeof ExecBinary>;

export const HostFacts = z.object({
  /** systemd major version, e.g. 252, 257. */
  systemdVersion: z.number().int(),
  /** Full `systemctl --version` first line. */
  systemdVersionText: z.string().optional(),
  kernelRelease: z.string(),
  arch: z.string(),
  straceVersion: z.string().optional(),
  cgroupVersion: z.union([z.literal(1), z.literal(2)]).optional(),
  /** BPF-LSM / cgroup-bpf availability for SocketBind*, RestrictFileSystems, IPAddress*. */
  bpfFramework: z.boolean().optional(),
  /** `systemd-analyze syscall-filter` parsed: group name (with @) -> members (syscalls and @groups). */
  syscallGroups: z.record(z.string(), z.array(z.string())).optional(),
  /** Whether the unit runs as the system manager (true) or a user manager. */
  systemInstance: z.boolean().default(true),
  unit: z
    .object({
      name: z.string(),
      /** `systemctl show UNIT` properties. */
      properties: z.record(z.string(), z.string()),
      /** `systemctl cat UNIT` text (fragment + drop-ins), for reset/drift comparison. */
      catText: z.string().optional(),
      dropIns: z.array(z.string()).default([]),
    })
    .optional(),
  binaries: z.array(ExecBinary).default([]),
});
export type HostFacts = z.infer<typeof HostFacts>;
