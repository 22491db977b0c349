import { MAX_TIMER_MS, sleep } from './sleep';

describe('sleep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits the whole of a delay longer than setTimeout can hold (600h did not overflow to 1 ms)', async () => {
    let done = false;
    const ms = 600 * 3_600_000;
    expect(ms).toBeGreaterThan(MAX_TIMER_MS);
    void sleep(ms).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(ms - MAX_TIMER_MS - 1_000);
    expect(done).toBe(true);
  });

  it('ends at once when aborted', async () => {
    const ac = new AbortController();
    let done = false;
    void sleep(10_000, ac.signal).then(() => (done = true));
    ac.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });
});
