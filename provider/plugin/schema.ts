/**
 * The Pulumi package schema of the `hush` provider plugin: what `pulumi package get-schema`
 * prints, what SDK generators read, and what YAML programs are checked against. Written out here
 * (not inferred from TypeScript) so that every property has its description and its secrecy.
 */

type Prop = Record<string, unknown>;
const str = (description: string, extra: Prop = {}): Prop => ({ type: 'string', description, ...extra });
const num = (description: string, extra: Prop = {}): Prop => ({ type: 'number', description, ...extra });
const int = (description: string): Prop => ({ type: 'integer', description });
const bool = (description: string): Prop => ({ type: 'boolean', description });
const ref = (type: string, description: string, extra: Prop = {}): Prop => ({
  $ref: `#/types/hush:index:${type}`,
  description,
  ...extra,
});
const strings = (description: string): Prop => ({ type: 'array', items: { type: 'string' }, description });
const arrayOf = (type: string, description: string): Prop => ({
  type: 'array',
  items: { $ref: `#/types/hush:index:${type}` },
  description,
});

const connectionFields = (): Record<string, Prop> => ({
  host: str('Host name or address of the SSH server.'),
  port: num('SSH port. Default 22.', { default: 22 }),
  user: str('Login user. Default `root`; another user needs passwordless `sudo -n`.', { default: 'root' }),
  password: str('Password (also used for keyboard-interactive).', { secret: true }),
  privateKey: str('The private key contents (not a path). Preferred over the password.', { secret: true }),
  privateKeyPassword: str('Passphrase of an encrypted private key.', { secret: true }),
  agentSocketPath: str('ssh-agent socket. Default: $SSH_AUTH_SOCK of the provider process.'),
  dialErrorLimit: int('Dial attempts before giving up; -1 = unlimited. Default 10.'),
  perDialTimeout: num('Seconds per dial attempt; 0 = no limit. Default 15.'),
  hostKey: str(
    'The host key(s) the server must present: `SHA256:…`, `ssh-ed25519 AAAA…` or known_hosts lines. Required unless insecureAcceptAnyHostKey.',
  ),
  insecureAcceptAnyHostKey: bool(
    'Accept any host key (unsafe: a man in the middle gets root). Reported as a warning on every operation.',
  ),
});

const connectionInput = ref(
  'Connection',
  'How to reach the host over SSH (the fields of @pulumi/command remote.ConnectionArgs, plus host-key pinning). Secret in the state.',
  { secret: true },
);

const windowInput = ref('ProfileWindow', 'The profiling window. A change re-profiles.');
const tracingInput = str(
  '`decisions` (strace --seccomp-bpf, far less overhead) or `full`. Default: the engine picks `decisions` where it can. A change re-profiles.',
);
const triggersInput: Prop = {
  type: 'array',
  items: { $ref: 'pulumi.json#/Any' },
  description: 'Any values; a change re-profiles.',
};
const healthInput = str(
  'Shell command run on the host (as root) after the restart; a non-zero exit rolls the drop-in back. May be a secret.',
);
const settleInput = num('Seconds the unit must stay active after the restart (0-600, default 5).');
const sessionUnitInput = str(
  "Units whose children are login sessions or other users' jobs (sshd, getty, cron…, detected on the host): `refuse` (default), `session-safe` (only options on the unit's own cgroup, which sessions leave behind) or `sandbox-sessions` (every session inherits the sandbox). Never re-profiles.",
);
const warningsOutput = strings('Warnings of the last operation (also shown by the engine as it ran).');

const recordingOutput = ref(
  'RecordingInfo',
  'The detached recording (window.record): session, deadline, cap, and the progress the host reported at the last create, refresh or finish.',
);
const phaseOutput = str(
  '`profiled`, or `recording` while a detached recording (window.record) runs on the host; the first `up` after its deadline finishes it.',
);

const profileOutputs = (): Record<string, Prop> => ({
  phase: phaseOutput,
  profile: str('The Profile document (hush profile schema) as canonical JSON. Absent while recording.'),
  profiledFingerprint: ref('Fingerprint', 'What the profile depends on, when it was taken.'),
  currentFingerprint: str('The fingerprint digest seen by the last create or refresh.'),
  reprofileReasons: strings('Why a re-profile is due (empty while the host matches the profile).'),
  stats: ref('ProfileStats', "The profiling session's figures. Absent while recording."),
  recording: recordingOutput,
  warnings: warningsOutput,
});

const dropInOutputs = (): Record<string, Prop> => ({
  path: str('Absolute path of the drop-in on the host.'),
  unitDigest: str("sha256 of `systemctl cat` without hush's file (notices the unit changing)."),
  drift: str('Set by refresh when the host no longer matches: `edited`, `deleted` or `unit-changed`.'),
  exposureBefore: num('`systemd-analyze security` exposure before hush (null when unknown).'),
  exposureAfter: num('`systemd-analyze security` exposure with the drop-in.'),
  existingHardening: arrayOf(
    'ExistingHardening',
    'Hardening the unit had outside hush when it was imported (never touched by hush).',
  ),
  warnings: warningsOutput,
});

export function packageSchema(version: string): Record<string, unknown> {
  return {
    name: 'hush',
    displayName: 'hush',
    version,
    description:
      'systemd hardening from runtime profiles: profile a service over SSH, apply the strictest drop-in it lives with.',
    keywords: ['systemd', 'hardening', 'security', 'category/utility', 'kind/component'],
    license: 'Apache-2.0',
    publisher: 'hush',
    language: {
      nodejs: { packageName: 'pulumi-hush', dependencies: { '@pulumi/pulumi': '^3.276.0' } },
      python: { packageName: 'pulumi_hush', requires: { pulumi: '>=3.0.0,<4.0.0' } },
    },
    types: {
      'hush:index:ProxyConnection': {
        type: 'object',
        description: 'How to reach a bastion host.',
        properties: connectionFields(),
        required: ['host'],
      },
      'hush:index:Connection': {
        type: 'object',
        description: 'How hush reaches a host over SSH.',
        properties: {
          ...connectionFields(),
          proxy: ref('ProxyConnection', 'Dial this bastion first and tunnel through it.'),
        },
        required: ['host'],
      },
      'hush:index:ProfileWindow': {
        type: 'object',
        description: 'How long, and under what load, the service is watched. At least one field.',
        properties: {
          durationSeconds: num('Seconds to watch the service (1 to 86400).'),
          workload: str('Shell command run on the host (as root) during the window. May be a secret.'),
          localWorkload: str(
            'Shell command run where the provider runs, during the window. May be a secret.',
          ),
          record: ref(
            'RecordWindow',
            'A detached recording instead of an inline window (goes alone): the first `up` starts it and returns; preview and refresh show its progress; the first `up` after the deadline finishes it and hardens from it; destroy cancels a running one.',
          ),
        },
      },
      'hush:index:RecordWindow': {
        type: 'object',
        description: "A detached recording's deadline and cap.",
        properties: {
          until: str(
            'When the recording ends: a duration from its start (`30m`, `6h`, `2d`) or an ISO 8601 time with a zone; 1 minute to 30 days after the start. A change starts a new recording.',
          ),
          maxTrace: str(
            'Cap of the compressed spool (`500M`, `2G`; at least 1M; default 1G): the recording ends there.',
          ),
        },
        required: ['until'],
      },
      'hush:index:RecordingProgress': {
        type: 'object',
        description: 'What the host said of a recording when it was last asked.',
        properties: {
          state: str(
            '`running`, how it ended on the host (deadline, cap, disk, reboot, lost, finish), or `missing`.',
          ),
          spoolBytes: int('Compressed bytes in the spool.'),
          lines: int('Trace lines written so far (events).'),
          restartsSeen: int('Restarts of the unit seen under the recorder.'),
          secondsLeft: int('Seconds until the deadline.'),
          endedAt: str('When it ended on the host, once it did.'),
          checkedAt: str('When the host was asked.'),
        },
        required: ['state', 'spoolBytes', 'lines', 'restartsSeen', 'secondsLeft', 'checkedAt'],
      },
      'hush:index:RecordingInfo': {
        type: 'object',
        description: 'A detached recording started by a ServiceProfile.',
        properties: {
          session: str('The profiling session on the host.'),
          startedAt: str('When it started.'),
          deadline: str('When the host ends it on its own.'),
          capBytes: int('Cap of the compressed spool.'),
          slots: strings('The traced Exec commands.'),
          startSeconds: num('Seconds the start took.'),
          progress: ref('RecordingProgress', 'The last progress the host reported.'),
        },
        required: ['session', 'startedAt', 'deadline', 'capBytes', 'slots', 'startSeconds'],
      },
      'hush:index:HardeningOverrides': {
        type: 'object',
        description: 'Options forced, forbidden or widened, whatever the profile says.',
        properties: {
          force: {
            type: 'object',
            additionalProperties: { $ref: 'pulumi.json#/Any' },
            description: 'Option → value (a string, or a list of strings), replacing the resolver’s choice.',
          },
          forbid: strings('Options never to emit (nor their companions).'),
          writablePaths: strings('Absolute paths the service must be able to write (ReadWritePaths=).'),
          readablePaths: strings('Absolute paths the service must be able to read.'),
          execPaths: strings('Absolute paths the service must be able to execute (ExecPaths=).'),
        },
      },
      'hush:index:Fingerprint': {
        type: 'object',
        description: 'What a profile depends on: the Exec binaries, systemd and the kernel.',
        properties: {
          systemdVersion: int('systemd version.'),
          kernelRelease: str('Kernel release.'),
          arch: str('Architecture.'),
          binaries: {
            type: 'array',
            items: { $ref: 'pulumi.json#/Any' },
            description: 'Binaries: path, sha256, package, version.',
          },
          digest: str('sha256 of the fields above.'),
        },
        required: ['systemdVersion', 'kernelRelease', 'arch', 'binaries', 'digest'],
      },
      'hush:index:ProfileStats': {
        type: 'object',
        description: 'What the profiling session saw and where its time went.',
        properties: {
          lines: int('strace lines read.'),
          syscalls: int('Syscalls seen.'),
          actions: int('Distinct actions in the profile.'),
          traceBytes: int('Bytes of trace streamed.'),
          windowSeconds: num('Length of the window.'),
          tracing: str('How strace traced: `decisions` or `full`.'),
          setupSeconds: num('From the start until the window opened.'),
          wrappedRestartSeconds: num(
            'daemon-reload and restart under strace (absent for a recording: part of setupSeconds).',
          ),
          finishSeconds: num('Stop under strace, restore, start, drain.'),
          totalSeconds: num('The whole session.'),
        },
        required: ['lines', 'syscalls', 'actions', 'traceBytes', 'windowSeconds', 'tracing', 'totalSeconds'],
      },
      'hush:index:ExistingHardening': {
        type: 'object',
        description: 'A hardening option set outside hush (by hand or by the package).',
        properties: {
          option: str('The option, e.g. ProtectSystem.'),
          value: str('Its value as written.'),
          file: str('The unit file or drop-in that sets it.'),
        },
        required: ['option', 'value', 'file'],
      },
    },
    resources: {
      'hush:index:ServiceProfile': {
        description:
          'Profiling as a resource: create traces the unit over SSH for the window and keeps the profile; refresh notices binaries, systemd or the kernel changing (reprofileReasons) and the next update re-profiles. Cannot be imported (a profile lives only in state).',
        inputProperties: {
          connection: connectionInput,
          unit: str('The systemd service, e.g. `nginx.service`. A change re-profiles.'),
          window: windowInput,
          tracing: tracingInput,
          triggers: triggersInput,
          sessionUnit: sessionUnitInput,
        },
        requiredInputs: ['connection', 'unit', 'window'],
        properties: {
          connection: connectionInput,
          unit: str('The unit as systemd names it.'),
          window: windowInput,
          tracing: tracingInput,
          triggers: triggersInput,
          sessionUnit: sessionUnitInput,
          ...profileOutputs(),
        },
        required: ['connection', 'unit', 'window', 'phase', 'reprofileReasons', 'warnings'],
      },
      'hush:index:HardeningDropIn': {
        description:
          "hush's drop-in of a unit (`<unit>.d/zz-hush-hardening.conf`) as state: create/update write, verify and roll back on failure; refresh reports drift; delete removes hush's file only. Import ID: `[user@]host[:port]/unit#hostKey`, credentials from HUSH_IMPORT_PRIVATE_KEY_FILE or the ssh-agent.",
        inputProperties: {
          connection: connectionInput,
          unit: str('The systemd service. A change replaces the resource.'),
          content: str(
            'The drop-in text. Only a change of its options rewrites the file (comments are not compared). Absent: nothing declared yet (as while a profile records); the host is left as it is.',
          ),
          healthCommand: healthInput,
          settleSeconds: settleInput,
          sessionUnit: sessionUnitInput,
        },
        requiredInputs: ['connection', 'unit'],
        properties: {
          connection: connectionInput,
          unit: str('The unit as systemd names it.'),
          content: str("hush's drop-in as it was last written or adopted (null: none yet)."),
          healthCommand: healthInput,
          settleSeconds: settleInput,
          sessionUnit: sessionUnitInput,
          ...dropInOutputs(),
        },
        required: ['connection', 'unit', 'path', 'existingHardening', 'warnings'],
      },
      'hush:index:HardenedService': {
        isComponent: true,
        description:
          'Profile → resolve → drop-in for one unit on one host. Changing the mode or the overrides re-resolves and updates the drop-in without re-profiling.',
        inputProperties: {
          connection: connectionInput,
          unit: str('The systemd service to harden. A change re-profiles.'),
          window: ref(
            'ProfileWindow',
            'The profiling window (required unless profile is given). A change re-profiles.',
          ),
          profile: str(
            "A profile taken elsewhere (JSON: `hush profile -o`, or another stack's profileJson): nothing is profiled.",
          ),
          tracing: tracingInput,
          mode: str('`conservative` (default), `standard` or `aggressive`. Never re-profiles.'),
          overrides: ref(
            'HardeningOverrides',
            'Force or forbid options, or declare paths. Never re-profiles.',
          ),
          triggers: triggersInput,
          healthCommand: healthInput,
          settleSeconds: settleInput,
          sessionUnit: sessionUnitInput,
        },
        requiredInputs: ['connection', 'unit'],
        properties: {
          dropInPath: str('Path of the drop-in on the host.'),
          dropInText: str('The drop-in as written (absent while the profile records).'),
          chosen: {
            type: 'array',
            items: { $ref: 'pulumi.json#/Any' },
            description: 'Each chosen option with its reasons.',
          },
          rejected: {
            type: 'array',
            items: { $ref: 'pulumi.json#/Any' },
            description: 'Each stricter value not chosen, with the action and evidence that blocked it.',
          },
          exposureBefore: num('systemd-analyze security exposure before hush.'),
          exposureAfter: num('systemd-analyze security exposure with the drop-in.'),
          profileStats: ref(
            'ProfileStats',
            "The profiling session's figures (none when a profile was given, or while recording).",
          ),
          phase: phaseOutput,
          recording: recordingOutput,
          reprofileReasons: strings('Non-empty after a refresh found the host changed since profiling.'),
          profileJson: str(
            "The profile the drop-in was resolved from (JSON), e.g. for another stack's profile.",
          ),
          warnings: warningsOutput,
        },
        required: ['dropInPath', 'chosen', 'rejected', 'phase', 'reprofileReasons', 'warnings'],
      },
    },
  };
}
