/**
 * Waiting that works for any length. Node's setTimeout takes a signed 32-bit number of
 * milliseconds (about 24.8 days); a longer delay fires after 1 ms (with a TimeoutOverflowWarning),
 * which closed a `--duration 600h` profiling window at once. Long waits are chained in chunks.
 */

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Resolves after `ms` (chunked above MAX_TIMER_MS), or as soon as `signal` aborts. `unref`: the
 * wait does not keep the process alive (for timers that only bound a race).
 */
export function sleep(ms: number, signal?: AbortSignal, opts: { unref?: boolean } = {}): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const end = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    const arm = (): void => {
      const left = end - Date.now();
      if (left <= 0) {
        signal?.removeEventListener('abort', onAbort);
        return resolve();
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      if (opts.unref) timer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}
