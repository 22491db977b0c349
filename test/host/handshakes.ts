/**
 * How many SSH handshakes this test process has in flight to its test hosts at once.
 *
 * sshd counts a connection as a "startup" from accept until it authenticates, and past
 * MaxStartups (Debian: 10:30:100) it drops new ones at random ('Connection lost before
 * handshake'); every connection of a test reaches the guest from one address (qemu's user
 * network). A test that runs many profiling sessions side by side (the corpus: 18) would cross
 * that line under TCG, where one handshake takes seconds. Queuing the handshakes here keeps the
 * host's sshd exactly as the image ships it: no reload under open connections.
 */
export const MAX_HANDSHAKES_IN_FLIGHT = 4;

/** Runs async functions with at most `limit` of them unsettled at any time, first come first served. */
export function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`limit must be a positive integer, not ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running < limit) running++;
    else await new Promise<void>((r) => waiting.push(r)); // the slot is handed over, not freed
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Every handshake of the harness (test/host/ssh.ts) and of hush connections the tests dial (corpusRun) goes through this. */
export const handshake = limiter(MAX_HANDSHAKES_IN_FLIGHT);
