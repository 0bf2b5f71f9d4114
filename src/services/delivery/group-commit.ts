import { performance } from 'node:perf_hooks';
import type { Store, WriteFn } from '../../store/store.ts';

const MAX_WAIT_MS = 2;

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
  private expected = 0;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 64,
  ) {}

  /**
   * Announces a write that is still being prepared (parsed, its blob fsynced). While such writes
   * are on their way the committer waits up to MAX_WAIT_MS for them, so concurrent deliveries
   * share one commit instead of each paying its own. Call the returned function when it is
   * submitted or abandoned.
   */
  expect(): () => void {
    this.expected++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        this.expected--;
      }
    };
  }

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
        const deadline = performance.now() + MAX_WAIT_MS;
        while (this.expected > 0 && this.queue.length < this.maxBatch && performance.now() < deadline) {
          await new Promise((r) => setImmediate(r));
        }
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
