/**
 * The `hush` provider plugin (pulumi-resource-hush): `hush:index:ServiceProfile` and
 * `hush:index:HardeningDropIn` as custom resources, `hush:index:HardenedService` as a component
 * built by `construct`, for programs in any Pulumi language. The operations are the ones the
 * dynamic provider runs (provider/resources/); this file only speaks the protocol:
 *
 * - secrets: values come in wrapped, go to the operations plain, and come back wrapped where they
 *   were (and the whole connection always), so nothing secret sits in plain state;
 * - state: parsed with zod (provider/state.ts) in diff, read, update and delete;
 * - progress and warnings: the engine's log, attached to the resource;
 * - customTimeouts and cancellation: an AbortSignal per operation (deadlines.ts);
 * - import: `read` with an empty state is an import by ID (HardeningDropIn only).
 */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import type * as provider from '@pulumi/pulumi/provider';
import { checkFailures } from '../inputs';
import { parseState } from '../state';
import type { OperationContext } from '../resources/context';
import { hardeningDropInKind, serviceProfileKind, type AnyResourceKind } from '../resources/kinds';
import type { RawInputs } from '../resources/diff';
import type { EngineLog } from '../engineLog';
import { buildHardenedService, type HardenedServiceOutputs } from '../../components/hardenedService';
import type { HardenedServiceArgs } from '../args';
import { packageSchema } from './schema';
import { unwrapSecrets, wrapSecrets, type Path } from './secrets';
import { cancelAll, requestSignal } from './deadlines';
import {
  HARDENED_SERVICE_TYPE,
  HARDENING_DROPIN_TYPE,
  HardeningDropIn,
  SERVICE_PROFILE_TYPE,
  ServiceProfile,
} from './sdk';

/** Paths that are secret in every state, whatever came in. */
const ALWAYS_SECRET: Path[] = [['connection']];

/** `urn:pulumi:stack::project::parent$type::name` → `type`. */
export function typeOfUrn(urn: string): string {
  const typePath = urn.split('::')[2] ?? '';
  return typePath.split('$').pop() ?? typePath;
}

const Properties = z.record(z.string(), z.unknown());

/** The properties the engine sent, without secret wrappers (and where those were). */
function plainRecord(value: unknown): { plain: RawInputs; secretPaths: Path[] } {
  const { plain, secretPaths } = unwrapSecrets(value ?? {});
  const parsed = Properties.safeParse(plain);
  if (!parsed.success) throw new Error('the engine sent properties that are not an object');
  return { plain: parsed.data, secretPaths };
}

/** Unset optional inputs arrive as absent or null; the strict schemas want them absent. */
function present(raw: RawInputs): RawInputs {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null));
}

/** The resource kinds the plugin serves, by type token. */
const KINDS: Record<string, AnyResourceKind | undefined> = {
  [SERVICE_PROFILE_TYPE]: serviceProfileKind,
  [HARDENING_DROPIN_TYPE]: hardeningDropInKind,
};

function kindOf(urn: string): AnyResourceKind {
  const type = typeOfUrn(urn);
  const kind = KINDS[type];
  if (!kind) throw new Error(`the hush provider has no resource type ${type}`);
  return kind;
}

const COMPONENT_FIELDS = new Set([
  'connection',
  'unit',
  'window',
  'profile',
  'tracing',
  'mode',
  'overrides',
  'triggers',
  'healthCommand',
  'settleSeconds',
  'sessionUnit',
]);

/**
 * The component's inputs as `construct` receives them (each an Output), checked for missing and
 * unknown fields; the values themselves are checked by the children's `check` and by the
 * resolver settings' schema.
 */
export function hardenedServiceArgs(inputs: pulumi.Inputs): HardenedServiceArgs {
  const problems = [
    ...['connection', 'unit'].filter((k) => inputs[k] === undefined).map((k) => `${k}: is required`),
    ...(inputs.window === undefined && inputs.profile === undefined
      ? ['window: is required (or give a profile)']
      : []),
    ...Object.keys(inputs)
      .filter((k) => !COMPONENT_FIELDS.has(k) && inputs[k] !== undefined)
      .map((k) => `${k}: unknown field`),
  ];
  if (problems.length) throw new Error(`HardenedService: ${problems.join('; ')}`);
  const {
    connection,
    unit,
    window,
    profile,
    tracing,
    mode,
    overrides,
    triggers,
    healthCommand,
    settleSeconds,
    sessionUnit,
  } = inputs;
  return {
    connection,
    unit,
    ...(window !== undefined ? { window } : {}),
    ...(profile !== undefined ? { profile } : {}),
    ...(tracing !== undefined ? { tracing } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(overrides !== undefined ? { overrides } : {}),
    ...(triggers !== undefined ? { triggers } : {}),
    ...(healthCommand !== undefined ? { healthCommand } : {}),
    ...(settleSeconds !== undefined ? { settleSeconds } : {}),
    ...(sessionUnit !== undefined ? { sessionUnit } : {}),
  };
}

/** HardenedService as the plugin builds it: its children are served by the plugin too. */
class ConstructedHardenedService extends pulumi.ComponentResource {
  readonly outputs: HardenedServiceOutputs;

  constructor(name: string, args: HardenedServiceArgs, opts: pulumi.ComponentResourceOptions) {
    super(HARDENED_SERVICE_TYPE, name, {}, opts);
    this.outputs = buildHardenedService(this, name, args, {
      profile: (n, a, o) => new ServiceProfile(n, a, o),
      dropIn: (n, a, o) => new HardeningDropIn(n, a, o),
    }).outputs;
    this.registerOutputs({ ...this.outputs });
  }
}

export class HushProvider implements provider.Provider {
  readonly version: string;
  readonly schema: string;

  constructor(
    version: string,
    private readonly engine: EngineLog,
  ) {
    this.version = version;
    this.schema = JSON.stringify(packageSchema(version));
  }

  /** Progress and warnings attached to the resource, and the request's deadline. */
  private context(urn: string): OperationContext {
    const { signal, deadlineName } = requestSignal();
    return {
      info: (line) => void this.engine.log('info', line, urn),
      warn: (line) => void this.engine.log('warning', line, urn),
      signal,
      ...(deadlineName !== undefined ? { deadlineName } : {}),
    };
  }

  async check(urn: string, _olds: unknown, news: unknown): Promise<provider.CheckResult> {
    const failures = checkFailures(kindOf(urn).inputs, present(plainRecord(news).plain));
    // The inputs go back as they came, secret wrappers included.
    return failures.length ? { inputs: news, failures } : { inputs: news };
  }

  async diff(_id: string, urn: string, olds: unknown, news: unknown): Promise<provider.DiffResult> {
    const kind = kindOf(urn);
    const old = parseState(kind.state, kind.name, plainRecord(olds).plain);
    return kind.diff(old, present(plainRecord(news).plain), this.context(urn));
  }

  async create(urn: string, inputs: unknown): Promise<provider.CreateResult> {
    const kind = kindOf(urn);
    const { plain, secretPaths } = plainRecord(inputs);
    const { id, state } = await kind.create(kind.inputs.parse(present(plain)), this.context(urn));
    return { id, outs: wrapSecrets(state, [...ALWAYS_SECRET, ...secretPaths]) };
  }

  async read(id: string, urn: string, props?: unknown): Promise<provider.ReadResult> {
    const kind = kindOf(urn);
    const { plain, secretPaths } = plainRecord(props);
    if (Object.keys(plain).length === 0) {
      // An import (`pulumi import`, the `import` resource option, or `get`): only the ID is known.
      const { state, inputs } = await kind.import(id, this.context(urn));
      return { id, props: wrapSecrets(state, ALWAYS_SECRET), inputs: wrapSecrets(inputs, ALWAYS_SECRET) };
    }
    const state = await kind.read(parseState(kind.state, kind.name, plain), this.context(urn));
    return { id, props: wrapSecrets(state, [...ALWAYS_SECRET, ...secretPaths]) };
  }

  async update(_id: string, urn: string, olds: unknown, news: unknown): Promise<provider.UpdateResult> {
    const kind = kindOf(urn);
    const old = parseState(kind.state, kind.name, plainRecord(olds).plain);
    const { plain, secretPaths } = plainRecord(news);
    const state = await kind.update(old, kind.inputs.parse(present(plain)), this.context(urn));
    return { outs: wrapSecrets(state, [...ALWAYS_SECRET, ...secretPaths]) };
  }

  async delete(_id: string, urn: string, props: unknown): Promise<void> {
    const kind = kindOf(urn);
    await kind.delete(parseState(kind.state, kind.name, plainRecord(props).plain), this.context(urn));
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    if (type !== HARDENED_SERVICE_TYPE) throw new Error(`the hush provider has no component ${type}`);
    const component = new ConstructedHardenedService(name, hardenedServiceArgs(inputs), options);
    return { urn: component.urn, state: { ...component.outputs } };
  }

  async cancel(): Promise<void> {
    cancelAll();
  }
}
