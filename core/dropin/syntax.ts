/**
 * How repeated assignments of an option combine, which is what decides whether two drop-ins mean
 * the same thing. This is syntax (systemd's load-fragment parsers), not hardening policy:
 * - `scalar`: the last assignment wins; an empty one restores the default.
 * - `words`: space-separated items accumulate over assignments, an empty assignment resets the
 *   list; a leading `~` inverts a line (deny-list / "all but"). Item order does not matter.
 * - `lines`: one item per assignment (the value itself may contain spaces, e.g. `DeviceAllow=char-rtc r`);
 *   items accumulate, an empty assignment resets; order does not matter unless `ordered`.
 */
import { EXEC_DIRECTIVES } from '../systemd/execLines';
import type { PathGrammar } from './pathItems';

export type OptionSyntax =
  | { kind: 'scalar' }
  | {
      kind: 'words';
      invertible: boolean;
      booleanReplaces?: boolean;
      ordered?: boolean;
      /** Items are paths, written and read with this grammar (pathItems.ts). */
      paths?: PathGrammar;
    }
  | { kind: 'lines'; ordered: boolean; paths?: PathGrammar };

const WORDS_SET = (invertible: boolean, booleanReplaces = false): OptionSyntax => ({
  kind: 'words',
  invertible,
  booleanReplaces,
});

const PATH_LIST = (paths: PathGrammar): OptionSyntax => ({ kind: 'words', invertible: false, paths });

const SYNTAX: Record<string, OptionSyntax> = {
  // Capability and syscall sets (`~` = all but the listed ones).
  CapabilityBoundingSet: WORDS_SET(true),
  AmbientCapabilities: WORDS_SET(true),
  SystemCallFilter: WORDS_SET(true),
  SystemCallLog: WORDS_SET(true),
  SystemCallArchitectures: WORDS_SET(false),
  RestrictAddressFamilies: WORDS_SET(true),
  RestrictFileSystems: WORDS_SET(true),
  // A boolean value replaces whatever was accumulated ("Boolean parameter ignores the previous settings").
  RestrictNamespaces: WORDS_SET(true, true),
  // Path lists.
  ReadWritePaths: PATH_LIST('namespace'),
  ReadOnlyPaths: PATH_LIST('namespace'),
  InaccessiblePaths: PATH_LIST('namespace'),
  ExecPaths: PATH_LIST('namespace'),
  NoExecPaths: PATH_LIST('namespace'),
  TemporaryFileSystem: PATH_LIST('tmpfs'),
  BindPaths: PATH_LIST('bind'),
  BindReadOnlyPaths: PATH_LIST('bind'),
  StateDirectory: WORDS_SET(false),
  CacheDirectory: WORDS_SET(false),
  LogsDirectory: WORDS_SET(false),
  RuntimeDirectory: WORDS_SET(false),
  ConfigurationDirectory: WORDS_SET(false),
  SupplementaryGroups: WORDS_SET(false),
  IPAddressAllow: WORDS_SET(false),
  IPAddressDeny: WORDS_SET(false),
  // Environment assignments override earlier ones of the same variable: order matters.
  Environment: { kind: 'words', invertible: false, ordered: true },
  EnvironmentFile: { kind: 'lines', ordered: true },
  // One rule per assignment.
  DeviceAllow: { kind: 'lines', ordered: false, paths: 'device' },
  SocketBindAllow: { kind: 'lines', ordered: false },
  SocketBindDeny: { kind: 'lines', ordered: false },
  // Commands: one per assignment, run in order.
  ...Object.fromEntries(
    EXEC_DIRECTIVES.map((d): [string, OptionSyntax] => [d, { kind: 'lines', ordered: true }]),
  ),
};

/** Unknown options are compared as ordered lines: the safe choice when the semantics are not modelled. */
const UNKNOWN: OptionSyntax = { kind: 'lines', ordered: true };

/** Options known to be single-valued (the rest of the [Service] hardening options are too). */
const SCALARS = new Set([
  'NoNewPrivileges',
  'PrivateTmp',
  'PrivateDevices',
  'PrivateNetwork',
  'PrivateUsers',
  'PrivateMounts',
  'PrivateIPC',
  'ProtectSystem',
  'ProtectHome',
  'ProtectHostname',
  'ProtectClock',
  'ProtectKernelTunables',
  'ProtectKernelModules',
  'ProtectKernelLogs',
  'ProtectControlGroups',
  'ProtectProc',
  'ProcSubset',
  'RestrictSUIDSGID',
  'RestrictRealtime',
  'LockPersonality',
  'MemoryDenyWriteExecute',
  'RemoveIPC',
  'UMask',
  'KeyringMode',
  'DevicePolicy',
  'DynamicUser',
  'User',
  'Group',
  'NotifyAccess',
  'Delegate',
  'RootDirectory',
  'RootImage',
  'SystemCallErrorNumber',
  'Type',
  'WorkingDirectory',
  'MountAPIVFS',
  'KillMode',
  'Restart',
  'PIDFile',
]);

export function optionSyntax(option: string): OptionSyntax {
  return SYNTAX[option] ?? (SCALARS.has(option) ? { kind: 'scalar' } : UNKNOWN);
}

/**
 * Options whose value is an unordered set of items (paths, capabilities, syscalls, families, device
 * or socket rules), so a value typed as one string (`--set`) splits into its items. Ordered lists
 * (Environment=, Exec*) and lists a boolean replaces (RestrictNamespaces=yes) are taken as written.
 */
export function isItemSet(option: string): boolean {
  const s = SYNTAX[option];
  if (s === undefined || s.kind === 'scalar' || s.ordered === true) return false;
  return !(s.kind === 'words' && s.booleanReplaces === true);
}

/** Options whose every item must go on its own `Option=` line when rendering. */
export function isOnePerLine(option: string): boolean {
  return SYNTAX[option]?.kind === 'lines';
}
