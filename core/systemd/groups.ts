/** Which syscall groups apply to a target: its own (probed) or the bundled ones of a systemd release. */
import { BUNDLED_SYSCALL_GROUPS } from './syscallGroups.generated';
import type { SyscallGroups } from './syscallFilter';

export const BUNDLED_SYSTEMD_VERSIONS: readonly number[] = Object.keys(BUNDLED_SYSCALL_GROUPS)
  .map(Number)
  .sort((a, b) => a - b);

/**
 * The groups for a target: probed groups win; otherwise the newest bundled release not newer than the
 * target (groups only grow between releases, so an older list never names a syscall the target's
 * systemd would not accept). A target older than every bundled release gets none: SystemCallFilter
 * is then not emitted rather than guessed.
 */
export function syscallGroupsFor(
  systemdVersion: number,
  probed?: SyscallGroups,
): { groups: SyscallGroups; source: string } | undefined {
  if (probed && Object.keys(probed).length > 0) return { groups: probed, source: 'host' };
  const version = [...BUNDLED_SYSTEMD_VERSIONS].reverse().find((v) => v <= systemdVersion);
  if (version === undefined) return undefined;
  return { groups: BUNDLED_SYSCALL_GROUPS[version]!, source: `bundled systemd ${version}` };
}
