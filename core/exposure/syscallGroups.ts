/**
 * Reads `systemd-analyze syscall-filter` output into `@group` → members. (core/systemd owns the
 * registry's copy of this; exposure keeps this small reader so that recorded fixtures of each test
 * host can be loaded without depending on the registry's bundle format.)
 */
import type { SyscallGroups } from './apply';

export function parseSyscallGroupListing(text: string): SyscallGroups {
  const groups: Record<string, string[]> = {};
  let current: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (/^@[\w-]+$/.test(line)) {
      current = groups[line] = [];
    } else if (current && /^\s+[^\s#]/.test(line)) {
      current.push(line.trim());
    } else if (!/^\s/.test(line)) {
      current = null; // "# Unlisted System Calls…" and the like end a group
    }
  }
  return groups;
}
