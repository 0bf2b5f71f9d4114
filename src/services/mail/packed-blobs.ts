import type { Logger } from 'pino';
import { slotOf } from '../../store/blobs/packs.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';

// Blobs written out per turn: one read of their packs, one batch for the file threads, one write.
const BATCH = 200;
// A pack nothing points into is an orphan once this old: its rows went with a deleted folder, or
// the process died between writing it and committing them. Younger ones may be a batch whose
// rows are about to commit.
const ORPHAN_PACK_MS = 60 * 60_000;

/**
 * Writes out as content-addressed files the blobs that a mirror's indexing left in their staging
 * packs (ADR 0033), and deletes the packs nothing points into any more. This is off the path to
 * a message being visible: it runs after a sync pass, once at a time, and once more if asked
 * while running. Until a blob is written out, reads find its bytes in the pack.
 */
export class PackedBlobs {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly log?: Logger,
  ) {}

  /** Writes out what an earlier process left in packs, and from now on what writeOut() is asked for. */
  start(): void {
    this.stopped = false;
    void this.writeOut();
  }

  /** Waits for the batch being written; what is left stays in its packs for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves once every blob in a pack when it was called is a file (or the service stopped). Never rejects: failures are logged and retried by the next run. */
  writeOut(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = null));
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      try {
        await this.run();
      } catch (err) {
        this.log?.error({ err }, 'cannot write out blobs from staging packs');
        return;
      }
    }
  }

  private async run(): Promise<void> {
    const { store } = this;
    const touched = new Set<string>();
    let after: { pack: string; offset: number } | null = null;
    while (!this.stopped) {
      const batch = await mailRepo.packedBlobs(store.db, after, BATCH);
      if (batch.length === 0) break;
      const slots = batch.map(slotOf);
      after = slots[slots.length - 1];
      for (const s of slots) touched.add(s.pack);
      const bytes = await store.packs.read(slots);
      const found = batch.flatMap((b, i) => (bytes[i] ? [{ id: b.id, raw: bytes[i]! }] : []));
      const written = await store.blobs.putMany(found.map((f) => f.raw));
      const good = found.filter((f, i) => written[i].id === f.id).map((f) => f.id);
      // Left in place, for an operator to see: the pack lost or changed bytes it had fsynced.
      if (good.length < batch.length) {
        const ok = new Set(good);
        this.log?.error({ blobs: batch.filter((b) => !ok.has(b.id)).map((b) => b.id) }, 'staging pack does not hold the bytes recorded for these blobs');
      }
      await store.write(async (w) => {
        const kept = await mailRepo.unpackBlobs(w.trx, good);
        // Collected while being written (no email wanted it any more): the new file is an orphan.
        for (const id of good) if (!kept.has(id)) await store.blobs.delete(id);
      });
    }
    await dropUnusedPacks(store, touched);
  }
}

/**
 * Deletes the packs given that nothing points into now (neither a staged download nor a blob
 * not yet written out), and orphans old enough to be sure of.
 */
export async function dropUnusedPacks(store: Store, candidates: Set<string>): Promise<void> {
  const now = Date.now();
  const old = (await store.packs.list()).filter((p) => now - parseInt(p.split('-')[0], 36) > ORPHAN_PACK_MS);
  const all = [...new Set([...candidates, ...old])];
  const used = await remoteRepo.packsInUse(store.db, all);
  for (const pack of all) if (!used.has(pack)) await store.packs.remove(pack);
}
