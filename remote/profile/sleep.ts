/**
 * Resolves after `ms`, or at once when `signal` aborts. `unref`: a timer that only bounds a race
 * must not keep the process alive once the race is won.
 */
export function sleep(ms: number, signal?: AbortSignal, opts: { unref?: boolean } = {}): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    if (opts.unref) t.unref();
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
