import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { FsBlobStore } from '../../store/blobs/fs.ts';
import { sharedCopy } from '../../util/shared-bytes.ts';
import { prepareMessage, type PreparedMessage } from './prepared-message.ts';

/** A message ready to store: its blob id (sha256) and what storing needs of its parse. */
export interface Prepared {
  id: string;
  message: PreparedMessage;
}

/** Messages to prepare: `lengths[i]` bytes each, one after another in `data`. */
export interface ParseBatch {
  id: number;
  data: SharedArrayBuffer;
  lengths: number[];
}

export type ParseResult = { id: number; prepared: Prepared[] } | { id: number; error: string };

// Fewer messages than this are parsed on the main thread unless the threads are running anyway:
// starting one costs ~0.5 s of CPU, more than parsing a few messages.
const WORTH_A_THREAD = 200;
// Threads unused this long stop: each holds ~70 MB (its own V8 heap, the loader and the parser).
const IDLE_MS = 60_000;

interface Pending {
  resolve: (prepared: Prepared[]) => void;
  reject: (err: Error) => void;
}

/**
 * Hashes and parses batches of messages on threads of their own (one per core the main thread
 * does not use, at most two), so a mirror's indexing parses the next chunk while the main thread stores the
 * current one (ADR 0034). Without a spare core, or once a thread has failed, the main thread
 * does it itself: the result is the same either way.
 */
export class ParsePool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private broken = false;
  // One main thread stores what they parse, at about the rate one thread parses: a third thread
  // would only wait, holding its memory, however many cores there are.
  private readonly size = Math.min(2, availableParallelism() - 1);
  private readonly idle = setTimeout(() => this.pending.size === 0 && void this.close(), IDLE_MS).unref();

  constructor(private readonly log?: Logger) {}

  /**
   * Starts the threads for `count` messages to come, if that many are worth it: loading the
   * parser takes a thread ~0.5 s, better spent while they download.
   */
  warm(count: number): void {
    this.idle.refresh();
    if (count >= WORTH_A_THREAD && this.size >= 1 && !this.broken && this.workers.length === 0) this.start();
  }

  async prepare(raws: Buffer[]): Promise<Prepared[]> {
    if (raws.length === 0) return [];
    this.warm(raws.length);
    if (this.workers.length === 0) return raws.map((raw) => ({ id: FsBlobStore.hash(raw), message: prepareMessage(raw) }));
    // Split among the threads; each part's bytes copied once into memory the thread shares.
    const per = Math.ceil(raws.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const part = raws.slice(i * per, (i + 1) * per);
        return part.length ? this.send(worker, part) : [];
      }),
    );
    return parts.flat();
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(new URL('./parse-worker-boot.mjs', import.meta.url));
      // Idle threads must not keep the process alive.
      worker.unref();
      worker.on('message', (r: ParseResult) => this.settle(r));
      worker.on('error', (err) => this.fail(err));
      // Not through close(): whatever it had in hand would never be answered.
      worker.on('exit', (code) => this.workers.includes(worker) && this.fail(new Error(`parse thread exited with code ${code}`)));
      this.workers.push(worker);
    }
  }

  private send(worker: Worker, raws: Buffer[]): Promise<Prepared[]> {
    const data = sharedCopy(raws);
    const id = this.next++;
    return new Promise<Prepared[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const batch: ParseBatch = { id, data, lengths: raws.map((r) => r.length) };
      worker.postMessage(batch);
    });
  }

  private settle(r: ParseResult): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if ('error' in r) p.reject(new Error(r.error));
    else p.resolve(r.prepared);
  }

  /** A thread that died fails what it had; from then on the main thread parses. */
  private fail(err: Error): void {
    this.log?.error({ err }, 'parse thread failed; parsing on the main thread from now on');
    this.broken = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    void this.close();
  }

  /** Stops the threads; the next batch worth it starts them again. */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    for (const p of this.pending.values()) p.reject(new Error('parse threads stopped'));
    this.pending.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
