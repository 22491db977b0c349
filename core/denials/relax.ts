/**
 * Which option of hush's drop-in caused a finding, and the smallest change that would allow what
 * was denied. The option semantics are the resolver's (core/systemd's registry, core/resolve):
 * the denied operation becomes an Action, a plan is resolved for it alone, and every value that
 * plan rejects *because of that action* and that the drop-in sets is a cause. The relaxation is
 * what that plan chose instead (the strictest value that allows it), or, for lists, the item to
 * add; path denials also give the `hush apply` flag (`--writable PATH`…) that makes a re-resolve
 * allow the path, so the operator's next apply keeps the fix.
 *
 * A syscall a seccomp filter killed or logged needs no resolve: `SystemCallFilter=NAME` appended
 * after hush's lines removes NAME from a deny list and adds it to an allow list alike (systemd
 * merges later assignments into the first one's list).
 */
import type { HostFacts } from '../profile/hostFacts';
import { PROFILE_SCHEMA, type Profile } from '../profile/schema';
import { mergeProfiles } from '../profile';
import { resolve, type Assignment, type HardeningMode } from '../resolve';
import type { Action, PathAccessKind } from '../summary/actions';
import { optionRegistry } from '../systemd/options';
import type { ErrnoFinding, Finding } from './findings';

export interface Cause {
  option: string;
  /** The drop-in's value for it, as written (list items joined by spaces). */
  current: string;
  why: string;
  /** Lines that allow what was denied (appended after hush's; `''` resets an option). */
  relaxation: Assignment[];
  /** The same fix as `hush apply` flags, when there is one (paths). */
  applyFlags: string[];
}

export interface RelaxContext {
  /** hush's drop-in as applied, `[Service]` assignments in order. */
  dropIn: readonly Assignment[];
  facts: HostFacts;
  /** The profile the drop-in came from, when known: its actions keep the plan's other choices. */
  profile?: Profile;
  mode?: HardeningMode;
}

/** Marks the actions made from a finding, so the plan's rejections can be traced back to them. */
const FINDING_SYSCALL = 'hush-denial';

const words = (v: string | readonly string[]): string[] =>
  (typeof v === 'string' ? v.split(/\s+/) : v.flatMap((x) => x.split(/\s+/))).filter((w) => w !== '');

function currentOf(dropIn: readonly Assignment[], option: string): string | undefined {
  const vs = dropIn.filter((a) => a.option === option).map((a) => words(a.value).join(' '));
  return vs.length ? vs.join(' ') : undefined;
}

/** What the denied operation was, as resolver actions. Unsure of the access: read and write both. */
export function actionsOf(f: ErrnoFinding): Action[] {
  const ev = (syscall: string) => ({ pid: f.pid ?? 0, line: 0, syscall: FINDING_SYSCALL, text: syscall });
  if (f.op === 'bind' || f.op === 'connect' || f.op === 'socket') {
    if (!f.address) return [];
    const family = f.address.includes(':') ? 'AF_INET6' : 'AF_INET';
    const socket: Action = { kind: 'socket', family, type: 'SOCK_STREAM', protocol: '0', ev: ev('socket') };
    if (f.op === 'socket') return [socket];
    return [
      socket,
      {
        kind: 'net',
        op: f.op,
        family,
        type: 'SOCK_STREAM',
        address: f.address,
        ...(f.port !== undefined ? { port: f.port } : {}),
        ev: ev(f.op),
      },
    ];
  }
  if (!f.path) return [];
  const accesses: PathAccessKind[] =
    f.op === 'exec' ? ['exec'] : f.errno === 'EROFS' ? ['write'] : ['read', 'write'];
  return accesses.map((access) => ({ kind: 'path', access, path: f.path!, ev: ev(f.op ?? 'open') }));
}

function flagsFor(f: ErrnoFinding): string[] {
  if (!f.path) return [];
  if (f.op === 'exec') return [`--exec ${f.path}`];
  return f.errno === 'EROFS' || f.op === 'open' || f.op === 'other'
    ? [`--writable ${f.path}`]
    : [`--readable ${f.path}`];
}

const EMPTY: Profile = { schema: PROFILE_SCHEMA, actions: [], syscalls: {}, failedSyscalls: {}, runs: [] };

/** The option each companion list widens, path by path or port by port. */
const COMPANION_OF: Readonly<Record<string, string>> = {
  ReadWritePaths: 'ProtectSystem',
  ExecPaths: 'NoExecPaths',
  SocketBindAllow: 'SocketBindDeny',
};

/** Companion lists that widen an option for one path or port: additive in systemd. */
const COMPANIONS = new Set([
  'ReadWritePaths',
  'ExecPaths',
  'BindPaths',
  'BindReadOnlyPaths',
  'SocketBindAllow',
]);

function errnoCauses(f: ErrnoFinding, ctx: RelaxContext): Cause[] {
  const actions = actionsOf(f);
  if (actions.length === 0) return [];
  const extra: Profile = {
    ...EMPTY,
    actions: actions.map((action, seq) => ({ seq, count: 1, action })),
  };
  const profile = mergeProfiles(ctx.profile ?? EMPTY, extra);
  const plan = resolve(profile, ctx.facts, { mode: ctx.mode ?? 'aggressive' });
  const registry = new Map(optionRegistry().map((d) => [d.name, d]));
  const causes = new Map<string, Cause>();
  for (const r of plan.rejected) {
    if (r.blockedBy?.ev.syscall !== FINDING_SYSCALL) continue;
    const current = currentOf(ctx.dropIn, r.option);
    if (current === undefined || causes.has(r.option)) continue;
    const decl = registry.get(r.option);
    let relaxation: Assignment[];
    if (decl?.kind === 'scalar') {
      // only the value the drop-in actually has is the cause, not every stricter one the plan rejected
      const alias = decl.aliases?.[current] ?? current;
      if (alias !== r.value) continue;
      const chosen = plan.chosen.find((d) => d.option === r.option);
      relaxation = [{ option: r.option, value: chosen ? chosen.value : decl.unset }];
    } else if (r.value.startsWith('without ')) {
      relaxation = [{ option: r.option, value: [r.value.slice('without '.length)] }];
    } else if (decl?.kind === 'list' && decl.polarity === 'deny' && r.option !== 'SystemCallFilter') {
      // CapabilityBoundingSet=~… or an allow-style list without the item: a later line naming the
      // item adds it back in both cases (systemd ORs a plain list into an already-set one)
      relaxation = [{ option: r.option, value: [r.value] }];
    } else {
      const chosen = plan.chosen.filter((d) => d.option === r.option);
      relaxation = chosen.length
        ? chosen.map((d) => ({ option: d.option, value: d.value }))
        : [{ option: r.option, value: '' }];
    }
    // A path or port the plan needed a companion for (ReadWritePaths= under ProtectSystem=strict…)
    for (const d of plan.chosen) {
      if (!COMPANIONS.has(d.option) || currentOf(ctx.dropIn, d.option) === undefined) continue;
      const hit = words(d.value).filter(
        (w) =>
          (f.path && w.replace(/^-/, '') === f.path) || (f.port !== undefined && w.endsWith(`:${f.port}`)),
      );
      if (hit.length) relaxation.push({ option: d.option, value: hit });
    }
    causes.set(r.option, { option: r.option, current, why: r.why, relaxation, applyFlags: flagsFor(f) });
  }
  // ProtectSystem=strict, NoExecPaths= and SocketBindDeny= block without the plan rejecting a value:
  // it keeps the value and lists the path or port in the companion instead.
  for (const d of plan.chosen) {
    const base = COMPANION_OF[d.option];
    if (!base || causes.has(base)) continue;
    const current = currentOf(ctx.dropIn, base);
    if (current === undefined) continue;
    const have = new Set(words(currentOf(ctx.dropIn, d.option) ?? '').map((w) => w.replace(/^-/, '')));
    const hit = words(d.value).filter((w) => {
      const bare = w.replace(/^-/, '');
      if (have.has(bare)) return false;
      return (
        (f.path !== undefined && bare === f.path) || (f.port !== undefined && bare.endsWith(`:${f.port}`))
      );
    });
    if (!hit.length) continue;
    causes.set(base, {
      option: base,
      current,
      why: `${f.path ?? `port ${f.port}`} is not in ${d.option}=`,
      relaxation: [{ option: d.option, value: hit }],
      applyFlags: flagsFor(f),
    });
  }
  return [...causes.values()];
}

/**
 * The causes of a finding among the drop-in's options (empty: hush's drop-in did not cause it, as far
 * as the option model can tell).
 */
export function causesOf(f: Finding, ctx: RelaxContext): Cause[] {
  switch (f.kind) {
    case 'seccomp': {
      const native = ctx.facts.arch === 'x86_64' || ctx.facts.arch === 'amd64' ? 'x86_64' : ctx.facts.arch;
      const archs = currentOf(ctx.dropIn, 'SystemCallArchitectures');
      if (archs !== undefined && native && f.arch !== native) {
        return [
          {
            option: 'SystemCallArchitectures',
            current: archs,
            why: `a ${f.arch} syscall (${f.syscall ?? `#${f.number}`}) from a ${native} host's service`,
            relaxation: [{ option: 'SystemCallArchitectures', value: '' }],
            applyFlags: ['--forbid SystemCallArchitectures'],
          },
        ];
      }
      const filter = currentOf(ctx.dropIn, 'SystemCallFilter') ?? currentOf(ctx.dropIn, 'SystemCallLog');
      if (filter === undefined) return [];
      const option =
        currentOf(ctx.dropIn, 'SystemCallFilter') !== undefined ? 'SystemCallFilter' : 'SystemCallLog';
      const verb =
        f.action === 'log' ? 'would deny' : f.action.startsWith('kill') ? 'killed the process on' : 'denied';
      return [
        {
          option,
          current: filter,
          why: `the filter ${verb} ${f.syscall ?? `syscall #${f.number} (${f.arch})`}`,
          relaxation: f.syscall ? [{ option: 'SystemCallFilter', value: [f.syscall] }] : [],
          applyFlags: [],
        },
      ];
    }
    case 'errno':
      return errnoCauses(f, ctx);
    case 'exit':
    case 'start-failed':
      return [];
  }
}
