/**
 * The public argument types of hush's Pulumi resources, written by hand (not derived from the zod
 * schemas) so that every field is a deep `pulumi.Input` and carries its own documentation in the
 * editor. provider/inputs.ts holds the runtime schemas the providers validate with;
 * provider/args.test.ts fails to compile when the two drift apart.
 *
 * `ConnectionArgs` has the fields, names and defaults of `@pulumi/command`'s
 * `remote.ConnectionArgs`, so one connection value serves both packages.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { HardeningMode } from '../core/resolve/plan';
import type { Tracing } from '../core/tracing';

/** How to reach a bastion host (the fields of {@link ConnectionArgs} without `proxy`). */
export interface ProxyConnectionArgs {
  /** Host name or address of the SSH server. */
  host: pulumi.Input<string>;
  /** SSH port. Default 22. */
  port?: pulumi.Input<number>;
  /** Login user. Default `root`; any other user needs passwordless `sudo -n`. */
  user?: pulumi.Input<string>;
  /** Password (also used for keyboard-interactive). Pass it as a secret. */
  password?: pulumi.Input<string>;
  /**
   * The private key's contents (`-----BEGIN OPENSSH PRIVATE KEY-----…`), not a path. Pass it as a
   * secret (`config.requireSecret('privateKey')`). Preferred over `password` when both are set.
   */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of an encrypted `privateKey`. Pass it as a secret. */
  privateKeyPassword?: pulumi.Input<string>;
  /** ssh-agent socket. Default: `$SSH_AUTH_SOCK` of the process that runs the provider. */
  agentSocketPath?: pulumi.Input<string>;
  /** Dial attempts before giving up; -1 = unlimited. Default 10. */
  dialErrorLimit?: pulumi.Input<number>;
  /** Seconds per dial attempt (TCP, handshake and authentication); 0 = no limit. Default 15. */
  perDialTimeout?: pulumi.Input<number>;
  /**
   * The host key(s) the server must present: a `SHA256:…` fingerprint, a `ssh-ed25519 AAAA…` key
   * or known_hosts lines (as printed by `ssh-keyscan`). Required unless `insecureAcceptAnyHostKey`:
   * hush sends root commands, so an unverified host is refused before any credential is sent.
   */
  hostKey?: pulumi.Input<string>;
  /**
   * Accept whatever key the host presents. Unsafe (a man in the middle gets root); every
   * operation that connects reports it as an engine warning and in the resource's `warnings`.
   */
  insecureAcceptAnyHostKey?: pulumi.Input<boolean>;
}

/**
 * How hush reaches a host over SSH. A `@pulumi/command` `remote.ConnectionArgs` value is
 * accepted as is (add `hostKey`, which hush requires). Stored as a secret in the state.
 */
export interface ConnectionArgs extends ProxyConnectionArgs {
  /** Dial this bastion first and tunnel through it. */
  proxy?: pulumi.Input<ProxyConnectionArgs>;
}

/**
 * The profiling window: how long, and under what load, the service is watched. At least one of
 * the fields must be given; with workloads, the window lasts until they are done (and at least
 * `durationSeconds`); `record` goes alone.
 */
export interface ProfileWindowArgs {
  /** Seconds to watch the service (1 to 86400). */
  durationSeconds?: pulumi.Input<number>;
  /**
   * A shell command run on the host, as root, during the window (e.g. a curl loop that exercises
   * the service). May be a secret: it is sent on the command's standard input and kept encrypted
   * in the state.
   */
  workload?: pulumi.Input<string>;
  /** A shell command run on the controller (where Pulumi runs) during the window. May be a secret. */
  localWorkload?: pulumi.Input<string>;
  /**
   * A detached recording instead of an inline window (goes alone): the first `up` starts it and
   * returns at once; the host keeps the trace and restores the unit at the deadline on its own;
   * `preview` and `refresh` show its progress; the first `up` after the deadline finishes it and
   * the drop-in is resolved and applied in that same `up`. `destroy` cancels a running one.
   */
  record?: pulumi.Input<RecordWindowArgs>;
}

/** Units whose children are sessions: see {@link HardeningDropInArgs.sessionUnit}. */
export type SessionUnitPolicy = 'refuse' | 'session-safe' | 'sandbox-sessions';

/** A detached recording's deadline and cap (see {@link ProfileWindowArgs.record}). */
export interface RecordWindowArgs {
  /**
   * When the recording ends: a duration from its start (`30m`, `6h`, `2d`) or an ISO 8601 time
   * with a zone (`2026-12-24T06:00:00Z`); at least a minute and at most 30 days after the start.
   * A change starts a new recording (the running one is cancelled).
   */
  until: pulumi.Input<string>;
  /** Cap of the compressed spool (`500M`, `2G`; at least 1M; default 1G): the recording ends there. */
  maxTrace?: pulumi.Input<string>;
}

/** Options forced, forbidden or widened, whatever the profile says. */
export interface HardeningOverridesArgs {
  /** Force an option to a value, e.g. `{ ProtectSystem: 'full' }`; it replaces the resolver's choice. */
  force?: pulumi.Input<Record<string, pulumi.Input<string | pulumi.Input<string>[]>>>;
  /** Never emit these options (nor their companions), e.g. `['PrivateNetwork']`. */
  forbid?: pulumi.Input<pulumi.Input<string>[]>;
  /** Absolute paths the service must be able to write even if the profile never saw it (ReadWritePaths=). */
  writablePaths?: pulumi.Input<pulumi.Input<string>[]>;
  /** Absolute paths the service must be able to read even if the profile never saw it. */
  readablePaths?: pulumi.Input<pulumi.Input<string>[]>;
  /** Absolute paths the service must be able to execute even if the profile never saw it (ExecPaths=). */
  execPaths?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Inputs of `ServiceProfile`: profiling one unit on one host, as a resource. */
export interface ServiceProfileArgs {
  /** How to reach the host. Rotating credentials updates in place; another host or port re-profiles. */
  connection: pulumi.Input<ConnectionArgs>;
  /** The systemd service, e.g. `nginx.service` (template instances allowed). A change re-profiles. */
  unit: pulumi.Input<string>;
  /** The profiling window. A change re-profiles. */
  window: pulumi.Input<ProfileWindowArgs>;
  /**
   * How strace traces: `decisions` (strace --seccomp-bpf stops only on syscalls that can change a
   * decision: far less overhead) or `full` (every syscall). Default: the engine's choice
   * (`decisions` where the host's strace supports it). A change re-profiles.
   */
  tracing?: pulumi.Input<Tracing>;
  /** Any values; a change re-profiles (like `@pulumi/command`'s `triggers`). */
  triggers?: pulumi.Input<pulumi.Input<unknown>[]>;
  /**
   * A unit whose children are login sessions or other users' jobs (sshd, getty, cron…, detected on
   * the host): `refuse` (default: every session would inherit the sandbox), `session-safe` (only
   * options on the unit's own cgroup, which sessions leave behind) or `sandbox-sessions` (harden
   * it fully; every session inherits it: a bastion host). Never re-profiles.
   */
  sessionUnit?: pulumi.Input<SessionUnitPolicy>;
}

/** Inputs of `HardeningDropIn`: hush's drop-in of one unit on one host, as a resource. */
export interface HardeningDropInArgs {
  /** How to reach the host. Rotating credentials updates in place; another host or port replaces. */
  connection: pulumi.Input<ConnectionArgs>;
  /** The systemd service the drop-in hardens. A change replaces the resource. */
  unit: pulumi.Input<string>;
  /**
   * The drop-in text (`[Service]` and options), as `HardenedService` resolves it. Comment lines
   * (hush's header with its version) are not compared: only a change of the options rewrites the
   * file and restarts the unit. Absent (or resolving to undefined): nothing declared yet, as while
   * a HardenedService's profile is still recording; the host is left as it is.
   */
  content?: pulumi.Input<string | undefined>;
  /**
   * A shell command run on the host, as root, after the restart; a non-zero exit rolls the drop-in
   * back. May be a secret: it is sent on standard input and kept encrypted in the state.
   */
  healthCommand?: pulumi.Input<string>;
  /** Seconds the unit must stay active after the restart before it counts as healthy (0-600, default 5). */
  settleSeconds?: pulumi.Input<number>;
  /**
   * A unit whose children are login sessions or other users' jobs (sshd, getty, cron…, detected on
   * the host): `refuse` (default: every session would inherit the sandbox), `session-safe` (only
   * options on the unit's own cgroup, which sessions leave behind) or `sandbox-sessions` (harden
   * it fully; every session inherits it: a bastion host). Never re-profiles.
   */
  sessionUnit?: pulumi.Input<SessionUnitPolicy>;
}

/** Inputs of the `HardenedService` component: profile, resolve, apply. */
export interface HardenedServiceArgs {
  /** How to reach the host (see {@link ConnectionArgs}). */
  connection: pulumi.Input<ConnectionArgs>;
  /** The systemd service to harden, e.g. `nginx.service`. A change re-profiles. */
  unit: pulumi.Input<string>;
  /** The profiling window (required unless `profile` is given). A change re-profiles. */
  window?: pulumi.Input<ProfileWindowArgs>;
  /**
   * A profile taken elsewhere (JSON: `hush profile -o`, or another stack's `profileJson`): the
   * drop-in is resolved from it and nothing is profiled (`window`, `tracing` and `triggers` are
   * then unused).
   */
  profile?: pulumi.Input<string>;
  /** `decisions` or `full` (see {@link ServiceProfileArgs.tracing}). A change re-profiles. */
  tracing?: pulumi.Input<Tracing>;
  /**
   * `conservative` (default: only options the profile proves harmless), `standard` or
   * `aggressive`. A change re-resolves and updates the drop-in; it never re-profiles.
   */
  mode?: pulumi.Input<HardeningMode>;
  /** Force or forbid options, or declare paths the profile may not have seen. Never re-profiles. */
  overrides?: pulumi.Input<HardeningOverridesArgs>;
  /** Any values; a change re-profiles. */
  triggers?: pulumi.Input<pulumi.Input<unknown>[]>;
  /** See {@link HardeningDropInArgs.healthCommand}. */
  healthCommand?: pulumi.Input<string>;
  /** See {@link HardeningDropInArgs.settleSeconds}. */
  settleSeconds?: pulumi.Input<number>;
  /** See {@link HardeningDropInArgs.sessionUnit}: checked before profiling and at the apply. */
  sessionUnit?: pulumi.Input<SessionUnitPolicy>;
}
