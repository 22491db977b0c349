/** The systemd option model: registry, effect algebra, syscall groups. */
export { parseSyscallFilterOutput, expandSyscallGroup, type SyscallGroups } from './syscallFilter';
export { BUNDLED_SYSCALL_GROUPS } from './syscallGroups.generated';
export { syscallGroupsFor, BUNDLED_SYSTEMD_VERSIONS } from './groups';
export {
  optionRegistry,
  DEFAULT_MERGE_THRESHOLD,
  unitWritablePaths,
  isLoopback,
  privilegedExec,
} from './options';
export { ALL_CAPABILITIES, type Capability } from './capabilities';
export {
  SENSITIVE_ROOTS,
  isUnder,
  parentDir,
  mergePaths,
  minimalCover,
  isSensitiveRoot,
  unnameablePath,
  nameablePath,
  printableText,
} from './paths';
export type * from './model';
export { WRITE_ACCESSES, ALL_ACCESSES } from './model';
