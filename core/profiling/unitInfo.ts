/**
 * What a profiling session reads about the unit and the host right before it changes anything
 * (remote/profile/unitInfo.ts reads it in one round trip). A zod schema because the session
 * persists it on the host and a later `finish` reads it back.
 */
import { z } from 'zod';

export const UnitInfo = z.strictObject({
  /** `systemctl show` values of the properties the session decides on. */
  properties: z.record(z.string(), z.string()),
  /** `systemctl cat` text, or undefined when the unit has no file. */
  catText: z.string().optional(),
  /** strace's path, its `-V` first line, and whether it has --argv0. */
  strace: z.strictObject({ path: z.string(), version: z.string(), supportsArgv0: z.boolean() }).optional(),
  bashPath: z.string().optional(),
  /** setpriv (util-linux): switches a traced command to the unit's user under a root strace. */
  setprivPath: z.string().optional(),
  /**
   * The unit's credentials as numbers, resolved on the host (User= static: its uid, primary gid
   * and `groups`, the groups whose member list names it; Group=; SupplementaryGroups=). Absent
   * for root.
   */
  credentials: z
    .strictObject({
      uid: z.number().int().nonnegative().optional(),
      gid: z.number().int().nonnegative().optional(),
      groups: z.array(z.number().int().nonnegative()).default([]),
      group: z.number().int().nonnegative().optional(),
      supplementary: z.array(z.number().int().nonnegative()).default([]),
    })
    .optional(),
  /** Number of commands per Exec directive according to the manager (`systemctl show`). */
  execCounts: z.record(z.string(), z.number().int().nonnegative()),
});
export type UnitInfo = z.infer<typeof UnitInfo>;

/** The unit's WorkingDirectory= as the first traced process's cwd (`-`/`!` prefixes dropped; `~` unknown). */
export function unitCwd(value: string | undefined): string | undefined {
  const v = (value ?? '').replace(/^[-!]+/, '').trim();
  if (v === '') return '/';
  return v.startsWith('/') ? v : undefined;
}

/** Whether the unit runs now (so the session restarts it, and restore starts it again). */
export function isActive(info: UnitInfo): boolean {
  const s = info.properties.ActiveState;
  return s === 'active' || s === 'reloading';
}
