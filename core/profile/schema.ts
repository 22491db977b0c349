/**
 * The Profile document: what a service was seen doing, compact and versioned. Written as JSON by
 * `hush summarize` / `hush profile`, stored in Pulumi state, read back by `hush resolve`.
 */
import { z } from 'zod';
import { Action, SyscallName } from '../summary/actions';
import { HostFacts } from './hostFacts';

export const PROFILE_SCHEMA = 'hush.profile/v1' as const;

/** One deduplicated action: the first occurrence (order matters: create-before-read), and how often. */
export const ProfileAction = z.object({
  /** Position of the first occurrence in the merged stream; actions are kept sorted by it. */
  seq: z.number().int(),
  count: z.number().int().positive(),
  action: Action,
});
export type ProfileAction = z.infer<typeof ProfileAction>;

export const RunInfo = z.object({
  /** Where the trace came from: a file name, `stdin`, `unit:nginx.service@host`… */
  source: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  lines: z.number().int().nonnegative(),
  syscalls: z.number().int().nonnegative(),
  unparsable: z.number().int().nonnegative(),
  pids: z.number().int().nonnegative(),
  /**
   * Path arguments the summary could not resolve (relative to an unknown cwd, or to an fd it never
   * saw opened): their actions are missing, so path options are less certain. 0 when absent.
   */
  unresolvedPaths: z.number().int().nonnegative().optional(),
  /**
   * Successful calls whose path climbs `..` over a name the trace never saw the kernel resolve
   * (core/summary README, "Paths"): their accesses are left out rather than guessed. 0 when absent.
   */
  droppedPaths: z.number().int().nonnegative().optional(),
  /**
   * Pointer arguments of successful calls (paths, socket addresses) that strace printed as
   * addresses because it could not read the tracee's memory: a process that changed its
   * credentials is out of reach of a tracer without CAP_SYS_PTRACE. What they named is missing,
   * so the resolver does not rest path or address options on this run. 0 when absent.
   */
  unreadableArgs: z.number().int().nonnegative().optional(),
  /**
   * Whether the recorder reported every switch of a process to another syscall ABI (a 32-bit or
   * x32 binary, `int 0x80` from 64-bit code): hush's strace invocation prints strace's personality
   * notices (core/strace/invocation.ts). Absent: not known (strace's default quiet set hides them;
   * profiles written before this field; the eBPF recorder), so no ABI option rests on this run.
   */
  abiWatched: z.literal(true).optional(),
  /** The ABIs processes switched to in this run (strace's names: `32 bit`, `x32`, `64 bit`…). */
  abiSwitches: z.array(z.string().regex(/^[0-9A-Za-z -]{1,20}$/)).optional(),
  /**
   * How strace traced this run: `full` (every syscall) or `decisions` (`--seccomp-bpf`, every syscall
   * but the hot ones that change no decision; core/tracing). Absent in profiles written before this
   * field existed: those were traced in full.
   */
  tracing: z.enum(['full', 'decisions']).optional(),
  /**
   * What recorded this run: `strace` (the wrapper; absent in profiles written before this field)
   * or `ebpf` (hush's in-kernel recorder attached to the unit's cgroup, native/recorder: every
   * syscall counted in the kernel, decision-carrying calls decoded as strace -y would print them).
   */
  recorder: z.enum(['strace', 'ebpf']).optional(),
  /** `decisions` tracing: the syscalls the filter left out (their counts are not in the profile). */
  untracedSyscalls: z.array(SyscallName).optional(),
  /**
   * `decisions` tracing: untraced syscalls the profile counts as used (count 0) because tracing could
   * not prove them unused (core/tracing `completeDecisionProfile`).
   */
  assumedSyscalls: z.array(SyscallName).optional(),
});
export type RunInfo = z.infer<typeof RunInfo>;

export const Profile = z.object({
  schema: z.literal(PROFILE_SCHEMA),
  /** Deduplicated actions in first-occurrence order. */
  actions: z.array(ProfileAction),
  /** Syscall names that counted (see the success rule in core/summary) with their counts. */
  syscalls: z.record(SyscallName, z.number().int().nonnegative()),
  /** Syscall names seen only failing (e.g. EPERM, ENOSYS): informative, they block nothing. */
  failedSyscalls: z.record(SyscallName, z.number().int().nonnegative()).default({}),
  runs: z.array(RunInfo),
  host: HostFacts.optional(),
});
export type Profile = z.infer<typeof Profile>;
