/** What the user asks of the resolver: a mode and per-option overrides. Validated with zod (CLI and Pulumi inputs). */
import { z } from 'zod';
import { HardeningMode } from './plan';

export const OptionOverrides = z.object({
  /** Force an option to a value (e.g. `{ ProtectSystem: 'full' }`); it replaces what the resolver would choose. */
  force: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  /** Never emit these options (nor their companions). */
  forbid: z.array(z.string()).default([]),
  /** Paths the service must be able to write even if not seen (become ReadWritePaths= under ProtectSystem=strict). */
  writablePaths: z.array(z.string().startsWith('/')).default([]),
  /** Paths the service must be able to read even if not seen (keep them out of empty/inaccessible trees). */
  readablePaths: z.array(z.string().startsWith('/')).default([]),
  /** Paths the service must be able to execute even if not seen (ExecPaths= under NoExecPaths=). */
  execPaths: z.array(z.string().startsWith('/')).default([]),
});
export type OptionOverrides = z.infer<typeof OptionOverrides>;

export const ResolveSettings = z.object({
  mode: HardeningMode.default('conservative'),
  /** Path lists longer than this are folded into common parents (never into a sensitive root). */
  mergePathsThreshold: z.number().int().positive().default(5),
  overrides: OptionOverrides.default({
    force: {},
    forbid: [],
    writablePaths: [],
    readablePaths: [],
    execPaths: [],
  }),
});
export type ResolveSettings = z.infer<typeof ResolveSettings>;
export type ResolveSettingsInput = z.input<typeof ResolveSettings>;
