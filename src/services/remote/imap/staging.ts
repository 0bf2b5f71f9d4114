import type { FetchMessageObject } from 'imapflow';
import type { RemoteStagedRow } from '../../../store/db/schema.ts';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import type { IngestService } from '../../delivery/ingest.ts';
import { ServiceError } from '../../errors.ts';
import { awaitedLater } from '../../../util/later.ts';
import { keywordsFromFlags } from './keywords.ts';
import type { Mirror } from './mirror.ts';

/**
 * The two stages of bringing upstream messages in (ADR 0031). Staging makes a batch of downloads
 * durable with no parsing: one pack file, fsynced once, then one row per message recording its
 * UID and place in the pack, in one transaction. Indexing turns staged rows into emails through
 * the ingest pipeline; each email's link to its UID is written in the transaction that deletes
 * its staged row.
 */

export interface StagingDeps {
  store: Store;
  ingest: IngestService;
  mirror: Mirror;
  /** Keeps indexing from interleaving with a user's write to the same account. */
  exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T>;
}

// Staged rows indexed per turn of the account's lock: user writes wait at most one turn.
const INDEX_CHUNK = 200;
// A pack no staged row points into is an orphan once this old: its rows went with a deleted
// folder, or the process died between writing it and committing them. Younger ones may be a
// batch whose rows are about to commit.
const ORPHAN_PACK_MS = 60 * 60_000;

/** Stores fetched messages durably and records their UIDs, for indexing afterwards. */
export async function stageMessages(store: Store, folderId: string, messages: FetchMessageObject[]): Promise<void> {
  const fetched = messages.filter((m) => m.source && m.source.length > 0);
  if (fetched.length === 0) return;
  const slots = await store.packs.write(fetched.map((m) => m.source!));
  const rows: RemoteStagedRow[] = fetched.map((m, i) => {
    const receivedAt = m.internalDate ? new Date(m.internalDate).getTime() : NaN;
    return {
      folder_id: folderId,
      uid: m.uid,
      pack: slots[i].pack,
      pack_offset: slots[i].offset,
      size: slots[i].size,
      keywords: keywordsFromFlags(m.flags ?? []).join(' '),
      received_at: Number.isFinite(receivedAt) ? receivedAt : null,
    };
  });
  await store.write(async (w) => {
    await remoteRepo.stage(w.trx, rows);
  });
}

/**
 * Indexes what is staged for an account (or one folder of it), oldest UID first; `indexed` hears
 * each chunk. The bytes become content-addressed blobs (written by the file threads, a chunk at
 * a time) and then emails. A staged message this server does not take (too large) is dropped
 * for good; one whose bytes are missing is dropped and fetched again by the next pass.
 */
export async function indexStaged(deps: StagingDeps, accountId: string, folderId: string | null, indexed?: (n: number) => void): Promise<void> {
  const { store } = deps;
  const drained = new Set<string>();
  // The next chunk is read and its blobs written (file threads, mostly fsync waits) while this
  // one is parsed and committed (the main thread).
  let next = awaitedLater(prepareChunk(store, accountId, folderId, null));
  try {
    for (;;) {
      const chunk = await next;
      const { rows } = chunk;
      if (rows.length === 0) break;
      const last = rows[rows.length - 1];
      next = awaitedLater(prepareChunk(store, accountId, folderId, { folder_id: last.folder_id, uid: Number(last.uid) }));
      await deps.exclusive(accountId, () => indexChunk(deps, accountId, chunk));
      for (const r of rows) drained.add(r.pack);
      indexed?.(rows.length);
    }
  } catch (err) {
    // The chunk read ahead wrote blobs that nothing will reference now.
    const ahead = await next.catch(() => null);
    for (const blob of ahead?.blobs ?? []) if (blob) await deps.mirror.discard(blob).catch(() => undefined);
    throw err;
  }
  await dropPacks(store, drained);
}

/** A chunk of staged rows from just past `after`, their bytes, and a durable blob for each one found. */
async function prepareChunk(store: Store, accountId: string, folderId: string | null, after: { folder_id: string; uid: number } | null) {
  const rows = await remoteRepo.staged(store.db, accountId, folderId, after, INDEX_CHUNK);
  const raws = await store.packs.read(rows.map((r) => ({ pack: r.pack, offset: Number(r.pack_offset), size: Number(r.size) })));
  const found = raws.filter((r): r is Buffer => r !== null);
  const written = await store.blobs.putMany(found);
  let at = 0;
  const blobs = raws.map((r) => (r ? written[at++] : null));
  return { rows, raws, blobs };
}

type StagedChunk = Awaited<ReturnType<typeof prepareChunk>>;

/** One prepared chunk, under the account's lock: its rows become emails in one write (ADR 0032). */
async function indexChunk(deps: StagingDeps, accountId: string, { rows, raws, blobs }: StagedChunk): Promise<void> {
  const { store } = deps;
  // The rows were read before the lock: a folder deleted since (a user's write) took its rows along.
  const still = await remoteRepo.stillStaged(store.db, rows);
  const staged = rows.map((r) => ({ folder_id: r.folder_id, uid: Number(r.uid) }));
  const taken: number[] = [];
  const missing: number[] = [];
  for (const [i, r] of staged.entries()) {
    if (!still.has(`${r.folder_id} ${r.uid}`)) {
      if (blobs[i]) await deps.mirror.discard(blobs[i]!);
    } else if (raws[i]) taken.push(i);
    else missing.push(i);
  }
  if (missing.length) {
    await store.write(async (w) => {
      await remoteRepo.unstage(w.trx, missing.map((i) => staged[i]));
      for (const i of missing) await remoteRepo.refetchFrom(w.trx, staged[i].folder_id, staged[i].uid);
    });
  }
  const results = await deps.ingest.ingestFromUpstream(
    accountId,
    taken.map((i) => ({
      raw: raws[i]!,
      blob: blobs[i]!,
      mailboxId: rows[i].mailbox_id,
      keywords: rows[i].keywords ? rows[i].keywords.split(' ') : [],
      receivedAt: rows[i].received_at === null ? undefined : Number(rows[i].received_at),
    })),
    // Each email's UID link and the end of its staged row commit with the email.
    async (w, stored) => {
      const linked = stored.map((s) => ({ ...staged[taken[s.index]], email_id: s.emailId }));
      await remoteRepo.insertMessages(w.trx, linked);
      await remoteRepo.unstage(w.trx, linked);
    },
  );
  const tooLarge: number[] = [];
  let failure: unknown = null;
  for (const [k, r] of results.entries()) {
    if (r.status === 'fulfilled') continue;
    // The blob file was written for this email: gone again unless another email holds the same bytes.
    await deps.mirror.discard(blobs[taken[k]]!);
    // Larger than this server takes: skipped for good rather than retried every pass.
    if (r.reason instanceof ServiceError && r.reason.code === 'tooLarge') tooLarge.push(taken[k]);
    else failure ??= r.reason;
  }
  if (tooLarge.length) await store.write((w) => remoteRepo.unstage(w.trx, tooLarge.map((i) => staged[i])));
  if (failure) throw failure;
}

/**
 * Deletes the packs just drained that nothing points into now (every row of a pack commits at
 * once, so having read one, none is still to come), and orphans old enough to be sure of.
 */
async function dropPacks(store: Store, drained: Set<string>): Promise<void> {
  const now = Date.now();
  const old = (await store.packs.list()).filter((p) => now - parseInt(p.split('-')[0], 36) > ORPHAN_PACK_MS);
  const candidates = [...new Set([...drained, ...old])];
  const used = await remoteRepo.packsInUse(store.db, candidates);
  for (const pack of candidates) if (!used.has(pack)) await store.packs.remove(pack);
}
