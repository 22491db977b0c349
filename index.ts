/**
 * pulumi-hush: systemd hardening from runtime profiles.
 *
 * The public API: the Pulumi component and resources, and the pure engine stages for programs
 * that want to drive them directly.
 */
export { HardenedService, hardeningFor, type HardenedServiceArgs } from './components/hardenedService';
export { ServiceProfile, type ServiceProfileArgs } from './provider/serviceProfile';
export { HardeningDropIn, type HardeningDropInArgs } from './provider/hardeningDropIn';
export { ConnectionArgs } from './remote/connection';
export { parseStrace } from './core/strace';
export { createSummarizer, summarizeStream } from './core/summary';
export { parseProfile, mergeProfiles, profileDigest, fingerprint } from './core/profile';
export type { Profile } from './core/profile/schema';
export type { HostFacts } from './core/profile/hostFacts';
export { resolve } from './core/resolve';
export type { Plan, Decision, Rejection, HardeningMode } from './core/resolve/plan';
export { renderDropIn, parseDropIn, compareDropIns } from './core/dropin';
