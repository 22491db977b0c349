// ServiceProfile's recording phase (window.record), the parts that decide without a host: the
// inputs, the state, when an `up` finishes a recording, what a preview says when the host does
// not answer, and the drop-in that declares nothing while the profile records. The host side of
// the whole cycle runs in test/e2e/pulumi-automation.test.ts.
import { unreachableConnection } from './testkit';
import { checkFailures, HardeningDropInInputs, ServiceProfileInputs } from '../inputs';
import { HardeningDropInState, ServiceProfileState } from '../state';
import { createHardeningDropIn, deleteHardeningDropIn, diffHardeningDropIn } from './hardeningDropIn';
import { finishDue, progressLine } from './recording';
import { diffServiceProfile } from './serviceProfile';

// Connecting at all would fail (or, where a test says so, is meant to).
const connection = unreachableConnection;

function recordingState(deadline: Date, progress?: { state: string }) {
  return ServiceProfileState.parse({
    connection,
    unit: 'nginx.service',
    window: { record: { until: '6h' } },
    phase: 'recording',
    recording: {
      session: 'nginx-1',
      startedAt: new Date(deadline.getTime() - 6 * 3600_000).toISOString(),
      deadline: deadline.toISOString(),
      capBytes: 1024 ** 3,
      slots: ['ExecStart-0'],
      startSeconds: 40,
      ...(progress
        ? {
            progress: {
              state: progress.state,
              spoolBytes: 2048,
              lines: 120,
              restartsSeen: 0,
              secondsLeft: 60,
              checkedAt: new Date().toISOString(),
            },
          }
        : {}),
    },
  });
}

function logs() {
  const info: string[] = [];
  const warn: string[] = [];
  return { info, warn, ctx: { info: (l: string) => info.push(l), warn: (l: string) => warn.push(l) } };
}

describe('window.record as input', () => {
  const base = { connection, unit: 'nginx.service' };
  it('takes a duration or an ISO time with a zone, and a cap', () => {
    for (const until of ['90s', '30m', '6h', '2d', '2026-12-24T06:00:00Z', '2026-12-24T06:00+01:00'])
      expect(
        checkFailures(ServiceProfileInputs, { ...base, window: { record: { until, maxTrace: '2G' } } }),
      ).toEqual([]);
  });
  it('names the field of a bad deadline or cap', () => {
    expect(
      checkFailures(ServiceProfileInputs, { ...base, window: { record: { until: 'tomorrow' } } }),
    ).toEqual([
      {
        property: 'window.record.until',
        reason: 'must be a duration (30m, 6h, 2d) or an ISO 8601 time with a zone',
      },
    ]);
    expect(
      checkFailures(ServiceProfileInputs, { ...base, window: { record: { until: '6h', maxTrace: '10K' } } }),
    ).toEqual([
      { property: 'window.record.maxTrace', reason: 'must be a size like 500M or 2G, at least 1M' },
    ]);
  });
  it('goes alone: a recording has no duration or workload', () => {
    expect(
      checkFailures(ServiceProfileInputs, {
        ...base,
        window: { record: { until: '6h' }, durationSeconds: 30 },
      }).map((f) => f.property),
    ).toEqual(['window.record']);
  });
});

describe('the recording phase in the state', () => {
  it('needs the recording, not the profile; a profiled state needs the profile', () => {
    expect(recordingState(new Date()).phase).toBe('recording');
    expect(() =>
      ServiceProfileState.parse({
        connection,
        unit: 'nginx.service',
        window: { record: { until: '6h' } },
        phase: 'recording',
      }),
    ).toThrow(/recording/);
    // A state written before the phase existed is `profiled` and must carry its profile.
    expect(() =>
      ServiceProfileState.parse({ connection, unit: 'nginx.service', window: { durationSeconds: 3 } }),
    ).toThrow(/profile/);
  });
});

describe('when an up finishes a recording', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  it('after the deadline, or once the host ended it (cap, disk, reboot); never while it runs', () => {
    expect(finishDue(recordingState(new Date(now.getTime() + 60_000)), undefined, now)).toBe(false);
    const running = {
      state: 'running',
      spoolBytes: 1,
      lines: 1,
      restartsSeen: 0,
      secondsLeft: 60,
      checkedAt: '',
    };
    expect(finishDue(recordingState(new Date(now.getTime() + 60_000)), running, now)).toBe(false);
    expect(finishDue(recordingState(new Date(now.getTime() - 1)), running, now)).toBe(true);
    expect(
      finishDue(recordingState(new Date(now.getTime() + 60_000)), { ...running, state: 'cap' }, now),
    ).toBe(true);
    // gone from the host: nothing to finish (diff replaces it instead)
    expect(
      finishDue(recordingState(new Date(now.getTime() + 60_000)), { ...running, state: 'missing' }, now),
    ).toBe(false);
  });

  it('says what the host reported, in one line', () => {
    const p = {
      state: 'running',
      spoolBytes: 3 * 1024 * 1024,
      lines: 5120,
      restartsSeen: 1,
      secondsLeft: 42,
      checkedAt: '',
    };
    expect(progressLine('nginx.service', p)).toBe(
      'recording nginx.service: 5120 events, 3.0 MiB spool, 1 restart(s) seen, 42 s left',
    );
    expect(progressLine('nginx.service', { ...p, state: 'deadline' })).toBe(
      'recording of nginx.service ended on the host (deadline): 5120 events, 3.0 MiB spool, 1 restart(s) seen; the next up finishes it',
    );
  });
});

describe('preview of a recording whose host does not answer', () => {
  const news = (state: ServiceProfileState) => ({
    connection,
    unit: state.unit,
    window: state.window,
  });

  it('plans nothing before the deadline, and warns that it could not ask', async () => {
    const state = recordingState(new Date(Date.now() + 3600_000));
    const { ctx, warn } = logs();
    expect(await diffServiceProfile(state, news(state), ctx)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
    expect(warn.join('\n')).toMatch(
      /could not read the recording of nginx\.service from the host .*deciding on its deadline alone/,
    );
  });

  it('plans the finish (an update, no replacement) once the deadline passed', async () => {
    const state = recordingState(new Date(Date.now() - 1000));
    expect(await diffServiceProfile(state, news(state), logs().ctx)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  it('replaces a recording whose deadline changed, cancelling the old one first, without asking the host', async () => {
    const state = recordingState(new Date(Date.now() + 3600_000));
    const { ctx, warn } = logs();
    expect(
      await diffServiceProfile(state, { ...news(state), window: { record: { until: '2d' } } }, ctx),
    ).toEqual({ changes: true, replaces: ['window'], deleteBeforeReplace: true });
    expect(warn).toEqual([]);
  });
});

describe('a HardeningDropIn with nothing declared yet (its profile records)', () => {
  const args = HardeningDropInInputs.parse({ connection, unit: 'nginx' });

  it('is created without touching the host, and deleted without touching it', async () => {
    const { ctx, info } = logs();
    // (the host never answers: any dial would fail these)
    const { id, state } = await createHardeningDropIn(args, ctx);
    expect(id).toBe('127.0.0.1:1/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf');
    expect(state).toMatchObject({ unit: 'nginx.service', content: null, drift: null });
    expect(info.join('\n')).toMatch(/no drop-in declared yet/);
    await expect(deleteHardeningDropIn(HardeningDropInState.parse(state), ctx)).resolves.toBeUndefined();
  });

  it('shows no diff while nothing is declared, and an update once the profile gives content', () => {
    const state = HardeningDropInState.parse({
      connection,
      unit: 'nginx.service',
      content: null,
      path: '/etc/systemd/system/nginx.service.d/zz-hush-hardening.conf',
    });
    expect(diffHardeningDropIn(state, { connection, unit: 'nginx.service' })).toMatchObject({
      changes: false,
    });
    expect(
      diffHardeningDropIn(state, {
        connection,
        unit: 'nginx.service',
        content: '[Service]\nNoNewPrivileges=yes\n',
      }),
    ).toMatchObject({ changes: true, replaces: [] });
  });
});
