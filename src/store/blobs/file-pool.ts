import { Worker } from 'node:worker_threads';
import { sharedCopy } from '../../util/shared-bytes.ts';
import { fileWorkerMain, type FileResult, type ReadBatch, type WriteBatch } from './file-worker.ts';

// Reads are page-cache copies, CPU work: split two ways, more would only compete with the main
// thread. Writes are mostly fsync waits, which the file system commits together when they come
// at once: split among more threads.
const READ_PARTS = 2;
const WRITE_PARTS = 4;
const THREADS = Math.max(READ_PARTS, WRITE_PARTS);
// A lease's files are read into one shared slab of this size when they fit (a FETCH round is at
// most 4 MB of messages). Slabs are reused, so a FETCH of bodies allocates nothing per message.
const SLAB = 4 * 1024 * 1024;
// Slabs kept for reuse, and for how long after the last lease ends: an idle server holds none.
const SLABS_KEPT = 4;
const SLABS_IDLE_MS = 60_000;

/** Files read for a caller that gives their memory back once it no longer needs the bytes. */
export interface Lease {
  files: (Buffer | null)[];
  /** The bytes may be overwritten from now on; calling it again does nothing. */
  release(): void;
}

/** The batch that reads a part of `files`, into the slab from `offset` when there is one. */
const reading =
  (slab: SharedArrayBuffer | null) =>
  (part: { path: string; length: number }[], offset: number): Omit<ReadBatch, 'id'> => ({ kind: 'read', paths: part.map((f) => f.path).join('\0'), lengths: part.map((f) => f.length), slab, offset });

interface Pending {
  resolve: (files: FileResult['files']) => void;
  reject: (err: Error) => void;
}

/**
 * Reads and writes many files off the main thread, a batch per message: each worker does every
 * system call of its part of a batch synchronously, and hands read bytes back without a copy.
 * Through the libuv pool each file took a round trip per call (three to read one, six to write a
 * blob durably); for the 1000 messages of a FETCH of bodies that was most of its time.
 */
export class FilePool {
  private workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private readonly slabs: SharedArrayBuffer[] = [];
  private readonly dropSlabs = setTimeout(() => this.slabs.splice(0), SLABS_IDLE_MS).unref();

  constructor() {
    // Started now, so the first FETCH of bodies does not wait for threads to boot.
    this.start();
  }

  private start(): void {
    for (let i = 0; i < THREADS; i++) {
      // From source text: a worker does not get the TypeScript loader the main thread runs under.
      // The loader may wrap functions in __name (to keep their names); the text needs it defined.
      const worker = new Worker(`const __name = (f) => f; (${fileWorkerMain.toString()})()`, { eval: true });
      // Idle workers must not keep the process alive.
      worker.unref();
      worker.on('message', (r: FileResult) => this.settle(r));
      worker.on('error', (err) => this.fail(err));
      this.workers.push({ worker, busy: 0 });
    }
  }

  /** The first `length` bytes of each file (fewer if it is shorter); null for a missing file. */
  async read(files: { path: string; length: number }[]): Promise<(Buffer | null)[]> {
    const parts = await this.split(files, READ_PARTS, reading(null));
    return parts.flat().map((f) => (f instanceof ArrayBuffer ? Buffer.from(f) : null));
  }

  /**
   * As read(), into a reused slab: the full-GC pauses of a FETCH of bodies came from each
   * message's freshly allocated buffer, ~20 MB of them per 1000 messages.
   */
  async lease(files: { path: string; length: number }[]): Promise<Lease> {
    const total = files.reduce((n, f) => n + f.length, 0);
    if (total > SLAB) return { files: await this.read(files), release: () => undefined };
    // A small read with no slab free gets memory of its own size: many connections each reading
    // a few kilobytes must not hold 4 MB apiece. Only full-size slabs are kept for reuse.
    const slab = this.slabs.pop() ?? new SharedArrayBuffer(total > SLAB / 2 ? SLAB : Math.max(total, 1));
    // A read that fails drops the slab instead of giving it back: the other thread may still be
    // reading into it.
    const counts = (await this.split(files, READ_PARTS, reading(slab))).flat();
    let at = 0;
    const out = counts.map((n, i) => {
      const buf = typeof n === 'number' ? Buffer.from(slab, at, n) : null;
      at += files[i]!.length;
      return buf;
    });
    let held = true;
    return {
      files: out,
      release: () => {
        if (held) this.give(slab);
        held = false;
      },
    };
  }

  private give(slab: SharedArrayBuffer): void {
    if (slab.byteLength === SLAB && this.slabs.length < SLABS_KEPT) this.slabs.push(slab);
    this.dropSlabs.refresh();
  }

  /**
   * Stores blobs under `root` (FsBlobStore's layout), durably, split among the threads; their
   * sha256 ids in order. The bytes are copied once, into one shared buffer for the whole batch.
   */
  async write(root: string, blobs: Buffer[]): Promise<string[]> {
    const data = sharedCopy(blobs);
    const parts = await this.split(blobs, WRITE_PARTS, (part, offset) => ({ kind: 'write', root, data, offset, lengths: part.map((b) => b.length) }));
    return parts.flat() as string[];
  }

  /** Split among the threads, so a big batch is done in parallel, each part from its offset in the shared bytes. */
  private split<T extends { length: number }>(items: T[], parts: number, message: (part: T[], offset: number) => Omit<ReadBatch, 'id'> | Omit<WriteBatch, 'id'>): Promise<FileResult['files'][]> {
    const size = Math.ceil(items.length / parts);
    let offset = 0;
    return Promise.all(
      Array.from({ length: Math.ceil(items.length / size) }, (_, i) => {
        const part = items.slice(i * size, (i + 1) * size);
        const at = offset;
        for (const item of part) offset += item.length;
        return this.batch(message(part, at));
      }),
    );
  }

  private batch(message: Omit<ReadBatch, 'id'> | Omit<WriteBatch, 'id'>): Promise<FileResult['files']> {
    if (this.workers.length === 0) this.start();
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.next++;
    slot.busy++;
    return new Promise<FileResult['files']>((resolve, reject) => {
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
      slot.worker.postMessage({ ...message, id });
    });
  }

  private settle(r: FileResult): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    const failed = r.files.find((f): f is { error: string } => f !== null && typeof f === 'object' && !(f instanceof ArrayBuffer));
    if (failed) p.reject(new Error(failed.error));
    else p.resolve(r.files);
  }

  /** A worker that died takes every read in flight with it; the next read starts fresh workers. */
  private fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.workers) void w.worker.terminate();
    this.workers = [];
  }

  async close(): Promise<void> {
    clearTimeout(this.dropSlabs);
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers = [];
  }
}
