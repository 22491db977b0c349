/**
 * pulumi-hush: systemd hardening from runtime profiles.
 *
 * The public API: the Pulumi component and resources for Node programs (served by Pulumi's
 * dynamic provider: nothing to install besides this package), their argument types, and the
 * pure engine stages for programs that want to drive them directly. The same resources served by
 * the provider plugin (for every Pulumi language, with import): `pulumi-hush/plugin`.
 */
export {
  HardenedService,
  hardeningFor,
  type HardenedServiceArgs,
  type HardenedServiceOutputs,
} from './components/hardenedService';
export { ServiceProfile, type ServiceProfileArgs } from './provider/serviceProfile';
export { HardeningDropIn, type HardeningDropInArgs } from './provider/hardeningDropIn';
export type {
  ConnectionArgs,
  ProxyConnectionArgs,
  ProfileWindowArgs,
  HardeningOverridesArgs,
} from './provider/args';
export type { ProfileStats, ExistingHardening } from './provider/state';
export { parseStrace } from './core/strace';
export { createSummarizer, summarizeStream } from './core/summary';
export { parseProfile, mergeProfiles, profileDigest, fingerprint } from './core/profile';
export type { Profile } from './core/profile/schema';
export type { HostFacts } from './core/profile/hostFacts';
export { resolve } from './core/resolve';
export type { Plan, Decision, Rejection, HardeningMode } from './core/resolve/plan';
export { renderDropIn, parseDropIn, compareDropIns } from './core/dropin';
