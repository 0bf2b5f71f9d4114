import { Worker } from 'node:worker_threads';
import { readWorkerMain, type ReadBatch, type ReadResult } from './read-worker.ts';

// Two threads: reads are mostly page-cache copies, and more would only compete with the main thread.
const THREADS = 2;

interface Pending {
  resolve: (files: (Buffer | null)[]) => void;
  reject: (err: Error) => void;
}

/**
 * Reads the heads of many files off the main thread, a batch per message: each worker opens,
 * reads and closes every file of a batch synchronously, and hands the bytes back without a copy.
 * Through the libuv pool each file took three round trips (open, read, close); for the 1000
 * messages of a FETCH of bodies that was most of its time.
 */
export class ReadPool {
  private workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor() {
    // Started now, so the first FETCH of bodies does not wait for threads to boot.
    this.start();
  }

  private start(): void {
    for (let i = 0; i < THREADS; i++) {
      // From source text: a worker does not get the TypeScript loader the main thread runs under.
      // The loader may wrap functions in __name (to keep their names); the text needs it defined.
      const worker = new Worker(`const __name = (f) => f; (${readWorkerMain.toString()})()`, { eval: true });
      // Idle workers must not keep the process alive.
      worker.unref();
      worker.on('message', (r: ReadResult) => this.settle(r));
      worker.on('error', (err) => this.fail(err));
      this.workers.push({ worker, busy: 0 });
    }
  }

  /** The first `length` bytes of each file (fewer if it is shorter); null for a missing file. */
  async read(files: { path: string; length: number }[]): Promise<(Buffer | null)[]> {
    // Split among the threads, so a big batch is read in parallel.
    const size = Math.ceil(files.length / THREADS);
    const parts = await Promise.all(Array.from({ length: Math.ceil(files.length / size) }, (_, i) => this.batch(files.slice(i * size, (i + 1) * size))));
    return parts.flat();
  }

  private batch(files: { path: string; length: number }[]): Promise<(Buffer | null)[]> {
    if (this.workers.length === 0) this.start();
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.next++;
    slot.busy++;
    return new Promise<(Buffer | null)[]>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (got) => {
          slot.busy--;
          resolve(got);
        },
        reject: (err) => {
          slot.busy--;
          reject(err);
        },
      });
      const batch: ReadBatch = { id, paths: files.map((f) => f.path).join('\0'), lengths: files.map((f) => f.length) };
      slot.worker.postMessage(batch);
    });
  }

  private settle(r: ReadResult): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    const failed = r.files.find((f): f is { error: string } => f !== null && !(f instanceof ArrayBuffer));
    if (failed) p.reject(new Error(failed.error));
    else p.resolve(r.files.map((f) => (f instanceof ArrayBuffer ? Buffer.from(f) : null)));
  }

  /** A worker that died takes every read in flight with it; the next read starts fresh workers. */
  private fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.workers) void w.worker.terminate();
    this.workers = [];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers = [];
  }
}
