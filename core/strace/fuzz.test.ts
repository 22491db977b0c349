/**
 * Property tests: whatever bytes arrive, the parser never throws, every line it drops is
 * reported (line number in range, at most 200 characters), and lazily built arguments can be
 * read. Inputs: random bytes, real fixture lines truncated at random points, and splices of two
 * real lines. A seeded generator keeps failures reproducible.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StraceParser } from './index';
import type { TraceEvent, UnparsedLine } from './types';
import { seededRandom as rng } from './testkit';

const realLines: string[] = (() => {
  const dir = path.join(__dirname, 'fixtures');
  const out: string[] = [];
  for (const v of fs.readdirSync(dir)) {
    const sub = path.join(dir, v);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const f of fs.readdirSync(sub).filter((n) => n.endsWith('.strace'))) {
      out.push(...fs.readFileSync(path.join(sub, f), 'latin1').split('\n').filter(Boolean));
    }
  }
  return out;
})();

interface Outcome {
  events: TraceEvent[];
  unparsed: UnparsedLine[];
  lines: number;
}

/** Feeds `input` in random chunks; fails the test on any exception. */
function feed(input: Buffer, rand: () => number, lazy: boolean): Outcome {
  const unparsed: UnparsedLine[] = [];
  const p = new StraceParser({ lazy, onUnparsed: (u) => unparsed.push(u) });
  const events: TraceEvent[] = [];
  let pos = 0;
  while (pos < input.length) {
    const n = 1 + Math.floor(rand() * 200);
    events.push(...p.push(input.subarray(pos, pos + n)));
    pos += n;
  }
  events.push(...p.end());
  // reading every lazily built argument must not throw either
  JSON.stringify(events);
  return { events, unparsed, lines: p.stats.lines };
}

function check(o: Outcome): void {
  for (const u of o.unparsed) {
    expect(u.line).toBeGreaterThanOrEqual(1);
    expect(u.line).toBeLessThanOrEqual(Math.max(o.lines, 1));
    expect(u.text.length).toBeLessThanOrEqual(200);
    expect(u.reason.length).toBeGreaterThan(0);
  }
  for (const e of o.events) {
    expect(['syscall', 'signal', 'exit', 'personality']).toContain(e.type);
    expect(Number.isInteger(e.line)).toBe(true);
  }
}

describe('parser robustness', () => {
  it('never throws on random bytes', () => {
    const rand = rng(1);
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rand() * 600);
      const buf = Buffer.alloc(len);
      // bias towards the characters the grammar cares about
      const alphabet = Buffer.from('0123456789abcxyzAT_FDCWD(){}[]<>"\\=,| .-+*~&@/\n:?');
      for (let k = 0; k < len; k++)
        buf[k] = rand() < 0.5 ? Math.floor(rand() * 256) : alphabet[Math.floor(rand() * alphabet.length)]!;
      check(feed(buf, rand, i % 2 === 0));
    }
  });

  it('reports truncated real lines instead of inventing events, and never throws', () => {
    const rand = rng(2);
    let reported = 0;
    for (let i = 0; i < 1500; i++) {
      const line = realLines[Math.floor(rand() * realLines.length)]!;
      const cut = line.slice(0, Math.floor(rand() * line.length));
      const o = feed(Buffer.from(cut + '\n', 'latin1'), rand, i % 2 === 0);
      check(o);
      reported += o.unparsed.length;
      // a cut line yields at most one event (a complete-looking prefix, or an unfinished call)
      expect(o.events.length + o.unparsed.length).toBeLessThanOrEqual(2);
    }
    expect(reported).toBeGreaterThan(500);
  });

  it('survives splices of two real lines and whole shuffled logs', () => {
    const rand = rng(3);
    for (let i = 0; i < 1500; i++) {
      const a = realLines[Math.floor(rand() * realLines.length)]!;
      const b = realLines[Math.floor(rand() * realLines.length)]!;
      const spliced = a.slice(0, Math.floor(rand() * a.length)) + b.slice(Math.floor(rand() * b.length));
      check(feed(Buffer.from(spliced + '\n', 'latin1'), rand, i % 2 === 1));
    }
    for (let i = 0; i < 20; i++) {
      const shuffled = [...realLines]
        .sort(() => rand() - 0.5)
        .slice(0, 300)
        .join('\n');
      check(feed(Buffer.from(shuffled, 'latin1'), rand, true));
    }
  });

  it('survives deep nesting without a stack overflow', () => {
    const deep = '1 f(' + '['.repeat(100000) + ') = 0\n' + '1 g(' + '{a='.repeat(50000) + ') = 0\n';
    const o = feed(Buffer.from(deep), rng(4), false);
    check(o);
    expect(o.events.map((e) => e.type === 'syscall' && e.argsError !== undefined)).toEqual([true, true]);
  });
});
