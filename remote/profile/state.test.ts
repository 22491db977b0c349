import { planWrapper } from '../../core/profiling/wrapperPlan';
import type { UnitInfo } from '../../core/profiling/unitInfo';
import { fifoPath, sessionPaths } from './layout';
import { recorderFor } from './recorder';
import { restoreScript } from './restore';
import { parsePlan, renderPlan, SESSION_PLAN_FORMAT, type SessionPlan } from './state';
import { UNIT_CHANGE_KINDS } from './unitChanges';

const CAT = `# /lib/systemd/system/x.service
[Service]
User=www-data
ExecStartPre=+/bin/prep
ExecStart=/usr/bin/x --serve
`;
const info: UnitInfo = {
  properties: { LoadState: 'loaded', ActiveState: 'active', User: 'www-data' },
  catText: CAT,
  strace: { path: '/usr/bin/strace', version: 'strace -- version 6.13', supportsArgv0: true },
  setprivPath: '/usr/bin/setpriv',
  credentials: { uid: 33, gid: 33, groups: [33], supplementary: [] },
  execCounts: { ExecStartPre: 1, ExecStart: 1 },
};

function plan(): SessionPlan {
  const p = sessionPaths('x.service');
  const w = planWrapper('x.service', info, undefined, 'abc', (s) => fifoPath(p, s), {
    launcherScript: p.launcher,
  });
  return {
    format: SESSION_PLAN_FORMAT,
    unit: 'x.service',
    session: w.session,
    startedAt: '2026-01-01T00:00:00.000Z',
    wasActive: true,
    watchdogTimeoutSec: 60,
    restartTimeoutMs: 3_660_000,
    settleTimeoutMs: 60_000,
    source: 'unit:x.service@h',
    cwd: '/',
    info,
    recorder: {
      kind: 'strace-wrapper',
      tracing: 'full',
      stracePath: w.stracePath,
      dropIn: w.dropIn,
      slots: w.slots,
    },
    sink: { kind: 'live', compress: false },
  };
}

describe('the session plan persisted on the host', () => {
  test('round-trips through plan.json', () => {
    expect(parsePlan(renderPlan(plan()))).toEqual(plan());
  });

  test('a damaged plan is an error naming the field, never a session', () => {
    expect(() => parsePlan('{')).toThrow(/not JSON/);
    const bad = { ...plan(), wasActive: 'yes' };
    expect(() => parsePlan(JSON.stringify(bad))).toThrow(/invalid: wasActive/);
    const unknownSink = { ...plan(), sink: { kind: 'carrier-pigeon' } };
    expect(() => parsePlan(JSON.stringify(unknownSink))).toThrow(/invalid: sink/);
  });

  test('the recorder read back from the plan writes one stream per traced command, all root’s', () => {
    const r = recorderFor(parsePlan(renderPlan(plan())));
    expect(r.tracing).toBe('full');
    // ExecStartPre has "+": full privileges, never traced, so no stream; strace is root's even
    // for User=www-data (setpriv switches the command, whose launcher exec the parser leaves out)
    expect(r.streams).toEqual([{ id: 'ExecStart-0', writer: { kind: 'root' } }]);
    const rec = plan().recorder;
    expect(
      rec.kind === 'strace-wrapper' && rec.slots.find((s) => s.id === 'ExecStart-0')?.launcherExecs,
    ).toBe(1);
    expect(r.unitChanges.map((c) => c.what)).toEqual(['the wrapper drop-in']);
  });
});

test('restore.sh undoes every kind of unit change a session can make', () => {
  const p = sessionPaths('x.service');
  const s = restoreScript(p);
  for (const k of UNIT_CHANGE_KINDS) expect(s).toContain(k.undo(p).text);
});
