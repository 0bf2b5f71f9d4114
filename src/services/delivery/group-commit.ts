import type { Store, WriteFn } from '../../store/store.ts';

interface Pending<T> {
  fn: WriteFn<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

/**
 * Coalesces concurrent writes into one transaction. A write that arrives while a batch is
 * committing waits for the next one, so under load N deliveries share one fsync, and when idle
 * a write commits at once. Each write still succeeds or fails on its own (savepoints).
 */
export class GroupCommit {
  private queue: Pending<unknown>[] = [];
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 64,
  ) {}

  submit<T>(fn: WriteFn<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject } as Pending<unknown>);
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.store.writeBatch(batch.map((p) => p.fn));
          results.forEach((r, i) => (r.status === 'fulfilled' ? batch[i].resolve(r.value) : batch[i].reject(r.reason)));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
