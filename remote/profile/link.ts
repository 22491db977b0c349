import type { Connection } from '../connection';

/**
 * The session's connection, re-dialled after a cut (the trace waits in the FIFOs meanwhile), and
 * fresh connections on demand (restore.ts confirms a restore over one).
 */
export class Link {
  #conn: Connection | undefined;
  #dialing: Promise<Connection> | undefined;
  reconnects = 0;
  constructor(
    private readonly dial: () => Promise<Connection>,
    private readonly log: (l: string) => void,
  ) {}

  async get(): Promise<Connection> {
    if (this.#conn && !this.#conn.closed) return this.#conn;
    this.#dialing ??= (async () => {
      const first = this.#conn === undefined;
      if (!first) this.log('connection lost; reconnecting');
      const c = await this.dial();
      if (!first) this.reconnects++;
      this.#conn = c;
      return c;
    })().finally(() => {
      this.#dialing = undefined;
    });
    return this.#dialing;
  }

  /** A new connection, not the session's: the caller closes it. */
  fresh(): Promise<Connection> {
    return this.dial();
  }

  async close(): Promise<void> {
    await this.#conn?.close();
  }
}
