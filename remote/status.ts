/**
 * What hush manages on a host, in one SSH round trip:
 *   - hardened units: every `/etc/systemd/system/<unit>.d/zz-hush-hardening.conf`, with the unit's
 *     state and the drop-in's header (hush version, profile digest, mode);
 *   - profiling sessions: runtime drop-ins `/run/systemd/system/<unit>.d/*hush*.conf` and
 *     session directories under /run/hush/profile (heartbeat age), watchdog timers;
 *   - apply/reset transactions in progress, awaiting their fresh-login confirmation (runtime
 *     drop-ins under /run/systemd/system.control, deadline timers), or reverted while no
 *     controller was there to see it (/run/hush/apply, hush-apply-* units).
 *
 *   const s = await status(conn);
 */
import { z } from 'zod';
import type { HostExec, SessionHost } from './host';
import { APPLY_STAGE_ROOT, HARDENING_DROPIN_NAME, RUNTIME_CONTROL_DIR, SYSTEM_UNIT_DIR } from './paths';
import { sh, trustedScript } from './shell';

export const HardenedUnit = z.object({
  unit: z.string(),
  path: z.string(),
  activeState: z.string(),
  subState: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Last change, ISO 8601. */
  modified: z.string(),
  /** The drop-in's leading comment lines (what produced it). */
  header: z.array(z.string()),
});
export type HardenedUnit = z.infer<typeof HardenedUnit>;

export const HushStatus = z.object({
  host: z.string(),
  hardened: z.array(HardenedUnit),
  /** Runtime (profiling) drop-ins of hush, by unit. */
  profiling: z.array(z.object({ unit: z.string(), path: z.string() })),
  /** Profiling session directories and the age of their heartbeat in seconds. */
  sessions: z.array(z.object({ dir: z.string(), heartbeatAgeSec: z.number().int().optional() })),
  /** hush transient units currently loaded (watchdog timers, apply transactions, FIFO holders). */
  transientUnits: z.array(z.object({ unit: z.string(), activeState: z.string() })),
  /** Apply staging directories (an apply running now, or one interrupted by a reboot-less crash). */
  applyStages: z.array(z.string()),
  /**
   * Apply/reset transactions on the host: phase (`changing`, `pending` = verified, waiting for the
   * fresh-login confirmation until `deadline`, `reverted`…) and the unit.
   */
  transactions: z.array(
    z.object({
      stage: z.string(),
      unit: z.string(),
      phase: z.string(),
      deadline: z.string().optional(),
      revertReason: z.string().optional(),
    }),
  ),
  /** Runtime drop-ins carrying a change that is not confirmed yet (masking the file in /etc). */
  pending: z.array(z.object({ unit: z.string(), path: z.string() })),
  /** hush's drop-in set aside for a profiling session (a /dev/null link at the same path). */
  setAside: z.array(z.object({ unit: z.string(), path: z.string() })),
});
export type HushStatus = z.infer<typeof HushStatus>;

/** Args: system unit dir, drop-in name, apply stage root, runtime control dir. Emits tab-separated records. */
export const STATUS_SCRIPT = String.raw`
sysdir=$1; name=$2; stageroot=$3; controldir=$4
now=$(date +%s)
units=
for f in "$sysdir"/*.d/"$name"; do
  [ -e "$f" ] || continue
  d=$(dirname -- "$f"); u=$(basename -- "$d" .d)
  printf 'H\t%s\t%s\t%s\t%s\n' "$u" "$f" "$(stat -c %s -- "$f")" "$(stat -c %Y -- "$f")"
  U=$u awk 'NR <= 6 && /^#/ { printf "C\t%s\t%s\n", ENVIRON["U"], $0 }' "$f"
  units="$units $u"
done
for f in /run/systemd/system/*.d/*hush*.conf; do
  [ -e "$f" ] || continue
  printf 'P\t%s\t%s\n' "$(basename -- "$(dirname -- "$f")" .d)" "$f"
done
for d in /run/hush/profile/*; do
  [ -d "$d" ] || continue
  age=
  [ -e "$d/heartbeat" ] && age=$(( now - $(stat -c %Y -- "$d/heartbeat") ))
  printf 'S\t%s\t%s\n' "$d" "$age"
done
for d in "$stageroot"/*; do
  [ -d "$d" ] || continue
  printf 'A\t%s\n' "$d"
  u=$(sed -n "s/^unit=//p" "$d/env" 2>/dev/null | head -n 1)
  printf 'X\t%s\t%s\t%s\t%s\t%s\n' "$d" "$u" "$(cat "$d/phase" 2>/dev/null)" "$(cat "$d/deadline" 2>/dev/null)" \
    "$(sed -n 's/^revertReason=//p' "$d/result" 2>/dev/null | tail -n 1 | tr '\t' ' ')"
done
for f in "$controldir"/*.d/"$name"; do
  [ -e "$f" ] || continue
  if [ "$(readlink -- "$f")" = /dev/null ]; then r=M; else r=R; fi
  printf '%s\t%s\t%s\n' "$r" "$(basename -- "$(dirname -- "$f")" .d)" "$f"
done
systemctl list-units --all --plain --no-legend --no-pager 'hush-apply-*' 'hush-profile-*' 2>/dev/null | awk '{printf "T\t%s\t%s\n", $1, $3}'
if [ -n "$units" ]; then
  # shellcheck disable=SC2086
  systemctl show -p Id -p ActiveState -p SubState -- $units 2>/dev/null | awk -F= '
    $1=="Id"{id=$2} $1=="ActiveState"{a=$2} $1=="SubState"{s=$2}
    /^$/{ if (id!="") printf "U\t%s\t%s\t%s\n", id, a, s; id=""; a=""; s="" }
    END{ if (id!="") printf "U\t%s\t%s\t%s\n", id, a, s }'
fi
true
`;

/** Parses the script's records (pure). */
export function parseStatusOutput(host: string, text: string): HushStatus {
  const hardened = new Map<string, HardenedUnit>();
  const states = new Map<string, { a: string; s: string }>();
  const out: HushStatus = {
    host,
    hardened: [],
    profiling: [],
    sessions: [],
    transientUnits: [],
    applyStages: [],
    transactions: [],
    pending: [],
    setAside: [],
  };
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'H':
        hardened.set(f[1] as string, {
          unit: f[1] as string,
          path: f[2] as string,
          activeState: 'unknown',
          subState: 'unknown',
          bytes: Number(f[3]),
          modified: new Date(Number(f[4]) * 1000).toISOString(),
          header: [],
        });
        break;
      case 'C':
        hardened.get(f[1] as string)?.header.push(f.slice(2).join('\t').replace(/^#\s?/, ''));
        break;
      case 'P':
        out.profiling.push({ unit: f[1] as string, path: f[2] as string });
        break;
      case 'S': {
        const s: { dir: string; heartbeatAgeSec?: number } = { dir: f[1] as string };
        if (f[2] && /^-?\d+$/.test(f[2])) s.heartbeatAgeSec = Number(f[2]);
        out.sessions.push(s);
        break;
      }
      case 'A':
        out.applyStages.push(f[1] as string);
        break;
      case 'X': {
        // The env file holds the unit shell-quoted ('…') when it needs quoting.
        const unit = (f[2] ?? '').replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'");
        const t: HushStatus['transactions'][number] = {
          stage: f[1] as string,
          unit,
          phase: f[3] || 'unknown',
        };
        if (f[4] && /^\d+$/.test(f[4])) t.deadline = new Date(Number(f[4]) * 1000).toISOString();
        if (f[5]) t.revertReason = f[5];
        out.transactions.push(t);
        break;
      }
      case 'R':
        out.pending.push({ unit: f[1] as string, path: f[2] as string });
        break;
      case 'M':
        out.setAside.push({ unit: f[1] as string, path: f[2] as string });
        break;
      case 'T':
        out.transientUnits.push({ unit: f[1] as string, activeState: f[2] as string });
        break;
      case 'U':
        states.set(f[1] as string, { a: f[2] as string, s: f[3] as string });
        break;
    }
  }
  for (const h of hardened.values()) {
    const st = states.get(h.unit);
    if (st) {
      h.activeState = st.a;
      h.subState = st.s;
    }
    out.hardened.push(h);
  }
  return HushStatus.parse(out);
}

export async function status(conn: HostExec & Pick<SessionHost, 'host'>): Promise<HushStatus> {
  const r = await conn.exec(
    sh`set -- ${SYSTEM_UNIT_DIR} ${HARDENING_DROPIN_NAME} ${APPLY_STAGE_ROOT} ${RUNTIME_CONTROL_DIR}; ${trustedScript(STATUS_SCRIPT)}`,
    { check: true, timeoutMs: 120_000 },
  );
  return parseStatusOutput(conn.host, r.stdout);
}
