/**
 * `HardeningDropIn` for Node programs, through Pulumi's dynamic provider (no plugin to install):
 * the hardening drop-in on the host as declarative state.
 *
 * - create/update write `/etc/systemd/system/<unit>.d/zz-hush-hardening.conf` atomically, reload,
 *   restart and verify the service, rolling back to the previous bytes when it does not stay
 *   healthy (remote/apply.ts); the error names what failed, with the journal lines. An update
 *   whose options are the same (only hush's header differs) leaves the host alone.
 * - refresh reads the file back and reports drift (`drift`: edited, deleted, or the unit itself
 *   changed); the next `up` restores the declared content.
 * - delete removes hush's file (remote/reset.ts), reloads and restarts, so `systemctl cat` is as
 *   it was before hush.
 * - the unit or host moving is a replacement (delete first: both could name the same file);
 *   credentials rotate in place.
 *
 * The operations are provider/resources/hardeningDropIn.ts, shared with the provider plugin
 * (`hush:index:HardeningDropIn`, which can also be imported).
 */
import * as pulumi from '@pulumi/pulumi';
import type { HardeningDropInArgs } from './args';
import { hardeningDropInProps, type HardeningDropInOutputs } from './outputs';
import { trampolineProvider } from './load';

export type { HardeningDropInArgs } from './args';

/** The type token of dynamic-provider HardeningDropIns (what an alias to it names). */
export const DYNAMIC_HARDENING_DROPIN_TYPE = 'pulumi-nodejs:dynamic/hush:HardeningDropIn';

const hardeningDropInProvider = trampolineProvider('hardeningDropIn');

// The outputs are declared once, for this class and the plugin's (provider/outputs.ts).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface HardeningDropIn extends HardeningDropInOutputs {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class HardeningDropIn extends pulumi.dynamic.Resource {
  constructor(name: string, args: HardeningDropInArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      hardeningDropInProvider,
      name,
      hardeningDropInProps(args),
      { ...opts, additionalSecretOutputs: ['connection', ...(opts?.additionalSecretOutputs ?? [])] },
      'hush',
      'HardeningDropIn',
    );
  }
}
