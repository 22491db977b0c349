/**
 * Golden profiles: each real log in fixtures/ summarized end to end must give exactly the profile
 * recorded in fixtures/golden/ — every action in order, its seq, count and evidence (pid, line,
 * syscall, text), the syscall counts and the run info. The performance work on the parser and the
 * summarizer (interning, flat entries, evidence built once per call) must not change a byte of it.
 *
 * The goldens were written by the summarizer as it was before that work (commit b98674f). When a
 * deliberate behaviour change alters them, re-record with UPDATE_GOLDEN=1 and review the diff.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseStraceText } from '../strace';
import { HANDLED_SYSCALLS } from './handlers';
import { createSummarizer } from './summarizer';
import { Profile } from '../profile/schema';

const FIXTURES = join(__dirname, 'fixtures');
const GOLDEN = join(FIXTURES, 'golden');

function summarize(file: string): unknown {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const { events } = parseStraceText(text, { fullParse: (n) => HANDLED_SYSCALLS.has(n) });
  const s = createSummarizer({ cwd: '/tmp/hush-fx', source: file });
  for (const ev of events) s.push(ev);
  return s.finish();
}

const logs = readdirSync(FIXTURES).filter((f) => f.endsWith('.strace'));

describe('golden profiles of the real fixture logs', () => {
  it('has a golden for every fixture log', () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const f of logs) expect(readdirSync(GOLDEN)).toContain(`${basename(f, '.strace')}.profile.json`);
  });

  it.each(logs)('%s summarizes to its golden profile, byte for byte', (file) => {
    const golden = join(GOLDEN, `${basename(file, '.strace')}.profile.json`);
    const actual = JSON.stringify(summarize(file));
    if (process.env.UPDATE_GOLDEN === '1')
      writeFileSync(golden, JSON.stringify(JSON.parse(actual), null, 2) + '\n');
    // key order included: JSON.parse keeps the recorded order
    expect(actual).toBe(JSON.stringify(JSON.parse(readFileSync(golden, 'utf8'))));
    // and the strict schema takes what the summary writes
    expect(() => Profile.parse(JSON.parse(actual))).not.toThrow();
  });
});
