/**
 * Predictions against what systemd printed on the real test hosts (recorded by the exposure host
 * test with HUSH_RECORD_EXPOSURE=1): for every corpus unit, before and after each drop-in, the
 * predicted score and every check's badness must equal systemd's, from the unit's `systemctl show`
 * properties before the drop-in plus the drop-in text alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDropIn } from '../dropin';
import { parseSyscallFilterOutput } from '../systemd/syscallFilter';
import { predictExposure, type UnitProperties } from './index';
import { HostRecording } from './fixtures/recording';

const DIR = path.join(__dirname, 'fixtures');
const recordings = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.partial.json'))
  .map((f) => HostRecording.parse(JSON.parse(readFileSync(path.join(DIR, f), 'utf8'))));

/** Compares list-valued properties as sets: systemd's listing order is not part of the meaning. */
function comparable(props: UnitProperties, keys: string[]): Record<string, string> {
  return Object.fromEntries(
    keys.map((k) => {
      const v = props[k] ?? '';
      const prefix = v.startsWith('~') ? '~' : '';
      return [k, prefix + [...new Set(v.replace(/^~/, '').split(/\s+/).filter(Boolean))].sort().join(' ')];
    }),
  );
}

it('has recordings of both test host images', () => {
  expect(recordings.map((r) => r.image).sort()).toEqual(['debian-12', 'debian-13']);
});

describe.each(recordings.map((r) => [r.image, r] as const))('recorded on %s', (_image, rec) => {
  const groups = parseSyscallFilterOutput(rec.syscallFilter);
  const cases = rec.units.flatMap((u) => [
    { unit: u.unit, name: 'before', base: u.properties, text: '', after: u },
    ...u.dropIns.map((d) => ({ unit: u.unit, name: d.name, base: u.properties, text: d.text, after: d })),
  ]);

  it.each(cases.map((c) => [`${c.unit} ${c.name} → ${c.after.live.score}`, c] as const))(
    '%s',
    (_title, c) => {
      const p = predictExposure(c.base, parseDropIn(c.text).assignments, {
        syscallGroups: groups,
        systemdVersion: Number(rec.systemd.split(' ')[0]),
      });
      expect({
        score: p.scoreText,
        label: p.label,
        checks: Object.fromEntries(p.checks.map((x) => [x.jsonField, x.badness])),
      }).toEqual({
        score: c.after.live.score,
        label: c.after.live.label,
        checks: c.after.live.checks,
      });
      // The modelled properties themselves: what `systemctl show` printed after the drop-in.
      const keys = Object.keys(c.after.properties).filter(
        (k) => k !== 'SystemCallFilter' || !c.text.includes('@'),
      );
      expect(comparable(p.properties, keys)).toEqual(comparable(c.after.properties, keys));
    },
  );
});
