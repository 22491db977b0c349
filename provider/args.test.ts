// The hand-written argument types (provider/args.ts) against the runtime schemas and against
// @pulumi/command's ConnectionArgs. The type-level checks fail `npm run typecheck` when a field is
// added on one side only; the test checks that the schema really accepts command's fields.
import type * as pulumi from '@pulumi/pulumi';
import type * as command from '@pulumi/command';
import type { z } from 'zod';
import { ConnectionArgs as ConnectionSchema } from '../remote/connection';
import type { OptionOverrides } from '../core/resolve/settings';
import type {
  ConnectionArgs,
  HardenedServiceArgs,
  HardeningDropInArgs,
  HardeningOverridesArgs,
  ProfileWindowArgs,
  ServiceProfileArgs,
  SessionUnitPolicy,
} from './args';
import type { HardeningDropInInputs, ProfileWindow, ServiceProfileInputs, SessionUnitInput } from './inputs';

/** `T` with every `Input` unwrapped, recursively: what the provider finally receives. */
type Plain<T> =
  T extends pulumi.Input<infer U>
    ? U extends readonly (infer E)[]
      ? Plain<E>[]
      : U extends object
        ? { [K in keyof U]: Plain<U[K]> }
        : U
    : never;
/** Same keys, same optionality, and each side's values assignable to the other's. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export type InSync = [
  Check<SameShape<Omit<Plain<ConnectionArgs>, 'proxy'>, Omit<z.input<typeof ConnectionSchema>, 'proxy'>>>,
  Check<SameShape<Plain<ProfileWindowArgs>, z.input<typeof ProfileWindow>>>,
  Check<SameShape<Required<Plain<HardeningOverridesArgs>>, Required<z.input<typeof OptionOverrides>>>>,
  Check<SameShape<keyof ServiceProfileArgs, keyof z.input<typeof ServiceProfileInputs>>>,
  Check<SameShape<keyof HardeningDropInArgs, keyof z.input<typeof HardeningDropInInputs>>>,
  Check<SameShape<SessionUnitPolicy, z.input<typeof SessionUnitInput>>>,
];

/** Never called: it only has to compile (a @pulumi/command value as is, secrets at any depth). */
export function compilesWith(
  fromCommand: command.types.input.remote.ConnectionArgs,
  secret: pulumi.Output<string>,
) {
  const accepted: HardenedServiceArgs['connection'] = fromCommand;
  const withSecret: ConnectionArgs = { host: 'h', privateKey: secret, hostKey: 'SHA256:x' };
  const deepInputs: HardenedServiceArgs = {
    connection: { host: secret, proxy: { host: secret } },
    unit: 'nginx.service',
    window: { workload: secret, durationSeconds: 3 },
    overrides: { force: { ProtectSystem: secret }, forbid: [secret] },
    healthCommand: secret,
  };
  return [accepted, withSecret, deepInputs];
}

test("hush's connection schema takes every field of @pulumi/command's ConnectionArgs", () => {
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
  const every: Required<Omit<Plain<command.types.input.remote.ConnectionArgs>, 'proxy'>> = {
    host: '192.0.2.7',
    port: 2222,
    user: 'deploy',
    password: 'pw',
    privateKey: key,
    privateKeyPassword: 'pp',
    agentSocketPath: '/run/ssh-agent.sock',
    dialErrorLimit: 3,
    perDialTimeout: 5,
    hostKey: 'SHA256:' + 'A'.repeat(43),
  };
  expect(ConnectionSchema.safeParse({ ...every, proxy: every }).success).toBe(true);
});
