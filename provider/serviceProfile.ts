/**
 * `ServiceProfile` for Node programs, through Pulumi's dynamic provider (no plugin to install):
 * profiling as a resource. Creating it profiles the unit on the host (strace wrapper, window,
 * restore: remote/profile/) and keeps the compact Profile and the host fingerprint as state.
 * Refresh re-probes the host: when an Exec binary, systemd or the kernel changed since the profile
 * was taken, `reprofileReasons` says so and the next preview plans a replacement (a re-profile)
 * with `hostFingerprint` as the reason. Only `unit`, `window`, `tracing`, `triggers` and the
 * target host re-profile; credentials rotate in place; mode and overrides live downstream
 * (HardenedService) and never re-profile. The operations are provider/resources/serviceProfile.ts,
 * shared with the provider plugin (`hush:index:ServiceProfile`).
 */
import * as pulumi from '@pulumi/pulumi';
import type { ServiceProfileArgs } from './args';
import { serviceProfileProps, type ServiceProfileOutputs } from './outputs';
import { trampolineProvider } from './load';

export type { ServiceProfileArgs } from './args';

/** The type token of dynamic-provider ServiceProfiles (what an alias to it names). */
export const DYNAMIC_SERVICE_PROFILE_TYPE = 'pulumi-nodejs:dynamic/hush:ServiceProfile';

const serviceProfileProvider = trampolineProvider('serviceProfile');

// The outputs are declared once, for this class and the plugin's (provider/outputs.ts).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface ServiceProfile extends ServiceProfileOutputs {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class ServiceProfile extends pulumi.dynamic.Resource {
  constructor(name: string, args: ServiceProfileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      serviceProfileProvider,
      name,
      serviceProfileProps(args),
      { ...opts, additionalSecretOutputs: ['connection', ...(opts?.additionalSecretOutputs ?? [])] },
      'hush',
      'ServiceProfile',
    );
  }
}
