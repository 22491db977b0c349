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
 * unit, the window, the tracing or the triggers does). The plan is
 * deterministic, so an unchanged profile and settings give byte-identical text and no update.
 * Several HardenedServices in one stack (a fleet) run in parallel: the engine schedules
 * independent resources concurrently.
 */
import * as pulumi from '@pulumi/pulumi';
import { parseProfile } from '../core/profile';
import { resolve } from '../core/resolve';
import type { Decision, HardeningMode, Rejection } from '../core/resolve/plan';
import type { OptionOverrides } from '../core/resolve/settings';
import type { Tracing } from '../core/tracing';
import { hushVersion, renderDropIn } from '../core/dropin';
import { ServiceProfile } from '../provider/serviceProfile';
import { HardeningDropIn } from '../provider/hardeningDropIn';
import type { ConnectionInput, ServiceProfileInputs } from '../provider/inputs';

export interface HardenedServiceArgs {
  connection: ConnectionInput;
  unit: pulumi.Input<string>;
  /** The profiling window: duration and/or a workload run on the host or on the controller. */
  window: pulumi.Input<ServiceProfileInputs['window']>;
  /**
   * How strace traces during the window: `decisions` or `full` (ServiceProfileArgs.tracing);
   * default: the engine's choice. A change re-profiles.
   */
  tracing?: pulumi.Input<Tracing>;
  /** conservative (default), standard or aggressive. */
  mode?: pulumi.Input<HardeningMode>;
  /** Force or forbid options, or declare extra paths (core/resolve/settings.ts). */
  overrides?: pulumi.Input<Partial<OptionOverrides>>;
  /** Any values; a change re-profiles. */
  triggers?: pulumi.Input<unknown[]>;
  /** Run on the host after each restart; a non-zero exit rolls the drop-in back. */
  healthCommand?: pulumi.Input<string>;
  settleSeconds?: pulumi.Input<number>;
}

export interface ResolvedHardening {
  text: string;
  chosen: Decision[];
  rejected: Rejection[];
}

/** Pure: the drop-in for a profile under a mode and overrides. Exported for tests and the CLI. */
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

export class HardenedService extends pulumi.ComponentResource {
  readonly profile: ServiceProfile;
  readonly dropIn: HardeningDropIn;
  readonly dropInPath: pulumi.Output<string>;
  readonly dropInText: pulumi.Output<string>;
  /** Each chosen option with its reasons. */
  readonly chosen: pulumi.Output<Decision[]>;
  /** Each stricter value not chosen, with the action and strace evidence that blocked it. */
  readonly rejected: pulumi.Output<Rejection[]>;
  /** `systemd-analyze security` on the host, before hush and with the drop-in. */
  readonly exposureBefore: pulumi.Output<number | null>;
  readonly exposureAfter: pulumi.Output<number | null>;
  readonly profileStats: ServiceProfile['stats'];
  /** Non-empty after a refresh that found the host changed since profiling. */
  readonly reprofileReasons: pulumi.Output<string[]>;

  constructor(name: string, args: HardenedServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('hush:index:HardenedService', name, {}, opts);
    const child = { parent: this };
    this.profile = new ServiceProfile(
      `${name}-profile`,
      {
        connection: args.connection,
        unit: args.unit,
        window: args.window,
        ...(args.tracing !== undefined ? { tracing: args.tracing } : {}),
        ...(args.triggers !== undefined ? { triggers: args.triggers } : {}),
      },
      child,
    );
    const hardening = pulumi
      .all([this.profile.profile, this.profile.unit, args.mode, args.overrides])
      .apply(([profileJson, unit, mode, overrides]) =>
        hardeningFor(profileJson, unit as string, mode, overrides as Partial<OptionOverrides> | undefined),
      );
    this.dropIn = new HardeningDropIn(
      `${name}-dropin`,
      {
        connection: args.connection,
        unit: this.profile.unit,
        content: hardening.text,
        ...(args.healthCommand !== undefined ? { healthCommand: args.healthCommand } : {}),
        ...(args.settleSeconds !== undefined ? { settleSeconds: args.settleSeconds } : {}),
      },
      child,
    );
    this.dropInPath = this.dropIn.path;
    this.dropInText = this.dropIn.content;
    this.chosen = hardening.chosen;
    this.rejected = hardening.rejected;
    this.exposureBefore = this.dropIn.exposureBefore;
    this.exposureAfter = this.dropIn.exposureAfter;
    this.profileStats = this.profile.stats;
    this.reprofileReasons = this.profile.reprofileReasons;
    this.registerOutputs({
      dropInPath: this.dropInPath,
      dropInText: this.dropInText,
      chosen: this.chosen,
      rejected: this.rejected,
      exposureBefore: this.exposureBefore,
      exposureAfter: this.exposureAfter,
      profileStats: this.profileStats,
      reprofileReasons: this.reprofileReasons,
    });
  }
}
