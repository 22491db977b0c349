/**
 * `HardeningDropIn`: the hardening drop-in on the host as declarative state.
 *
 * - create/update write `/etc/systemd/system/<unit>.d/zz-hush-hardening.conf` atomically, reload,
 *   restart and verify the service, rolling back to the previous bytes when it does not stay
 *   healthy (remote/apply.ts); the error names what failed, with the journal lines.
 * - refresh reads the file back and reports drift (`drift`: edited, deleted, or the unit itself
 *   changed); the next `up` restores the declared content.
 * - delete removes hush's file (remote/reset.ts), reloads and restarts, so `systemctl cat` is as
 *   it was before hush.
 * - the diff shows the drop-in text change; the unit, drop-in path or host moving is a
 *   replacement (delete first: both could name the same file); credentials rotate in place.
 */
import * as pulumi from '@pulumi/pulumi';
import type { ConnectionInput } from './inputs';
import { trampolineProvider } from './load';

export interface HardeningDropInArgs {
  connection: ConnectionInput;
  unit: pulumi.Input<string>;
  content: pulumi.Input<string>;
  healthCommand?: pulumi.Input<string>;
  settleSeconds?: pulumi.Input<number>;
}

const hardeningDropInProvider = trampolineProvider('hardeningDropIn');

export class HardeningDropIn extends pulumi.dynamic.Resource {
  declare readonly unit: pulumi.Output<string>;
  declare readonly content: pulumi.Output<string>;
  /** Absolute path of the drop-in on the host. */
  declare readonly path: pulumi.Output<string>;
  /** Set by refresh when the host no longer matches: 'edited' | 'deleted' | 'unit-changed'. */
  declare readonly drift: pulumi.Output<string | null>;
  /** `systemd-analyze security` exposure measured on the host before and after the drop-in. */
  declare readonly exposureBefore: pulumi.Output<number | null>;
  declare readonly exposureAfter: pulumi.Output<number | null>;

  constructor(name: string, args: HardeningDropInArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      hardeningDropInProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        path: undefined,
        drift: undefined,
        exposureBefore: undefined,
        exposureAfter: undefined,
      },
      { ...opts, additionalSecretOutputs: ['connection', ...(opts?.additionalSecretOutputs ?? [])] },
      'hush',
      'HardeningDropIn',
    );
  }
}
