import { UsageError } from '../command';
import { parseSince } from './watch';

test('--since: ISO 8601 or @SECONDS, as µs since the epoch; anything else is a usage error', () => {
  expect(parseSince('@1700000000')).toBe(1_700_000_000_000_000n);
  expect(parseSince('2026-12-07T14:00:00Z')).toBe(BigInt(Date.parse('2026-12-07T14:00:00Z')) * 1000n);
  for (const bad of ['yesterday', '14:00', '@-1', '2026-13-45'])
    expect(() => parseSince(bad)).toThrow(UsageError);
});
