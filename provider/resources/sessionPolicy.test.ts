// The session-unit policy through Pulumi: the engine's refusal, worded with the `sessionUnit`
// input instead of the CLI flags, and a change of the input that never re-profiles.
import { unreachableConnection } from './testkit';
import { enforceSessionPolicy, type SessionReach } from '../../remote/sessionUnits';
import { checkFailures, HardeningDropInInputs, ServiceProfileInputs } from '../inputs';
import { ServiceProfileState } from '../state';
import { inInputWords } from './sessionPolicy';
import { diffServiceProfile } from './serviceProfile';

// Connecting at all would fail (or, where a test says so, is meant to).
const connection = unreachableConnection;

const sshd: SessionReach = {
  unit: 'ssh.service',
  evidence: ['PAMName=sshd'],
  sessionsStayInCgroup: false,
};

test('a refused session unit names the sessionUnit input, not the CLI flags', () => {
  let thrown: unknown;
  try {
    enforceSessionPolicy(sshd, 'refuse');
  } catch (err) {
    thrown = inInputWords(err);
  }
  expect(thrown).toBeInstanceOf(Error);
  const message = (thrown as Error).message;
  expect(message).toMatch(/Refusing\. sessionUnit: 'session-safe' hardens/);
  expect(message).toMatch(/sessionUnit: 'sandbox-sessions' applies/);
  expect(message).not.toMatch(/--session-safe|--sandbox-sessions/);
  // anything else passes as it is
  const other = new Error('--session-safe in some other error');
  expect(inInputWords(other)).toBe(other);
});

test('sessionUnit is an input of both resources, checked by name', () => {
  const base = { connection, unit: 'ssh.service' };
  expect(
    checkFailures(ServiceProfileInputs, {
      ...base,
      window: { durationSeconds: 3 },
      sessionUnit: 'session-safe',
    }),
  ).toEqual([]);
  expect(checkFailures(HardeningDropInInputs, { ...base, sessionUnit: 'sandbox-sessions' })).toEqual([]);
  expect(
    checkFailures(HardeningDropInInputs, { ...base, sessionUnit: 'yes' }).map((f) => f.property),
  ).toEqual(['sessionUnit']);
});

test('a change of sessionUnit updates a profile, never re-profiles it', async () => {
  const fingerprint = { systemdVersion: 257, kernelRelease: 'k', arch: 'x86_64', binaries: [], digest: 'd' };
  const state = ServiceProfileState.parse({
    connection,
    unit: 'ssh.service',
    window: { durationSeconds: 3 },
    profile: '{}',
    profiledFingerprint: fingerprint,
    currentFingerprint: 'd',
    stats: {
      lines: 1,
      syscalls: 1,
      actions: 1,
      traceBytes: 1,
      windowSeconds: 3,
      tracing: 'full',
      setupSeconds: 1,
      finishSeconds: 1,
      totalSeconds: 5,
    },
  });
  const quiet = { info: () => undefined, warn: () => undefined };
  const news = { connection, unit: 'ssh.service', window: { durationSeconds: 3 } };
  expect(await diffServiceProfile(state, news, quiet)).toMatchObject({ changes: false });
  expect(await diffServiceProfile(state, { ...news, sessionUnit: 'session-safe' }, quiet)).toEqual({
    changes: true,
    replaces: [],
    deleteBeforeReplace: false,
  });
});
