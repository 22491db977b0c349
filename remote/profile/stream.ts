/**
 * While the trace streams: the controller keeps the host's deadline quiet (deadline.ts) and
 * re-attaches the sink's consumers a cut connection ended.
 */
import { heartbeat } from './deadline';
import type { SessionPaths } from './layout';
import type { Link } from './link';
import type { TraceSink } from './sink';
import { sleep } from './sleep';

/** Starts the keep-alive loop; the returned function stops it and waits for it to end. */
export function startKeepAlive(
  link: Link,
  paths: SessionPaths,
  periodSec: number,
  sink: TraceSink,
  log: (l: string) => void,
  warnings: string[],
): () => Promise<void> {
  let stopped = false;
  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const conn = await link.get();
        const ok = await heartbeat(conn, paths, Math.max(periodSec * 2000, 30_000));
        if (!ok) {
          warnings.push('the session directory disappeared on the host during the window');
          return;
        }
        if (sink.missing > 0 && !stopped) {
          log(`re-attaching ${sink.missing} trace reader(s)`);
          await sink.attach(conn);
        }
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1) log(`heartbeat failed: ${(err as Error).message}`);
      }
      // Between beats, look every second for readers a cut connection ended: a traced command
      // blocks once its FIFO's pipe buffer is full, so re-attaching cannot wait for the next beat.
      const next = Date.now() + periodSec * 1000;
      do await sleep(1000);
      while (!stopped && Date.now() < next && sink.missing === 0);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
