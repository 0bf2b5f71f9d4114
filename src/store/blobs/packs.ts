import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createDir, syncDir } from './fs.ts';

/** Where one message is in a pack. */
export interface PackSlot {
  pack: string;
  offset: number;
  size: number;
}

/** The slot a database row records (a staged download, or a blob not yet written out); PostgreSQL returns bigints as strings. */
export function slotOf(row: { pack: string | null; pack_offset: number | string | null; size: number | string }): PackSlot {
  return { pack: row.pack!, offset: Number(row.pack_offset), size: Number(row.size) };
}

/**
 * Staging packs (ADR 0031): a batch of downloaded messages written as one file, fsynced once,
 * instead of a content-addressed blob per message with three fsyncs each. A mirror's download is
 * durable once its pack is; the messages become blobs later, when they are indexed, and the pack
 * is deleted when nothing staged points into it any more.
 */
export class PackStore {
  private ready: Promise<void> | null = null;

  constructor(private readonly root: string) {}

  /** Writes the messages one after another into a new pack, durably; where each one is. */
  async write(messages: Buffer[]): Promise<PackSlot[]> {
    await (this.ready ??= createDir(this.root));
    const pack = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const fh = await open(this.pathOf(pack), 'wx');
    try {
      await fh.writev(messages);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // The new file's entry in the folder must be durable too.
    await syncDir(this.root);
    let offset = 0;
    return messages.map((m) => {
      const slot = { pack, offset, size: m.length };
      offset += m.length;
      return slot;
    });
  }

  /** The bytes of each slot; null where the pack or the slot's bytes are missing. */
  async read(slots: PackSlot[]): Promise<(Buffer | null)[]> {
    const out: (Buffer | null)[] = new Array(slots.length).fill(null);
    for (const [pack, indexes] of byPack(slots)) {
      let fh;
      try {
        fh = await open(this.pathOf(pack), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        const { start, span } = spanOf(slots, indexes);
        const { bytesRead } = await fh.read(span, 0, span.length, start);
        cut(slots, indexes, start, span.subarray(0, bytesRead), out);
      } finally {
        await fh.close();
      }
    }
    return out;
  }

  /**
   * As read(), without leaving the thread: a chunk's bytes are in hand at once, so its parse can
   * start on another thread before this one goes back to other work (ADR 0034). An async read's
   * callback would wait for that work to finish. Packs were just written: these are page-cache copies.
   */
  readNow(slots: PackSlot[]): (Buffer | null)[] {
    const out: (Buffer | null)[] = new Array(slots.length).fill(null);
    for (const [pack, indexes] of byPack(slots)) {
      let fd;
      try {
        fd = openSync(this.pathOf(pack), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        const { start, span } = spanOf(slots, indexes);
        const bytesRead = readSync(fd, span, 0, span.length, start);
        cut(slots, indexes, start, span.subarray(0, bytesRead), out);
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  /** Every pack there is, to drop those nothing points into. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.root)).filter((f) => f.endsWith('.pack')).map((f) => f.slice(0, -'.pack'.length));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async remove(pack: string): Promise<void> {
    await unlink(this.pathOf(pack)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private pathOf(pack: string): string {
    if (!/^[0-9a-z]+-[0-9a-f]{12}$/.test(pack)) throw new Error(`invalid pack name ${pack}`);
    return join(this.root, `${pack}.pack`);
  }
}

/** The slots' indexes by pack. */
function byPack(slots: PackSlot[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let i = 0; i < slots.length; i++) {
    const indexes = out.get(slots[i].pack);
    if (indexes) indexes.push(i);
    else out.set(slots[i].pack, [i]);
  }
  return out;
}

/** Slots staged together lie together: one read of the span covering them. */
function spanOf(slots: PackSlot[], indexes: number[]): { start: number; span: Buffer } {
  const start = Math.min(...indexes.map((i) => slots[i].offset));
  const end = Math.max(...indexes.map((i) => slots[i].offset + slots[i].size));
  return { start, span: Buffer.allocUnsafe(end - start) };
}

/** Each slot's bytes out of the span read, where the read reached them. */
function cut(slots: PackSlot[], indexes: number[], start: number, read: Buffer, out: (Buffer | null)[]): void {
  for (const i of indexes) {
    const from = slots[i].offset - start;
    if (from + slots[i].size <= read.length) out[i] = read.subarray(from, from + slots[i].size);
  }
}
