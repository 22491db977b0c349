/**
 * File mode and file capabilities of every program a profile executed, probed on the host in one
 * round trip after the trace. They let the resolver prove NoNewPrivileges=yes harmless
 * (core/systemd/options.ts `privilegedExec`): a program run during the window (pg_ctlcluster →
 * pg_ctl → postgres, a helper script) must be neither setuid/setgid nor, for a non-root unit,
 * carry file capabilities. The host probe (remote/probe.ts) knows only the unit's Exec binaries and
 * no modes; anything left unknown here keeps NoNewPrivileges off.
 *
 *   const facts2 = await withExecModes(conn, profile, facts);
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ExecBinary, HostFacts } from '../core/profile/hostFacts';
import type { Profile } from '../core/profile/schema';
import type { HostExec } from './host';
import { sh, type ShellCommand } from './shell';

/**
 * Paths that need a mode: every program the trace shows executed (the same actions `privilegedExec`
 * looks at), and known binaries still without one. Absolute paths only (an execve of a relative
 * path is resolved against a cwd the probe does not have: it stays unknown).
 */
export function pathsNeedingModes(profile: Profile, binaries: readonly ExecBinary[]): string[] {
  const known = new Map(binaries.map((b) => [b.path, b]));
  const paths = new Set<string>();
  for (const { action: a } of profile.actions) {
    if (a.kind === 'path' && a.access === 'exec' && a.ev.syscall.startsWith('execve')) paths.add(a.path);
  }
  for (const b of binaries) paths.add(b.path);
  return [...paths]
    .filter((p) => p.startsWith('/') && !p.includes('\0'))
    .filter((p) => {
      const b = known.get(p);
      return b === undefined || b.mode === undefined || b.fileCapabilities === undefined;
    })
    .sort();
}

/**
 * One command for all paths. Each path is reported by its index (never echoed back), so a path
 * with tabs or newlines cannot confuse the reply: `<marker>\t<i>\t<mode hex>\t<caps state>\t<caps>`.
 * Caps state: `k` known (caps empty when none), `u` unknown (no getcap, or getcap failed).
 * A path stat cannot read prints `-` as its mode. `getcap PATH` prints `PATH caps` (libcap >= 2.4x)
 * or `PATH = caps` (older); the path prefix is cut in the shell with a quoted (literal) pattern.
 */
export function execModesCommand(paths: readonly string[], marker: string): ShellCommand {
  if (!/^[A-Za-z0-9@_-]+$/.test(marker)) throw new Error(`bad marker ${marker}`);
  return sh`m=${marker}; i=0; g=; command -v getcap >/dev/null 2>&1 && g=1
for p in ${paths}; do
  mode=$(stat -L -c %f -- "$p" 2>/dev/null) || mode=-
  cs=u; c=
  if [ "$mode" != - ] && [ -n "$g" ] && c=$(getcap "$p" 2>/dev/null); then cs=k; c=\${c#"$p"}; c=\${c# }; c=\${c#= }; fi
  printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$m" "$i" "$mode" "$cs" "$(printf %s "$c" | tr '\\n\\t' '  ')"
  i=$((i+1))
done`;
}

const ReplyLine = z.tuple([
  z.string(),
  z.string().regex(/^\d+$/),
  z.union([z.literal('-'), z.string().regex(/^[0-9a-f]{1,8}$/)]),
  z.enum(['k', 'u']),
  z.string(),
]);

/** The reply → ExecBinary entries for the paths that could be stat'ed (pure). */
export function parseExecModesReply(text: string, paths: readonly string[], marker: string): ExecBinary[] {
  const out = new Map<string, ExecBinary>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(marker + '\t')) continue;
    const parsed = ReplyLine.safeParse(line.split('\t'));
    if (!parsed.success) continue;
    const [, index, mode, capsState, caps] = parsed.data;
    const path = paths[Number(index)];
    if (path === undefined || mode === '-') continue;
    out.set(path, {
      path,
      mode: parseInt(mode, 16),
      ...(capsState === 'k' ? { fileCapabilities: caps.trim() } : {}),
    });
  }
  return [...out.values()];
}

/**
 * Adds the probed facts to the binaries (pure). An existing entry keeps everything it has; only
 * its missing mode or file capabilities are filled in. New entries are marked `executedOnly`:
 * they are not the unit's Exec binaries and stay out of the re-profile fingerprint (a refresh
 * probes only those).
 */
export function mergeExecModes(binaries: readonly ExecBinary[], probed: readonly ExecBinary[]): ExecBinary[] {
  const byPath = new Map(probed.map((b) => [b.path, b]));
  const out = binaries.map((b) => {
    const p = byPath.get(b.path);
    if (!p) return b;
    byPath.delete(b.path);
    return {
      ...b,
      ...(b.mode === undefined && p.mode !== undefined ? { mode: p.mode } : {}),
      ...(b.fileCapabilities === undefined && p.fileCapabilities !== undefined
        ? { fileCapabilities: p.fileCapabilities }
        : {}),
    };
  });
  for (const p of [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    out.push({ ...p, executedOnly: true });
  }
  return out;
}

/** Probes the modes the profile needs (one round trip) and returns the facts with them merged in. */
export async function withExecModes(
  conn: HostExec,
  profile: Profile,
  facts: HostFacts,
  opts: { timeoutMs?: number } = {},
): Promise<HostFacts> {
  const paths = pathsNeedingModes(profile, facts.binaries ?? []);
  if (paths.length === 0) return facts;
  const marker = `@@hush-modes-${randomBytes(6).toString('hex')}@@`;
  const r = await conn.exec(execModesCommand(paths, marker), { timeoutMs: opts.timeoutMs ?? 60_000 });
  if (r.code !== 0) {
    throw new Error(
      `probing file modes failed on ${conn.target} (exit ${r.code}): ${r.stderr.trim().slice(-300)}`,
    );
  }
  return {
    ...facts,
    binaries: mergeExecModes(facts.binaries ?? [], parseExecModesReply(r.stdout, paths, marker)),
  };
}

/**
 * withExecModes that never fails the caller: a failed probe only leaves the modes unknown (so
 * NoNewPrivileges stays unproven), said through `warn`. Profiling and `apply --profile` both use it.
 */
export async function withExecModesOrUnknown(
  conn: HostExec,
  profile: Profile,
  facts: HostFacts,
  warn: (message: string) => void,
): Promise<HostFacts> {
  try {
    return await withExecModes(conn, profile, facts);
  } catch (err) {
    warn(`file mode probe failed (NoNewPrivileges stays unproven): ${(err as Error).message}`);
    return facts;
  }
}
