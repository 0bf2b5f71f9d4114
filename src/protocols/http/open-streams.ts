import type { FastifyInstance } from 'fastify';

/**
 * The long-lived responses of a route (event streams, WebSockets). They never go idle, so a
 * shutdown would wait on them forever: each is ended when the server starts closing, and one
 * that opens after that (its login was still being checked) is ended at once.
 */
export class OpenStreams<T> {
  private readonly open = new Set<T>();
  private closing = false;

  constructor(
    app: Pick<FastifyInstance, 'addHook'>,
    private readonly end: (stream: T) => void,
  ) {
    app.addHook('preClose', async () => {
      this.closing = true;
      for (const stream of this.open) this.end(stream);
    });
  }

  /** Tracks the stream; false (and the stream ended) when the server is already closing. */
  add(stream: T): boolean {
    if (this.closing) {
      this.end(stream);
      return false;
    }
    this.open.add(stream);
    return true;
  }

  delete(stream: T): void {
    this.open.delete(stream);
  }
}
