/**
 * The dynamic providers' methods, loaded inside the dynamic-provider process by the trampolines
 * of provider/load.ts (and, for stacks written by earlier versions, by the trampolines stored in
 * their state: this file must stay at dist/provider/runtime.js). They adapt Pulumi's dynamic CRUD
 * calls to the resource kinds of provider/resources/kinds.ts, which the provider plugin serves
 * too: one implementation, two ways in.
 */
import type * as pulumi from '@pulumi/pulumi';
import { checkFailures } from './inputs';
import { parseState } from './state';
import { engineAddressFrom, engineLog, type EngineLog } from './engineLog';
import type { OperationContext } from './resources/context';
import { hardeningDropInKind, serviceProfileKind, type AnyResourceKind } from './resources/kinds';

export { profileSessionOptions } from './resources/serviceProfile';

type Raw = Record<string, unknown>;

/**
 * The user's inputs out of what the engine hands over: without the serialized provider
 * (`__provider`) and without unset values, so the strict schemas see only real fields.
 */
function userInputs(raw: Raw): Raw {
  const out: Raw = {};
  for (const [k, v] of Object.entries(raw)) if (k !== '__provider' && v !== undefined) out[k] = v;
  return out;
}

/**
 * Progress and warnings of the dynamic provider go to the engine's log too. The dynamic-provider
 * protocol does not say which resource a call is for, so they are stack-level messages.
 */
let engine: EngineLog | undefined;
function context(): OperationContext {
  engine ??= engineLog(engineAddressFrom(process.argv.slice(2)));
  const log = engine;
  return {
    info: (line) => void log.log('info', `hush: ${line}`, ''),
    warn: (line) => void log.log('warning', `hush: ${line}`, ''),
  };
}

/** A dynamic ResourceProvider's methods for one resource kind. */
function dynamicMethods(kind: AnyResourceKind) {
  const state = (raw: Raw) => parseState(kind.state, kind.name, raw);
  const args = (raw: Raw) => kind.inputs.parse(userInputs(raw));
  return {
    async check(_olds: Raw, news: Raw): Promise<pulumi.dynamic.CheckResult> {
      const failures = checkFailures(kind.inputs, userInputs(news));
      return failures.length ? { inputs: news, failures } : { inputs: news };
    },
    async diff(_id: string, olds: Raw, news: Raw): Promise<pulumi.dynamic.DiffResult> {
      return kind.diff(state(olds), userInputs(news), context());
    },
    async create(inputs: Raw): Promise<pulumi.dynamic.CreateResult> {
      const { id, state: outs } = await kind.create(args(inputs), context());
      return { id, outs };
    },
    async read(id: string, props: Raw): Promise<pulumi.dynamic.ReadResult> {
      return { id, props: await kind.read(state(props), context()) };
    },
    async update(_id: string, olds: Raw, news: Raw): Promise<pulumi.dynamic.UpdateResult> {
      return { outs: await kind.update(state(olds), args(news), context()) };
    },
    async delete(_id: string, props: Raw): Promise<void> {
      await kind.delete(state(props), context());
    },
  };
}

export const serviceProfile = dynamicMethods(serviceProfileKind);
export const hardeningDropIn = dynamicMethods(hardeningDropInKind);
