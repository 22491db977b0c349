/**
 * File mode, file capabilities and interpreter of every program a profile executed, probed on the
 * host after the trace (one round trip, plus one per level of interpreters not yet known). Modes
 * and capabilities let the resolver prove NoNewPrivileges=yes harmless (core/systemd/options.ts
 * `privilegedExec`): a program run during the window (pg_ctlcluster → pg_ctl → postgres, a helper
 * script) must be neither setuid/setgid nor, for a non-root unit, carry file capabilities. The
 * interpreter (ELF PT_INTERP or `#!`, remote/elfInterpreter.ts) is what NoExecPaths= must leave
 * executable although no trace shows it. The host probe (remote/probe.ts) knows only the unit's
 * Exec binaries and none of this; anything left unknown keeps those options off. `hush profile`
 * runs it over SSH, `hush run` on this machine (LocalShell): one code path for both.
 *
 *   const facts2 = await withExecModes(host, profile, facts);
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ExecBinary, HostFacts } from '../core/profile/hostFacts';
import type { Profile } from '../core/profile/schema';
import { interpreterOfHead } from './elfInterpreter';
import type { HostExec } from './host';
import { sh, type ShellCommand } from './shell';

/** Bytes of each file's head sent back: the ELF program headers and PT_INTERP string sit in the first KiB. */
export const HEAD_BYTES = 4096;

/** Levels of interpreters followed (a script's interpreter is itself dynamically linked). */
const MAX_INTERPRETER_DEPTH = 4;

/**
 * Paths that need a mode: every program the trace shows executed (the same actions `privilegedExec`
 * looks at), and known binaries still without one that were not read yet (`modesProbed`: what a
 * read left unknown stays unknown). Absolute paths only (an execve of a relative path is resolved
 * against a cwd the probe does not have: it stays unknown).
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
      if (b === undefined) return true;
      if (b.modesProbed) return false;
      return b.mode === undefined || b.fileCapabilities === undefined || b.interpreter === undefined;
    })
    .sort();
}

/**
 * One command for all paths. Each path is reported by its index (never echoed back), so a path
 * with tabs or newlines cannot confuse the reply:
 * `<marker>\t<i>\t<mode hex>\t<caps state>\t<caps>\t<head base64>`.
 * Caps state: `k` known (caps empty when none), `u` unknown (no getcap, or getcap failed).
 * A path stat cannot read prints `-` as its mode. The head (first HEAD_BYTES, base64) is read only
 * from a regular file (a FIFO or device put there since the trace would block or never end). `getcap PATH` prints `PATH caps` (libcap >= 2.4x)
 * or `PATH = caps` (older); the path prefix is cut in the shell with a quoted (literal) pattern.
 */
export function execModesCommand(paths: readonly string[], marker: string): ShellCommand {
  if (!/^[A-Za-z0-9@_-]+$/.test(marker)) throw new Error(`bad marker ${marker}`);
  return sh`m=${marker}; i=0; g=; command -v getcap >/dev/null 2>&1 && g=1
for p in ${paths}; do
  mode=$(stat -L -c %f -- "$p" 2>/dev/null) || mode=-
  cs=u; c=
  if [ "$mode" != - ] && [ -n "$g" ] && c=$(getcap "$p" 2>/dev/null); then cs=k; c=\${c#"$p"}; c=\${c# }; c=\${c#= }; fi
  h=; if [ -f "$p" ]; then h=$(head -c ${HEAD_BYTES} -- "$p" 2>/dev/null | base64 2>/dev/null | tr -d '\\n'); fi
  printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$m" "$i" "$mode" "$cs" "$(printf %s "$c" | tr '\\n\\t' '  ')" "$h"
  i=$((i+1))
done`;
}

const ReplyLine = z.tuple([
  z.string(),
  z.string().regex(/^\d+$/),
  z.union([z.literal('-'), z.string().regex(/^[0-9a-f]{1,8}$/)]),
  z.enum(['k', 'u']),
  z.string(),
  z.string().regex(/^[A-Za-z0-9+/=]*$/),
]);

/** The reply → ExecBinary entries for the paths that could be stat'ed, each `modesProbed` (pure). */
export function parseExecModesReply(text: string, paths: readonly string[], marker: string): ExecBinary[] {
  const out = new Map<string, ExecBinary>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(marker + '\t')) continue;
    const parsed = ReplyLine.safeParse(line.split('\t'));
    if (!parsed.success) continue;
    const [, index, mode, capsState, caps, head] = parsed.data;
    const path = paths[Number(index)];
    if (path === undefined || mode === '-') continue;
    const interpreter = head === '' ? undefined : interpreterOfHead(Buffer.from(head, 'base64'));
    out.set(path, {
      path,
      mode: parseInt(mode, 16),
      ...(capsState === 'k' ? { fileCapabilities: caps.trim() } : {}),
      ...(interpreter !== undefined ? { interpreter } : {}),
      modesProbed: true,
    });
  }
  return [...out.values()];
}

/**
 * Adds the probed facts to the binaries (pure). An existing entry keeps everything it has; only
 * its missing mode, file capabilities or interpreter are filled in (and `modesProbed` set). New entries are marked `executedOnly`:
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
      ...(b.interpreter === undefined && p.interpreter !== undefined ? { interpreter: p.interpreter } : {}),
      ...(p.modesProbed ? { modesProbed: true } : {}),
    };
  });
  for (const p of [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    out.push({ ...p, executedOnly: true });
  }
  return out;
}

/**
 * Probes what the profile needs (one round trip) and returns the facts with it merged in; then the
 * interpreters found that are not known yet (a script's /bin/sh, the dynamic loader), a few levels.
 */
export async function withExecModes(
  host: HostExec,
  profile: Profile,
  facts: HostFacts,
  opts: { timeoutMs?: number } = {},
): Promise<HostFacts> {
  let binaries = facts.binaries ?? [];
  let paths = pathsNeedingModes(profile, binaries);
  if (paths.length === 0) return facts;
  for (let depth = 0; paths.length > 0 && depth <= MAX_INTERPRETER_DEPTH; depth++) {
    const probed = await probeExecModes(host, paths, opts.timeoutMs ?? 60_000);
    binaries = mergeExecModes(binaries, probed);
    const known = new Set(binaries.map((b) => b.path));
    paths = [...new Set(probed.map((b) => b.interpreter ?? ''))]
      .filter((p) => p.startsWith('/') && !known.has(p))
      .sort();
  }
  return { ...facts, binaries };
}

async function probeExecModes(
  host: HostExec,
  paths: readonly string[],
  timeoutMs: number,
): Promise<ExecBinary[]> {
  const marker = `@@hush-modes-${randomBytes(6).toString('hex')}@@`;
  const r = await host.exec(execModesCommand(paths, marker), { timeoutMs });
  if (r.code !== 0) {
    throw new Error(
      `probing file modes failed on ${host.target} (exit ${r.code}): ${r.stderr.trim().slice(-300)}`,
    );
  }
  return parseExecModesReply(r.stdout, paths, marker);
}

/**
 * withExecModes that never fails the caller: a failed probe only leaves the modes unknown (so
 * NoNewPrivileges stays unproven), said through `warn`. Profiling and `apply --profile` both use it.
 */
export async function withExecModesOrUnknown(
  host: HostExec,
  profile: Profile,
  facts: HostFacts,
  warn: (message: string) => void,
): Promise<HostFacts> {
  try {
    return await withExecModes(host, profile, facts);
  } catch (err) {
    warn(`file mode probe failed (NoNewPrivileges stays unproven): ${(err as Error).message}`);
    return facts;
  }
}
