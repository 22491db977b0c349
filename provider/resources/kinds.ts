/**
 * hush's custom resources as data: for each kind, its input and state schemas and its
 * operations on typed values. The provider plugin and the dynamic provider are two adapters over
 * this one table (provider/plugin/provider.ts, provider/runtime.ts), so they cannot drift apart.
 */
import type { z } from 'zod';
import { HardeningDropInInputs, ServiceProfileInputs } from '../inputs';
import { HardeningDropInState, ServiceProfileState } from '../state';
import type { OperationContext } from './context';
import type { Diff, RawInputs } from './diff';
import {
  createHardeningDropIn,
  deleteHardeningDropIn,
  diffHardeningDropIn,
  importHardeningDropIn,
  readHardeningDropIn,
  updateHardeningDropIn,
} from './hardeningDropIn';
import {
  createServiceProfile,
  deleteServiceProfile,
  diffServiceProfile,
  readServiceProfile,
  SERVICE_PROFILE_IMPORT_REFUSAL,
  updateServiceProfile,
} from './serviceProfile';

export interface ResourceKind<I extends z.ZodType, S extends z.ZodType> {
  /** The resource's name in messages. */
  name: string;
  inputs: I;
  state: S;
  /** May ask the host (a recording's progress, shown by preview): hence the context. */
  diff(olds: z.output<S>, news: RawInputs, ctx: OperationContext): Diff | Promise<Diff>;
  create(args: z.output<I>, ctx: OperationContext): Promise<{ id: string; state: z.output<S> }>;
  /** Refresh: the state as the host shows it now. */
  read(olds: z.output<S>, ctx: OperationContext): Promise<z.output<S>>;
  update(olds: z.output<S>, args: z.output<I>, ctx: OperationContext): Promise<z.output<S>>;
  delete(olds: z.output<S>, ctx: OperationContext): Promise<void>;
  /** `pulumi import` / `get`: the state and the inputs that keep it as it is, from the ID alone. */
  import(id: string, ctx: OperationContext): Promise<{ state: z.output<S>; inputs: RawInputs }>;
}

export const serviceProfileKind: ResourceKind<typeof ServiceProfileInputs, typeof ServiceProfileState> = {
  name: 'ServiceProfile',
  inputs: ServiceProfileInputs,
  state: ServiceProfileState,
  diff: diffServiceProfile,
  create: createServiceProfile,
  read: readServiceProfile,
  update: updateServiceProfile,
  // Inline profiling leaves nothing on the host (the session restored the unit); a recording
  // still running is cancelled.
  delete: deleteServiceProfile,
  import: async () => {
    throw new Error(SERVICE_PROFILE_IMPORT_REFUSAL);
  },
};

export const hardeningDropInKind: ResourceKind<typeof HardeningDropInInputs, typeof HardeningDropInState> = {
  name: 'HardeningDropIn',
  inputs: HardeningDropInInputs,
  state: HardeningDropInState,
  diff: diffHardeningDropIn,
  create: createHardeningDropIn,
  read: readHardeningDropIn,
  update: updateHardeningDropIn,
  delete: deleteHardeningDropIn,
  import: importHardeningDropIn,
};

/** Any kind of the table, for code that only passes values between the engine and the kind. */
export type AnyResourceKind = ResourceKind<z.ZodType, z.ZodType>;
