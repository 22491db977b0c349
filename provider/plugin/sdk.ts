/**
 * The Node.js SDK of the `hush` provider plugin (`import * as hush from 'pulumi-hush/plugin'`):
 * the same classes and arguments as the dynamic-provider API of `pulumi-hush`, served by the
 * plugin instead, like a generated SDK (type tokens, secret connection, `get` for existing
 * resources). The plugin's `construct` builds HardenedService's children with these classes too.
 *
 * Moving a stack from the dynamic provider: each class names the dynamic type of the same
 * resource as an alias, so a stack created with `import { HardenedService } from 'pulumi-hush'`
 * keeps its resources (no re-profile, no restart) when the program switches to this module and
 * the engine finds the plugin (README: "Moving a stack to the plugin").
 */
import * as pulumi from '@pulumi/pulumi';
import type { Decision, Rejection } from '../../core/resolve/plan';
import type { HardenedServiceArgs, HardeningDropInArgs, ServiceProfileArgs } from '../args';
import type { ProfilePhase, ProfileStats, RecordingInfo } from '../state';
import {
  hardeningDropInProps,
  serviceProfileProps,
  type HardeningDropInOutputs,
  type ServiceProfileOutputs,
} from '../outputs';
import { DYNAMIC_HARDENING_DROPIN_TYPE } from '../hardeningDropIn';
import { DYNAMIC_SERVICE_PROFILE_TYPE } from '../serviceProfile';

export type { HardenedServiceArgs, HardeningDropInArgs, ServiceProfileArgs } from '../args';
export type { ConnectionArgs, ProxyConnectionArgs, ProfileWindowArgs, HardeningOverridesArgs } from '../args';

export const SERVICE_PROFILE_TYPE = 'hush:index:ServiceProfile';
export const HARDENING_DROPIN_TYPE = 'hush:index:HardeningDropIn';
export const HARDENED_SERVICE_TYPE = 'hush:index:HardenedService';

/** The caller's options plus an alias to the dynamic-provider type and the secret connection. */
function customOptions(
  dynamicType: string,
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions {
  return {
    ...opts,
    aliases: [{ type: dynamicType }, ...(opts?.aliases ?? [])],
    additionalSecretOutputs: ['connection', ...(opts?.additionalSecretOutputs ?? [])],
  };
}

/** Profiling one unit on one host, as a resource (see the dynamic-provider twin for the lifecycle). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface ServiceProfile extends ServiceProfileOutputs {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ServiceProfile extends pulumi.CustomResource {
  constructor(name: string, args: ServiceProfileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      SERVICE_PROFILE_TYPE,
      name,
      serviceProfileProps(args),
      customOptions(DYNAMIC_SERVICE_PROFILE_TYPE, opts),
    );
  }
}

/** hush's drop-in of one unit on one host, as a resource; importable (`pulumi import`, or `get`). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface HardeningDropIn extends HardeningDropInOutputs {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class HardeningDropIn extends pulumi.CustomResource {
  /**
   * An existing drop-in, read from the host: `id` is `[user@]host[:port]/unit#hostKey`; the
   * credentials come from HUSH_IMPORT_PRIVATE_KEY_FILE or the ssh-agent of the `pulumi` process.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    opts?: pulumi.CustomResourceOptions,
  ): HardeningDropIn {
    return new HardeningDropIn(name, undefined, { ...opts, id });
  }

  constructor(name: string, args: HardeningDropInArgs, opts?: pulumi.CustomResourceOptions);
  /** Reads an existing drop-in (see `get`). */
  constructor(
    name: string,
    args: undefined,
    opts: pulumi.CustomResourceOptions & { id: pulumi.Input<pulumi.ID> },
  );
  constructor(name: string, args: HardeningDropInArgs | undefined, opts?: pulumi.CustomResourceOptions) {
    super(
      HARDENING_DROPIN_TYPE,
      name,
      hardeningDropInProps(opts?.id !== undefined ? undefined : args),
      customOptions(DYNAMIC_HARDENING_DROPIN_TYPE, opts),
    );
  }
}

/**
 * Profile → resolve → drop-in for one unit on one host, built by the plugin (`construct`). The
 * mode and overrides re-resolve without re-profiling.
 */
export class HardenedService extends pulumi.ComponentResource {
  declare readonly dropInPath: pulumi.Output<string>;
  /** The drop-in as written (null while the profile records). */
  declare readonly dropInText: pulumi.Output<string | null>;
  /** Each chosen option with its reasons. */
  declare readonly chosen: pulumi.Output<Decision[]>;
  /** Each stricter value not chosen, with the action and strace evidence that blocked it. */
  declare readonly rejected: pulumi.Output<Rejection[]>;
  declare readonly exposureBefore: pulumi.Output<number | null>;
  declare readonly exposureAfter: pulumi.Output<number | null>;
  declare readonly profileStats: pulumi.Output<ProfileStats | undefined>;
  /** `recording` while a detached recording (window.record) runs, else `profiled`. */
  declare readonly phase: pulumi.Output<ProfilePhase>;
  /** The detached recording and the progress the host last reported. */
  declare readonly recording: pulumi.Output<RecordingInfo | undefined>;
  declare readonly reprofileReasons: pulumi.Output<string[]>;
  declare readonly profileJson: pulumi.Output<string | undefined>;
  declare readonly warnings: pulumi.Output<string[]>;

  constructor(name: string, args: HardenedServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      HARDENED_SERVICE_TYPE,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        dropInPath: undefined,
        dropInText: undefined,
        chosen: undefined,
        rejected: undefined,
        exposureBefore: undefined,
        exposureAfter: undefined,
        profileStats: undefined,
        phase: undefined,
        recording: undefined,
        reprofileReasons: undefined,
        profileJson: undefined,
        warnings: undefined,
      },
      opts,
      true,
    );
  }
}
