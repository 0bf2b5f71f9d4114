import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { FilePool, type Lease } from './file-pool.ts';
import type { PackSlot, PackStore } from './packs.ts';

export interface BlobRef {
  /** sha256 of the content, lower-case hex. */
  id: string;
  size: number;
  /** Where the bytes are durably while no file holds them yet: a mirror's staging pack (ADR 0033). */
  slot?: PackSlot;
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
  private packed: { packs: PackStore; locate: (ids: string[]) => Promise<Map<string, PackSlot>> } | null = null;

  constructor(private readonly root: string) {}

  /**
   * Where a blob with no file yet is: still in the staging pack a mirror downloaded it into
   * (ADR 0033). Set once the database is open; a read that finds the file never asks.
   */
  readPackedFrom(packs: PackStore, locate: (ids: string[]) => Promise<Map<string, PackSlot>>): void {
    this.packed = { packs, locate };
  }

  /** The bytes of blobs that have no file, from their packs; absent where none is recorded. */
  private async fromPacks(ids: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (!this.packed || ids.length === 0) return out;
    const where = [...(await this.packed.locate(ids))];
    const bytes = await this.packed.packs.read(where.map(([, slot]) => slot));
    where.forEach(([id], i) => bytes[i] && out.set(id, bytes[i]));
    return out;
  }

  /**
   * Fills in, from packs, the files a batched read did not find. One found in neither place may
   * have been written out between the two looks (its pack then deleted): read once more.
   */
  private async fillFromPacks(wanted: { id: string; length: number }[], files: (Buffer | null)[]): Promise<void> {
    const missing = files.flatMap((f, i) => (f === null ? [i] : []));
    if (missing.length === 0 || !this.packed) return;
    const found = await this.fromPacks(missing.map((i) => wanted[i].id));
    const again = missing.filter((i) => !found.has(wanted[i].id));
    const reread = again.length ? await this.readHeads(again.map((i) => wanted[i])) : [];
    again.forEach((i, k) => (files[i] = reread[k]));
    for (const i of missing) {
      const bytes = found.get(wanted[i].id);
      if (bytes) files[i] = bytes.subarray(0, Math.min(bytes.length, wanted[i].length));
    }
  }

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
    try {
      return await readFile(this.pathOf(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !this.packed) throw err;
      // Not in a pack either: written out between the two looks, or really missing.
      return (await this.fromPacks([id])).get(id) ?? readFile(this.pathOf(id));
    }
  }

  /** The first `length` bytes of each blob (fewer if it is shorter); null for a missing one. */
  async heads(wanted: { id: string; length: number }[]): Promise<(Buffer | null)[]> {
    if (wanted.length === 0) return [];
    const files = await this.readHeads(wanted);
    await this.fillFromPacks(wanted, files);
    return files;
  }

  /** As heads(), from the files only. */
  private readHeads(wanted: { id: string; length: number }[]): Promise<(Buffer | null)[]> {
    return this.files.read(wanted.map((w) => ({ path: this.pathOf(w.id), length: w.length })));
  }

  /** As heads(), into reused memory that the caller gives back with release(). */
  async lease(wanted: { id: string; length: number }[]): Promise<Lease> {
    const lease = await this.files.lease(wanted.map((w) => ({ path: this.pathOf(w.id), length: w.length })));
    try {
      await this.fillFromPacks(wanted, lease.files);
    } catch (err) {
      lease.release();
      throw err;
    }
    return lease;
  }

  /** Stops the reading threads. */
  close(): Promise<void> {
    return this.files.close();
  }

  stream(id: string, range?: { start: number; end: number }): Readable {
    const path = this.pathOf(id);
    if (!this.packed || existsSync(path)) return createReadStream(path, range ? { start: range.start, end: range.end - 1 } : undefined);
    // Still in a pack: read whole (a message, at most the size limit) for the short while until written out.
    const get = () => this.get(id);
    return Readable.from(
      (async function* () {
        const all = await get();
        yield range ? all.subarray(range.start, range.end) : all;
      })(),
      { objectMode: false },
    );
  }

  async delete(id: string): Promise<void> {
    await unlink(this.pathOf(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
