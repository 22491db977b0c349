/**
 * `HardenedService`: profile → resolve → drop-in for one unit on one host, as one component.
 *
 *   const web = new HardenedService('web', {
 *     connection: { host: '203.0.113.7', privateKey, hostKey: 'SHA256:…' },
 *     unit: 'nginx.service',
 *     window: { durationSeconds: 30, workload: 'for i in $(seq 100); do curl -fsS localhost >/dev/null; done' },
 *     mode: 'conservative',
 *     healthCommand: 'curl -fsS http://127.0.0.1/',
 *   });
 *
 * Profiling is a resource of its own (ServiceProfile), so changing the mode or the overrides only
 * re-resolves (pure, in this process) and updates the drop-in; it never re-profiles (changing the
 * unit, the window, the tracing or the triggers does). The plan is deterministic, so an
 * unchanged profile and settings give the same options and no update. Several HardenedServices
 * in one stack (a fleet) run in parallel: the engine schedules independent resources concurrently.
 *
 * With `window.record` the profile comes from a detached recording (ServiceProfile's recording
 * phase): while it records, the drop-in child declares no content, so the host is left as it is
 * (no drop-in is written); the `up` that finishes the recording resolves and applies in the same run.
 *
 * One implementation, two homes: this class (children through the dynamic provider, in the
 * program's process) and the provider plugin's `construct` (children through the plugin), both
 * built by `buildHardenedService` with their own kinds of children.
 */
import * as pulumi from '@pulumi/pulumi';
import { parseProfile } from '../core/profile';
import { resolve } from '../core/resolve';
import type { Decision, HardeningMode, Rejection } from '../core/resolve/plan';
import type { OptionOverrides } from '../core/resolve/settings';
import { hushVersion, renderDropIn } from '../core/dropin';
import { ServiceProfile } from '../provider/serviceProfile';
import { HardeningDropIn } from '../provider/hardeningDropIn';
import { HardenedServiceSettings } from '../provider/inputs';
import type { HardenedServiceArgs, HardeningDropInArgs, ServiceProfileArgs } from '../provider/args';
import type { ProfilePhase, ProfileStats, RecordingInfo } from '../provider/state';

export type { HardenedServiceArgs } from '../provider/args';

export const HARDENED_SERVICE_TYPE = 'hush:index:HardenedService';

export interface ResolvedHardening {
  text: string;
  chosen: Decision[];
  rejected: Rejection[];
}

/** Pure: the drop-in for a profile under a mode and overrides (part of the package API, index.ts). */
export function hardeningFor(
  profileJson: string,
  unit: string,
  mode: HardeningMode | undefined,
  overrides: Partial<OptionOverrides> | undefined,
): ResolvedHardening {
  const profile = parseProfile(profileJson);
  if (!profile.host) throw new Error('the profile has no host facts: re-profile the service');
  const plan = resolve(profile, profile.host, {
    mode: mode ?? 'conservative',
    ...(overrides ? { overrides } : {}),
  });
  return {
    text: renderDropIn(plan, { version: hushVersion(), unit }),
    chosen: plan.chosen,
    rejected: plan.rejected,
  };
}

/** What the component needs of a ServiceProfile, whichever provider serves it. */
export interface ProfileResource extends pulumi.Resource {
  readonly unit: pulumi.Output<string>;
  readonly phase: pulumi.Output<ProfilePhase>;
  /** Undefined while the profile is still being recorded. */
  readonly profile: pulumi.Output<string | undefined>;
  readonly stats: pulumi.Output<ProfileStats | undefined>;
  readonly recording: pulumi.Output<RecordingInfo | undefined>;
  readonly reprofileReasons: pulumi.Output<string[]>;
  readonly warnings: pulumi.Output<string[]>;
}

/** What the component needs of a HardeningDropIn, whichever provider serves it. */
export interface DropInResource extends pulumi.Resource {
  readonly path: pulumi.Output<string>;
  readonly content: pulumi.Output<string | null>;
  readonly exposureBefore: pulumi.Output<number | null>;
  readonly exposureAfter: pulumi.Output<number | null>;
  readonly warnings: pulumi.Output<string[]>;
}

/** The two kinds of children, as constructors. */
export interface ChildKinds<P extends ProfileResource, D extends DropInResource> {
  profile: (name: string, args: ServiceProfileArgs, opts: pulumi.CustomResourceOptions) => P;
  dropIn: (name: string, args: HardeningDropInArgs, opts: pulumi.CustomResourceOptions) => D;
}

/** The component's outputs (also its registered outputs). */
export interface HardenedServiceOutputs {
  dropInPath: pulumi.Output<string>;
  /** The drop-in as written (null while the profile is still being recorded). */
  dropInText: pulumi.Output<string | null>;
  /** Each chosen option with its reasons. */
  chosen: pulumi.Output<Decision[]>;
  /** Each stricter value not chosen, with the action and strace evidence that blocked it. */
  rejected: pulumi.Output<Rejection[]>;
  /** `systemd-analyze security` on the host, before hush and with the drop-in. */
  exposureBefore: pulumi.Output<number | null>;
  exposureAfter: pulumi.Output<number | null>;
  /** The profiling session's figures (none when the profile was given, or while recording). */
  profileStats: pulumi.Output<ProfileStats | undefined>;
  /** `recording` while a detached recording runs (`window.record`), else `profiled`. */
  phase: pulumi.Output<ProfilePhase>;
  /** The detached recording and its progress (`window.record`), else undefined. */
  recording: pulumi.Output<RecordingInfo | undefined>;
  /** Non-empty after a refresh that found the host changed since profiling. */
  reprofileReasons: pulumi.Output<string[]>;
  /** The profile the drop-in was resolved from (JSON): feed it to another stack's `profile`. */
  profileJson: pulumi.Output<string | undefined>;
  /** Warnings of the profile's and the drop-in's last operations. */
  warnings: pulumi.Output<string[]>;
}

/**
 * Creates the children of a HardenedService under `parent` and returns its outputs. The mode
 * and overrides are checked here (zod, field named) before anything is resolved.
 */
export function buildHardenedService<P extends ProfileResource, D extends DropInResource>(
  parent: pulumi.ComponentResource,
  name: string,
  args: HardenedServiceArgs,
  kinds: ChildKinds<P, D>,
): { profile: P | undefined; dropIn: D; outputs: HardenedServiceOutputs } {
  const child = { parent };
  let profile: P | undefined;
  let source: { json: pulumi.Output<string | undefined>; unit: pulumi.Output<string> };
  if (args.profile !== undefined) {
    // A profile taken elsewhere: nothing to profile here.
    source = { json: pulumi.output(args.profile), unit: pulumi.output(args.unit) };
  } else {
    if (args.window === undefined)
      throw new Error(`HardenedService ${name}: window: is required (or give a profile)`);
    profile = kinds.profile(
      `${name}-profile`,
      {
        connection: args.connection,
        unit: args.unit,
        window: args.window,
        ...(args.tracing !== undefined ? { tracing: args.tracing } : {}),
        ...(args.triggers !== undefined ? { triggers: args.triggers } : {}),
        ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
      },
      child,
    );
    source = { json: profile.profile, unit: profile.unit };
  }
  const hardening = pulumi
    .all([source.json, source.unit, args.mode, args.overrides])
    .apply(([profileJson, unit, mode, overrides]) => {
      const settings = HardenedServiceSettings.safeParse({ mode, overrides });
      if (!settings.success)
        throw new Error(
          `HardenedService ${name}: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      // Still recording: nothing to resolve yet, and the drop-in declares nothing.
      if (profileJson === undefined) return { text: undefined, chosen: [], rejected: [] };
      return hardeningFor(profileJson, unit, settings.data.mode, settings.data.overrides);
    });
  const dropIn = kinds.dropIn(
    `${name}-dropin`,
    {
      connection: args.connection,
      unit: source.unit,
      content: hardening.text,
      ...(args.healthCommand !== undefined ? { healthCommand: args.healthCommand } : {}),
      ...(args.settleSeconds !== undefined ? { settleSeconds: args.settleSeconds } : {}),
      ...(args.sessionUnit !== undefined ? { sessionUnit: args.sessionUnit } : {}),
    },
    child,
  );
  const none = <T>(value: T) => pulumi.output(value);
  return {
    profile,
    dropIn,
    outputs: {
      dropInPath: dropIn.path,
      dropInText: dropIn.content,
      chosen: hardening.chosen,
      rejected: hardening.rejected,
      exposureBefore: dropIn.exposureBefore,
      exposureAfter: dropIn.exposureAfter,
      profileStats: profile ? profile.stats : none(undefined),
      phase: profile ? profile.phase : none('profiled' as const),
      recording: profile ? profile.recording : none(undefined),
      reprofileReasons: profile ? profile.reprofileReasons : none([]),
      profileJson: source.json,
      warnings: pulumi
        .all([profile ? profile.warnings : none([]), dropIn.warnings])
        .apply(([a, b]) => [...(a ?? []), ...(b ?? [])]),
    },
  };
}

/** The children of the Node API: dynamic-provider resources, run by the program's Node process. */
const DYNAMIC_KINDS: ChildKinds<ServiceProfile, HardeningDropIn> = {
  profile: (name, args, opts) => new ServiceProfile(name, args, opts),
  dropIn: (name, args, opts) => new HardeningDropIn(name, args, opts),
};

export class HardenedService extends pulumi.ComponentResource implements HardenedServiceOutputs {
  /** The ServiceProfile child (none when a profile was given). */
  readonly profile: ServiceProfile | undefined;
  readonly dropIn: HardeningDropIn;
  readonly dropInPath: pulumi.Output<string>;
  readonly dropInText: pulumi.Output<string | null>;
  readonly chosen: pulumi.Output<Decision[]>;
  readonly rejected: pulumi.Output<Rejection[]>;
  readonly exposureBefore: pulumi.Output<number | null>;
  readonly exposureAfter: pulumi.Output<number | null>;
  readonly profileStats: pulumi.Output<ProfileStats | undefined>;
  readonly phase: pulumi.Output<ProfilePhase>;
  readonly recording: pulumi.Output<RecordingInfo | undefined>;
  readonly reprofileReasons: pulumi.Output<string[]>;
  readonly profileJson: pulumi.Output<string | undefined>;
  readonly warnings: pulumi.Output<string[]>;

  constructor(name: string, args: HardenedServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(HARDENED_SERVICE_TYPE, name, {}, opts);
    const built = buildHardenedService(this, name, args, DYNAMIC_KINDS);
    this.profile = built.profile;
    this.dropIn = built.dropIn;
    this.dropInPath = built.outputs.dropInPath;
    this.dropInText = built.outputs.dropInText;
    this.chosen = built.outputs.chosen;
    this.rejected = built.outputs.rejected;
    this.exposureBefore = built.outputs.exposureBefore;
    this.exposureAfter = built.outputs.exposureAfter;
    this.profileStats = built.outputs.profileStats;
    this.phase = built.outputs.phase;
    this.recording = built.outputs.recording;
    this.reprofileReasons = built.outputs.reprofileReasons;
    this.profileJson = built.outputs.profileJson;
    this.warnings = built.outputs.warnings;
    this.registerOutputs({ ...built.outputs });
  }
}
