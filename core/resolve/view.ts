/**
 * Digest a Profile and HostFacts into the TargetView option declarations look at: path uses in
 * first-occurrence order (unix socket paths, mknod and chmod targets included), syscall sets, the
 * traced pids, the target's versions and features, the unit's current settings.
 */
import type { HostFacts } from '../profile/hostFacts';
import type { Profile } from '../profile/schema';
import type { Action, PathAccessKind } from '../summary/actions';
import type { PathUse, TargetView } from '../systemd/model';
import { syscallGroupsFor } from '../systemd/groups';
import type { HardeningMode } from './plan';
import type { OptionOverrides } from './settings';

/** Evidence of a path the user asked for (overrides), so decisions can say where it came from. */
const OVERRIDE_EVIDENCE = { pid: 0, line: 0, syscall: 'hush-override', text: 'user override' };

function pathUses(action: Action): { path: string; access: PathAccessKind }[] {
  switch (action.kind) {
    case 'path':
      return [{ path: action.path, access: action.access }];
    case 'net':
      // A filesystem socket is a file: binding creates it, connecting needs to see it.
      if (action.family !== 'AF_UNIX' || !action.address || action.address.startsWith('@')) return [];
      if (action.op === 'bind') return [{ path: action.address, access: 'create' }];
      if (action.op === 'connect' || action.op === 'send') return [{ path: action.address, access: 'read' }];
      return [];
    case 'mknod':
      return [{ path: action.path, access: 'create' }];
    case 'setuidBits':
      return [{ path: action.path, access: 'metadata' }];
    case 'chown':
      return action.path ? [{ path: action.path, access: 'metadata' }] : [];
    default:
      return [];
  }
}

function overrideActions(o: OptionOverrides): Action[] {
  const mk = (access: PathAccessKind, path: string): Action => ({
    kind: 'path',
    access,
    path,
    ev: OVERRIDE_EVIDENCE,
  });
  return [
    ...o.writablePaths.map((p) => mk('write', p)),
    ...o.readablePaths.map((p) => mk('read', p)),
    ...o.execPaths.map((p) => mk('exec', p)),
  ];
}

export function parseKernel(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function runsAsRoot(props: Readonly<Record<string, string>>): boolean {
  const user = props.User ?? '';
  if (props.DynamicUser === 'yes') return false;
  return user === '' || user === 'root' || user === '0';
}

/** `!`/`!!`-prefixed Exec lines: root inside the sandbox even when User= is set (systemd.service(5)). */
export function rootCommands(facts: HostFacts): string[] {
  return (facts.unit?.exec ?? [])
    .filter((e) => e.prefixes.includes('!'))
    .map((e) => `${e.directive}=${e.prefixes}${e.command}`);
}

export interface ViewState {
  chosen: Map<string, string | readonly string[]>;
}

export function buildView(
  profile: Profile,
  facts: HostFacts,
  mode: HardeningMode,
  overrides: OptionOverrides,
  state: ViewState,
  normalize: (option: string, value: string) => string,
): TargetView {
  const actions: Action[] = [...profile.actions]
    .sort((a, b) => a.seq - b.seq)
    .map((pa) => pa.action)
    .concat(overrideActions(overrides));
  const paths: PathUse[] = [];
  const pids = new Set<number>();
  for (const action of actions) {
    if (action.ev.syscall !== OVERRIDE_EVIDENCE.syscall) pids.add(action.ev.pid);
    for (const u of pathUses(action)) paths.push({ ...u, action });
  }
  const unitProps = facts.unit?.properties ?? {};
  const groups = syscallGroupsFor(facts.systemdVersion, facts.syscallGroups);
  const binaries = new Map<string, { mode?: number; fileCapabilities?: string; interpreter?: string }>();
  for (const b of facts.binaries ?? []) {
    binaries.set(b.path, { mode: b.mode, fileCapabilities: b.fileCapabilities, interpreter: b.interpreter });
  }
  // The kernel opens an executable's interpreter itself (no syscall shows it): it is executed too.
  // Chains (a script's interpreter is itself dynamically linked) are followed a few levels deep.
  for (const use of [...paths]) {
    if (use.access !== 'exec' || !use.action.ev.syscall.startsWith('execve')) continue;
    let interp = binaries.get(use.path)?.interpreter;
    for (let depth = 0; interp && depth < 4; depth++) {
      paths.push({ path: interp, access: 'exec', action: use.action });
      interp = binaries.get(interp)?.interpreter;
    }
  }
  const kernel = parseKernel(facts.kernelRelease);
  return {
    mode,
    systemdVersion: facts.systemdVersion,
    ...(kernel ? { kernel } : {}),
    ...(facts.cgroupVersion ? { cgroupVersion: facts.cgroupVersion } : {}),
    ...(facts.bpfFramework !== undefined ? { bpfFramework: facts.bpfFramework } : {}),
    systemInstance: facts.systemInstance ?? true,
    runsAsRoot: runsAsRoot(unitProps),
    rootCommands: runsAsRoot(unitProps) ? [] : rootCommands(facts),
    unitProps,
    ...(groups ? { groups: groups.groups, groupsSource: groups.source } : {}),
    paths,
    actions,
    syscalls: new Map(Object.entries(profile.syscalls).sort()),
    failedSyscalls: new Map(Object.entries(profile.failedSyscalls ?? {}).sort()),
    pids,
    unreadableArgs: profile.runs.reduce((n, r) => n + (r.unreadableArgs ?? 0), 0),
    abi: {
      watched: profile.runs.length > 0 && profile.runs.every((r) => r.abiWatched === true),
      switches: [...new Set(profile.runs.flatMap((r) => r.abiSwitches ?? []))].sort(),
    },
    binaries,
    chosen: state.chosen,
    effective: (option) => {
      const v = state.chosen.get(option);
      if (v !== undefined) return typeof v === 'string' ? v : v.join(' ');
      const u = unitProps[option];
      return u === undefined ? undefined : normalize(option, u);
    },
  };
}
