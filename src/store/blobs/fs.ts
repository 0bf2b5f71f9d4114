import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { FilePool, type Lease } from './file-pool.ts';

export interface BlobRef {
  /** sha256 of the content, lower-case hex. */
  id: string;
  size: number;
}

/** Makes the entries of a folder (a just-renamed file) durable. */
export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** mkdir -p, durably: a new folder is an entry of its parent, lost in a crash until that is fsynced. */
export async function createDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d));
    if (d === first) return;
  }
}

/**
 * Content-addressed files under <dataDir>/blobs/ab/cd/<sha256>. A blob is durable before put()
 * resolves: written to a temporary file, fsynced, renamed into place, and its folder fsynced.
 * Writing is idempotent, so two deliveries of the same bytes can race safely.
 */
export class FsBlobStore {
  // Folders known to exist durably, or being made so: concurrent puts wait for the same mkdir.
  private readonly dirs = new Map<string, Promise<void>>();
  private readonly files = new FilePool();

  constructor(private readonly root: string) {}

  static hash(data: Buffer): string {
    return createHash('sha256').update(data).digest('hex');
  }

  pathOf(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`invalid blob id ${id}`);
    return join(this.root, id.slice(0, 2), id.slice(2, 4), id);
  }

  async put(data: Buffer): Promise<BlobRef> {
    const id = FsBlobStore.hash(data);
    const path = this.pathOf(id);
    const dir = dirname(path);
    await this.ensureDir(dir);
    // Same bytes already stored (a message in two folders, or delivered twice): the file is there.
    // Its folder is still fsynced, since the put that created it may not have done so yet.
    if (existsSync(path)) {
      await syncDir(dir);
      return { id, size: data.length };
    }
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dir);
    return { id, size: data.length };
  }

  /**
   * Many blobs at once, as put() leaves each one, written by the file threads: one message per
   * batch instead of a thread-pool round trip per system call (ADR 0031).
   */
  async putMany(blobs: Buffer[]): Promise<BlobRef[]> {
    if (blobs.length === 0) return [];
    const ids = await this.files.write(this.root, blobs);
    return ids.map((id, i) => ({ id, size: blobs[i]!.length }));
  }

  /**
   * Writes the blob again if its file is gone: called inside the transaction that references it,
   * after garbage collection may have removed an unreferenced copy. Checked synchronously: a stat
   * of a just-written path is microseconds, while an async call would hold the transaction open
   * across a thread-pool round trip.
   */
  async restore(blob: BlobRef, data: Buffer): Promise<void> {
    if (!existsSync(this.pathOf(blob.id))) await this.put(data);
  }

  private ensureDir(dir: string): Promise<void> {
    let ready = this.dirs.get(dir);
    if (!ready) {
      ready = createDir(dir);
      this.dirs.set(dir, ready);
      ready.catch(() => this.dirs.delete(dir));
    }
    return ready;
  }

  async get(id: string): Promise<Buffer> {
    return readFile(this.pathOf(id));
  }

  /** The first `length` bytes of each blob (fewer if it is shorter); null for a missing file. */
  heads(wanted: { id: string; length: number }[]): Promise<(Buffer | null)[]> {
    if (wanted.length === 0) return Promise.resolve([]);
    return this.files.read(wanted.map((w) => ({ path: this.pathOf(w.id), length: w.length })));
  }

  /** As heads(), into reused memory that the caller gives back with release(). */
  lease(wanted: { id: string; length: number }[]): Promise<Lease> {
    return this.files.lease(wanted.map((w) => ({ path: this.pathOf(w.id), length: w.length })));
  }

  /** Stops the reading threads. */
  close(): Promise<void> {
    return this.files.close();
  }

  stream(id: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(id), range ? { start: range.start, end: range.end - 1 } : undefined);
  }

  async delete(id: string): Promise<void> {
    await unlink(this.pathOf(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
