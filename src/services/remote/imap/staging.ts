import type { FetchMessageObject } from 'imapflow';
import type { BlobRef } from '../../../store/blobs/fs.ts';
import { slotOf } from '../../../store/blobs/packs.ts';
import type { RemoteStagedRow } from '../../../store/db/schema.ts';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import type { IngestService } from '../../delivery/ingest.ts';
import { ServiceError } from '../../errors.ts';
import { dropUnusedPacks, type PackedBlobs } from '../../mail/packed-blobs.ts';
import type { ParsePool } from '../../mail/parse-pool.ts';
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
  /** Writes out the blobs indexing leaves in packs. */
  packed: PackedBlobs;
  /** Hashes and parses the next chunk while the main thread stores the current one. */
  parser: ParsePool;
  /** Keeps indexing from interleaving with a user's write to the same account. */
  exclusive<T>(accountId: string, fn: () => Promise<T>): Promise<T>;
}

// Staged rows indexed per turn of the account's lock: user writes wait at most one turn.
const INDEX_CHUNK = 200;

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
 * each chunk. Each message becomes an email whose blob stays in the pack, its file written out
 * later (ADR 0033). A staged message this server does not take (too large) is dropped for good;
 * one whose bytes are missing is dropped and fetched again by the next pass.
 */
export async function indexStaged(deps: StagingDeps, accountId: string, folderId: string | null, indexed?: (n: number) => void): Promise<void> {
  const { store } = deps;
  const drained = new Set<string>();
  // The next chunk is read and parsed (parse threads) while this one is stored (the main thread).
  let next = awaitedLater(readChunk(deps, accountId, folderId, null));
  for (;;) {
    const chunk = await next;
    const { rows } = chunk;
    if (rows.length === 0) break;
    const last = rows[rows.length - 1];
    next = awaitedLater(readChunk(deps, accountId, folderId, { folder_id: last.folder_id, uid: Number(last.uid) }));
    await deps.exclusive(accountId, () => indexChunk(deps, accountId, chunk));
    for (const r of rows) drained.add(r.pack);
    indexed?.(rows.length);
  }
  // Packs whose messages all became blobs stored before (the same bytes in another folder).
  await dropUnusedPacks(store, drained);
}

/**
 * A chunk of staged rows from just past `after`, their bytes, and for each one found its parse
 * and its blob, still in the pack.
 */
async function readChunk({ store, parser }: StagingDeps, accountId: string, folderId: string | null, after: { folder_id: string; uid: number } | null) {
  const rows = await remoteRepo.staged(store.db, accountId, folderId, after, INDEX_CHUNK);
  const slots = rows.map(slotOf);
  const raws = store.packs.readNow(slots);
  const prepared = await parser.prepare(raws.filter((r): r is Buffer => r !== null));
  let at = 0;
  const parsed = raws.map((r, i) => {
    if (!r) return null;
    const { id, message } = prepared[at++];
    const blob: BlobRef = { id, size: r.length, slot: slots[i] };
    return { blob, message };
  });
  return { rows, raws, parsed };
}

type StagedChunk = Awaited<ReturnType<typeof readChunk>>;

/** One prepared chunk, under the account's lock: its rows become emails in one write (ADR 0032). */
async function indexChunk(deps: StagingDeps, accountId: string, { rows, raws, parsed }: StagedChunk): Promise<void> {
  const { store } = deps;
  // The rows were read before the lock: a folder deleted since (a user's write) took its rows along.
  const still = await remoteRepo.stillStaged(store.db, rows);
  const staged = rows.map((r) => ({ folder_id: r.folder_id, uid: Number(r.uid) }));
  const taken: number[] = [];
  const missing: number[] = [];
  for (const [i, r] of staged.entries()) {
    if (!still.has(`${r.folder_id} ${r.uid}`)) continue;
    if (raws[i]) taken.push(i);
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
      ...parsed[i]!,
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
    // Larger than this server takes: skipped for good rather than retried every pass.
    if (r.reason instanceof ServiceError && r.reason.code === 'tooLarge') tooLarge.push(taken[k]);
    else failure ??= r.reason;
  }
  if (tooLarge.length) await store.write((w) => remoteRepo.unstage(w.trx, tooLarge.map((i) => staged[i])));
  if (failure) throw failure;
}
