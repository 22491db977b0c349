/** What the user asks of the resolver: a mode and per-option overrides. Validated with zod (CLI and Pulumi inputs). */
import { z } from 'zod';
import { unnameablePath } from '../systemd/paths';
import { HardeningMode } from './plan';

/** An option name as a unit file writes it. */
const OptionName = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'not an option name');
/** A forced value goes into the drop-in as written: nothing in it may break the line. */
// eslint-disable-next-line no-control-regex
const OptionValue = z.string().regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'contains a control character');
/** A path the user wants kept reachable: one systemd can be told (core/systemd `unnameablePath`). */
const UserPath = z.string().superRefine((p, ctx) => {
  const why = unnameablePath(p);
  if (why !== undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(p)} ${why}` });
});

export const OptionOverrides = z.object({
  /** Force an option to a value (e.g. `{ ProtectSystem: 'full' }`); it replaces what the resolver would choose. */
  force: z.record(OptionName, z.union([OptionValue, z.array(OptionValue)])).default({}),
  /** Never emit these options (nor their companions). */
  forbid: z.array(OptionName).default([]),
  /** Paths the service must be able to write even if not seen (become ReadWritePaths= under ProtectSystem=strict). */
  writablePaths: z.array(UserPath).default([]),
  /** Paths the service must be able to read even if not seen (keep them out of empty/inaccessible trees). */
  readablePaths: z.array(UserPath).default([]),
  /** Paths the service must be able to execute even if not seen (ExecPaths= under NoExecPaths=). */
  execPaths: z.array(UserPath).default([]),
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
