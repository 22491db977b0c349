/**
 * `ServiceProfile`: profiling as a resource. Creating it profiles the unit on the host (strace
 * wrapper, window, restore: remote/profile/) and keeps the compact Profile and the host
 * fingerprint as state. Refresh re-probes the host: when an Exec binary, systemd or the kernel
 * changed since the profile was taken, `reprofileReasons` says so and the next preview plans a
 * replacement (a re-profile) with `hostFingerprint` as the reason. Only `unit`, `window`,
 * `tracing`, `triggers` and the target host re-profile; credentials rotate in place; mode and
 * overrides live downstream (HardenedService) and never re-profile.
 */
import * as pulumi from '@pulumi/pulumi';
import type { Tracing } from '../core/tracing';
import type { ConnectionInput, ServiceProfileInputs } from './inputs';
import { trampolineProvider } from './load';

export interface ServiceProfileArgs {
  connection: ConnectionInput;
  unit: pulumi.Input<string>;
  window: pulumi.Input<ServiceProfileInputs['window']>;
  /**
   * `decisions` (strace --seccomp-bpf, far less overhead) or `full` (every syscall); default: the
   * engine's choice (`decisions` where the host's strace supports it). A change re-profiles.
   */
  tracing?: pulumi.Input<Tracing>;
  triggers?: pulumi.Input<unknown[]>;
}

const serviceProfileProvider = trampolineProvider('serviceProfile');

export class ServiceProfile extends pulumi.dynamic.Resource {
  /** The Profile document (core/profile schema) as canonical JSON. */
  declare readonly unit: pulumi.Output<string>;
  declare readonly profile: pulumi.Output<string>;
  /** The host fingerprint when the profile was taken (core/profile fingerprint()). */
  declare readonly profiledFingerprint: pulumi.Output<{ digest: string }>;
  /** The fingerprint seen by the last create/refresh. */
  declare readonly currentFingerprint: pulumi.Output<string>;
  /** Why a re-profile is due (empty when the host still matches the profile). */
  declare readonly reprofileReasons: pulumi.Output<string[]>;
  declare readonly stats: pulumi.Output<{
    lines: number;
    syscalls: number;
    actions: number;
    traceBytes: number;
    windowSeconds: number;
    /** How strace traced: the `tracing` input, or the engine's choice when it was not given. */
    tracing: Tracing;
    /** From the start of the session until the window opened (includes the wrapped restart). */
    setupSeconds: number;
    /** daemon-reload + restart under strace until active. */
    wrappedRestartSeconds: number;
    /** After the window: stop under strace, restore, start on its own configuration, drain. */
    finishSeconds: number;
    totalSeconds: number;
  }>;

  constructor(name: string, args: ServiceProfileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      serviceProfileProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        profile: undefined,
        profiledFingerprint: undefined,
        currentFingerprint: undefined,
        reprofileReasons: undefined,
        stats: undefined,
      },
      { ...opts, additionalSecretOutputs: ['connection', ...(opts?.additionalSecretOutputs ?? [])] },
      'hush',
      'ServiceProfile',
    );
  }
}
