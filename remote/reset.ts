/**
 * Undo hush on one unit: remove the hardening drop-in (and temp files of an interrupted write),
 * the staging directory of an interrupted apply, any profiling leftovers (through
 * remote/profile/leftovers.ts clearLeftovers, which puts the unit back on its own configuration), then
 * daemon-reload and restart the unit if it was running. Afterwards `systemctl cat UNIT` is what
 * it was before hush touched the unit. Idempotent: when nothing of hush is there, nothing is
 * reloaded or restarted.
 *
 *   const r = await reset(conn, 'nginx.service');   // {removed: [...], restarted, activeAfter}
 *
 * One SSH round trip (two when a profiling session left something behind).
 */
import type { Connection } from './connection';
import { clearLeftovers } from './profile/leftovers';

import { applyPaths, hardeningPaths, profileSessionDir } from './paths';
import { sh, trustedScript } from './shell';

export interface ResetOptions {
  /** Time the unit must stay active after the restart. Default 3000 ms. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface ResetResult {
  unit: string;
  /** Files and directories hush removed. Empty: nothing of hush was there. */
  removed: string[];
  /** Profiling leftovers that were cleared first (what was found), if any. */
  clearedProfiling: string[];
  restarted: boolean;
  /** ActiveState after the reset (after the settle time when restarted). */
  activeAfter: string;
  totalMs: number;
}

export class ResetError extends Error {
  constructor(
    message: string,
    readonly result?: ResetResult,
  ) {
    super(message);
    this.name = 'ResetError';
  }
}

/**
 * Arguments: unit, drop-in dir, drop-in file, apply stage dir, apply transient unit, settle s,
 * profiling session dir. Exit 75: an apply is running; 76: profiling leftovers (cleared by the caller).
 */
export const RESET_SCRIPT = String.raw`
unit=$1; dir=$2; file=$3; st=$4; tu=$5; settle=$6; profdir=$7
if systemctl is-active --quiet -- "$tu"; then echo busy; exit 75; fi
for f in /run/systemd/system/"$unit".d/*hush*.conf "$profdir"; do [ -e "$f" ] && { echo "leftover=$f"; exit 76; }; done
changed=no
for f in "$file" "$file".hush-tmp.*; do
  if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f" && echo "removed=$f"; changed=yes; fi
done
if [ -d "$dir" ] && rmdir -- "$dir" 2>/dev/null; then echo "removed=$dir"; fi
if [ -e "$st" ]; then rm -rf -- "$st" && echo "removed=$st"; fi
rmdir /run/hush/apply /run/hush 2>/dev/null
active=$(systemctl show -p ActiveState --value -- "$unit" 2>/dev/null)
if [ "$changed" = yes ]; then
  systemctl daemon-reload || { echo "fail=daemon-reload failed"; exit 1; }
  case "$active" in
    active|reloading|activating)
      if systemctl restart -- "$unit"; then echo restarted=yes; else echo "fail=restart of $unit failed"; fi
      sleep "$settle"
      active=$(systemctl show -p ActiveState --value -- "$unit" 2>/dev/null)
      [ "$active" = active ] || echo "fail=$unit is $active after the restart on its own configuration" ;;
  esac
fi
echo "activeAfter=$active"
`;

export async function reset(conn: Connection, unit: string, opts: ResetOptions = {}): Promise<ResetResult> {
  const { unit: name, dir, file } = hardeningPaths(unit);
  const { stage, transientUnit } = applyPaths(name);
  const settleSec = Math.max(0, (opts.settleMs ?? 3000) / 1000);
  const t0 = Date.now();
  const clearedProfiling: string[] = [];
  for (let attempt = 0; ; attempt++) {
    opts.log?.(`reset: removing hush's files for ${name} on ${conn.host}`);
    const r = await conn.exec(
      sh`set -- ${name} ${dir} ${file} ${stage} ${transientUnit} ${settleSec} ${profileSessionDir(name)}; ${trustedScript(RESET_SCRIPT)}`,
      { timeoutMs: 15 * 60_000 },
    );
    if (r.code === 75) {
      throw new ResetError(
        `a hush apply of ${name} is running on ${conn.host} (${transientUnit}); try again when it has finished`,
      );
    }
    if (r.code === 76 && attempt === 0) {
      opts.log?.(`reset: clearing leftovers of a profiling session of ${name}`);
      const cleared = await clearLeftovers(conn, name, opts.log ? { log: opts.log } : {});
      clearedProfiling.push(...cleared.found);
      continue;
    }
    const removed: string[] = [];
    const failures: string[] = [];
    let restarted = false;
    let activeAfter = 'unknown';
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('removed=')) removed.push(line.slice(8));
      else if (line.startsWith('fail=')) failures.push(line.slice(5));
      else if (line === 'restarted=yes') restarted = true;
      else if (line.startsWith('activeAfter=')) activeAfter = line.slice(12);
    }
    const result: ResetResult = {
      unit: name,
      removed,
      clearedProfiling,
      restarted,
      activeAfter,
      totalMs: Date.now() - t0,
    };
    if (r.code !== 0 || failures.length > 0) {
      throw new ResetError(
        `reset of ${name} on ${conn.host}: ${failures.join('; ') || `exit ${r.code}: ${r.stderr.trim().slice(-400)}`}`,
        result,
      );
    }
    opts.log?.(
      removed.length > 0
        ? `reset: removed ${removed.join(', ')}; ${name} is ${activeAfter}`
        : `reset: nothing of hush on ${name}`,
    );
    return result;
  }
}
