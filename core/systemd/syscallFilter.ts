/**
 * Syscall groups as the target's own systemd defines them, parsed from `systemd-analyze syscall-filter`.
 *
 * This file is deliberately self-contained (no imports, erasable TypeScript only) so that
 * scripts/gen-syscall-groups.mjs can load it with Node's type stripping to regenerate the bundled
 * defaults from the raw fixtures.
 */

/** Group name (with the leading `@`) → members in systemd's order (syscall names and `@group` references). */
export type SyscallGroups = Record<string, string[]>;

/**
 * Parse `systemd-analyze syscall-filter` output.
 *
 * Format (systemd 252–257): a group header `@name` at column 0, an indented `# description`, then one
 * indented member per line (a syscall name or a nested `@group`). Groups are separated by blank
 * lines. The trailing `# Ungrouped System Calls …` block is a comment listing, not a group, and is
 * skipped along with every other comment line.
 */
export function parseSyscallFilterOutput(text: string): SyscallGroups {
  const groups: SyscallGroups = {};
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') {
      current = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      if (!/^@[a-z0-9-]+$/.test(trimmed)) {
        throw new Error(`syscall-filter output: unexpected header line ${JSON.stringify(line)}`);
      }
      if (groups[trimmed]) throw new Error(`syscall-filter output: group ${trimmed} listed twice`);
      current = [];
      groups[trimmed] = current;
      continue;
    }
    if (!current) throw new Error(`syscall-filter output: member outside a group: ${JSON.stringify(line)}`);
    if (!/^@?[a-z0-9_-]+$/.test(trimmed)) {
      throw new Error(`syscall-filter output: unexpected member ${JSON.stringify(trimmed)}`);
    }
    current.push(trimmed);
  }
  if (Object.keys(groups).length === 0) throw new Error('syscall-filter output: no groups found');
  return groups;
}

/** Every syscall name a group (or a single syscall name) stands for, nested groups expanded. */
export function expandSyscallGroup(
  groups: SyscallGroups,
  name: string,
  seen: Set<string> = new Set(),
): Set<string> {
  const out = new Set<string>();
  if (!name.startsWith('@')) {
    out.add(name);
    return out;
  }
  if (seen.has(name)) return out;
  seen.add(name);
  const members = groups[name];
  if (!members) return out;
  for (const m of members) for (const s of expandSyscallGroup(groups, m, seen)) out.add(s);
  return out;
}
