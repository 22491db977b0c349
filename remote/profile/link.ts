import type { HostLink, SessionHost } from '../host';

/**
 * The session's connection, re-dialled after a cut (the trace waits in the FIFOs meanwhile), and
 * fresh connections on demand (restore.ts confirms a restore over one). `C` is what the steps
 * holding it use of the host (a whole SessionHost for the session; less for a step and its test).
 */
export class Link<C extends HostLink = SessionHost> {
  #conn: C | undefined;
  #dialing: Promise<C> | undefined;
  reconnects = 0;
  constructor(
    private readonly dial: () => Promise<C>,
    private readonly log: (l: string) => void,
  ) {}

  async get(): Promise<C> {
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
  fresh(): Promise<C> {
    return this.dial();
  }

  async close(): Promise<void> {
    await this.#conn?.close();
  }
}
