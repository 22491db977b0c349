import { parseDropIn, renderDropIn } from '../dropin';
import { resolve } from '../resolve';
import { facts257, profileOf } from '../resolve/testkit';
import { applyAssignments } from '../exposure';
import { DEFAULT_SERVICE_PROPERTIES, settingsFromProperties } from '../exposure/settings';
import { canaryAssignments, canaryPlan, logLineOf } from './canary';
import { BUNDLED_SYSCALL_GROUPS } from '../systemd/syscallGroups.generated';
import { expandSyscallGroup } from '../systemd/syscallFilter';

describe('SystemCallFilter= lines as SystemCallLog= lines', () => {
  test.each([
    ['~@mount @swap:EPERM', ['@mount', '@swap']],
    ['@system-service sendfile', ['~@default', '@system-service', 'sendfile']],
    ['~@privileged', ['@privileged']],
    ['bind', ['~@default', 'bind']],
    ['', []],
  ])('%s', (line, log) => expect(logLineOf(line)).toEqual(log));
  test('a later line flips its polarity only', () => {
    expect(logLineOf('bind', false)).toEqual(['~bind']);
    expect(logLineOf('~@mount', false)).toEqual(['@mount']);
  });
});

test('a deny list and an allow list with later removals: what the log logs is exactly what the filter denies', () => {
  const groups = BUNDLED_SYSCALL_GROUPS[257]!;
  for (const lines of [
    [['~@mount', '@swap:EPERM'], ['umount2']],
    [['@system-service', 'mount'], ['~@privileged']],
  ]) {
    const filter = lines.map((value) => ({ option: 'SystemCallFilter', value }));
    const log = canaryAssignments(filter).assignments.map((a) => ({
      option: 'SystemCallFilter',
      value: a.value,
    }));
    // both read through the same model of systemd's merging (core/exposure)
    const f = applyAssignments(emptySettings(), filter, { syscallGroups: groups }).settings.syscallFilter;
    const l = applyAssignments(emptySettings(), log, { syscallGroups: groups }).settings.syscallFilter;
    // the filter's set with the opposite polarity is the log's set
    expect(l.allowList).toBe(!f.allowList);
    // read as a filter, a log that starts as a list gets @default added, which a log does not do
    const defaults = expandSyscallGroup(groups, '@default');
    const logged = strip(l.entries).filter((n) => !l.allowList || !defaults.has(n));
    expect(new Set(logged)).toEqual(new Set(strip(f.entries)));
  }
});

function strip(entries: string[] | null): string[] {
  return (entries ?? []).map((e) => e.replace(/:.*$/, ''));
}

const emptySettings = () => settingsFromProperties(DEFAULT_SERVICE_PROPERTIES);

test('the canary of an aggressive plan: filter and errno number gone, SystemCallLog= in, the rest untouched, systemd-parsable', () => {
  const plan = resolve(profileOf([]), facts257(), { mode: 'aggressive' });
  const { plan: c, logged } = canaryPlan(plan);
  expect(logged).toBe(true);
  const before = plan.chosen.filter((d) => !['SystemCallFilter', 'SystemCallErrorNumber'].includes(d.option));
  expect(c.chosen.filter((d) => d.option !== 'SystemCallLog')).toEqual(before);
  const text = renderDropIn(c, { version: 'test', unit: 'app.service' });
  expect(text).not.toMatch(/^SystemCall(Filter|ErrorNumber)=/m);
  expect(text).toMatch(/^SystemCallLog=~@default @system-service/m);
  expect(parseDropIn(text).ignored).toEqual([]);
});
