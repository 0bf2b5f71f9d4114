import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { mailRepo } from '../../../store/repos/mail.ts';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import { parseKeywords } from '../../mail/keywords.ts';
import { sinceDate, type SyncSettings } from '../settings.ts';
import type { FolderToSync } from './folders.ts';
import { keywordsFromFlags } from './keywords.ts';
import { stageMessages } from './staging.ts';
import { awaitedLater } from '../../../util/later.ts';
import type { Mirror } from './mirror.ts';
import { UpstreamError } from './connect.ts';

export interface FolderSyncDeps {
  store: Store;
  mirror: Mirror;
  accountId: string;
  sync: SyncSettings;
  /** Called as messages are stored durably (staged): done of total for this folder. */
  progress(path: string, done: number, total: number): void;
}

// Messages per FETCH of full sources (one staging pack each), bounded in memory.
const BATCH = 200;
const BATCH_BYTES = 32 * 1024 * 1024;
// Messages up to this size are batched without asking their exact size (a first pass).
const SMALL = 100 * 1024;
// Batches being staged at once.
const STAGING = 2;

/** What a listing says of a message: its UID, and its flags and size where asked for. */
type Listed = Pick<FetchMessageObject, 'uid' | 'flags' | 'size'>;

/** UIDs as an IMAP sequence set with runs collapsed (1:500,502), so long lists stay short commands. */
export function uidSet(uids: number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

async function collect(client: ImapFlow, range: string, query: Parameters<ImapFlow['fetch']>[1], options: Parameters<ImapFlow['fetch']>[2]): Promise<FetchMessageObject[]> {
  // imapflow runs no other command while a fetch is being iterated: gather first, then write.
  const out: FetchMessageObject[] = [];
  for await (const m of client.fetch(range, query, options)) out.push(m);
  // A connection that drops mid-FETCH can end the iteration quietly: a partial answer must not
  // pass for a whole one, or the folder would be marked synced past messages never stored.
  if (!client.usable) throw new UpstreamError('the connection to the upstream server closed during a FETCH', 'network');
  return out;
}

/** UID SEARCH; a failed search must never read as "no messages" (that would expunge the mirror). */
async function searchUids(client: ImapFlow, query: Parameters<ImapFlow['search']>[0]): Promise<number[]> {
  const found = await client.search(query, { uid: true });
  if (!Array.isArray(found)) throw new UpstreamError('the upstream server did not answer a SEARCH', 'protocol');
  return found;
}

/**
 * One folder, one pass: what vanished upstream is expunged locally, changed flags become
 * keywords, and new messages are fetched and staged: stored durably with their UIDs, to be
 * indexed into emails after (staging.ts). With CONDSTORE only changes since the last pass are
 * asked for (QRESYNC also reports expunges as VANISHED); otherwise the UID and flag lists are
 * compared whole. A UIDVALIDITY change re-maps the folder, matching messages already here
 * instead of copying them again.
 */
export async function syncFolderMessages(client: ImapFlow, deps: FolderSyncDeps, folder: FolderToSync): Promise<void> {
  const { store, accountId } = deps;
  const vanished: number[] = [];
  const onExpunge = (e: { path: string; uid?: number; vanished?: boolean }) => {
    if (e.path === folder.path && e.vanished && e.uid) vanished.push(e.uid);
  };
  let box;
  try {
    box = await client.mailboxOpen(folder.path, { readOnly: true });
  } catch (err) {
    // Deleted or renamed since the folder tree was read (by a write made through Gannet in
    // between, or at the provider): nothing to sync here; the next tree pass reconciles it.
    const e = err as { mailboxMissing?: boolean; serverResponseCode?: string };
    if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT') return;
    throw err;
  }
  client.on('expunge', onExpunge);
  try {
    let row = folder.row;
    const uidValidity = Number(box.uidValidity);
    const reset = row.uidvalidity !== 0 && row.uidvalidity !== uidValidity;
    let known = await remoteRepo.messages(store.db, row.id);
    const forgotten = reset ? known : new Map<number, string>();
    if (reset) {
      await remoteRepo.forgetFolderMessages(store.db, row.id);
      row = { ...row, uidnext: 0, highestmodseq: 0 };
      known = new Map();
    }
    const modseq = box.noModseq || box.highestModseq === undefined ? 0 : Number(box.highestModseq);
    const condstore = client.enabled.has('CONDSTORE') && modseq > 0 && row.highestmodseq > 0;
    const qresync = condstore && client.enabled.has('QRESYNC');

    let listed: Listed[] | null = null;
    let changed: Listed[] = [];
    if (box.exists === 0) listed = [];
    else if (row.uidnext === 0) listed = await firstListing(client, known);
    else if (!condstore) listed = await collect(client, '1:*', { uid: true, flags: true }, { uid: true });
    else if (modseq > row.highestmodseq) changed = await collect(client, '1:*', { uid: true, flags: true }, { uid: true, changedSince: BigInt(row.highestmodseq) });

    // Expunged upstream.
    const gone = new Map<number, string>();
    if (listed) {
      const present = new Set(listed.map((m) => m.uid));
      for (const [uid, id] of known) if (!present.has(uid)) gone.set(uid, id);
    } else if (qresync) {
      for (const uid of vanished) if (known.has(uid)) gone.set(uid, known.get(uid)!);
    } else if (modseq > row.highestmodseq) {
      // CONDSTORE without QRESYNC does not report expunges: compare the UID list.
      const present = new Set(await searchUids(client, { all: true }));
      for (const [uid, id] of known) if (!present.has(uid)) gone.set(uid, id);
    }
    if (gone.size) await deps.mirror.expunge(accountId, row.id, gone);

    // Flags of messages already here.
    const flagged = (listed ?? changed).filter((m) => known.has(m.uid) && !gone.has(m.uid) && m.flags);
    if (flagged.length) {
      const current = new Map((await mailRepo.emailsByIds(store.db, accountId, flagged.map((m) => known.get(m.uid)!))).map((r) => [r.id, parseKeywords(r.keywords).join(' ')]));
      const updates = flagged
        .map((m) => ({ emailId: known.get(m.uid)!, keywords: keywordsFromFlags(m.flags!) }))
        .filter((u) => current.has(u.emailId) && current.get(u.emailId) !== u.keywords.join(' '));
      if (updates.length) await deps.mirror.setKeywords(accountId, updates);
    }

    // New upstream: everything at or above the last UIDNEXT (a first pass honours the limits).
    let fresh: number[];
    if (listed) fresh = listed.map((m) => m.uid).filter((uid) => uid >= row.uidnext && !known.has(uid));
    else if (box.uidNext > row.uidnext) fresh = (await searchUids(client, { uid: `${Math.max(row.uidnext, 1)}:*` })).filter((uid) => uid >= row.uidnext && !known.has(uid));
    else fresh = [];
    fresh.sort((a, b) => a - b);
    if (row.uidnext === 0) fresh = await applyLimits(client, deps.sync, fresh);
    if (reset && forgotten.size) fresh = await rematch(client, deps, row.id, fresh, forgotten);

    await fetchNew(client, deps, { ...folder, row }, fresh, sizesOf(listed ?? []));
    if (!client.usable) throw new UpstreamError('the connection to the upstream server closed during the sync', 'network');
    await remoteRepo.updateFolder(store.db, row.id, { uidvalidity: uidValidity, uidnext: box.uidNext, highestmodseq: modseq, synced_at: Date.now() });
  } finally {
    client.off('expunge', onExpunge);
  }
}

/**
 * The listing of a first pass, with one SEARCH for the UIDs instead of a FETCH response per
 * message (for 20,000 messages, 0.7 s of response parsing): the flags come with each message's
 * source. Sizes, which bound the fetch batches, are asked for only of messages over SMALL bytes;
 * the others are listed as that size, an upper bound. Known messages (a first pass that was cut
 * short) are listed with their flags, to be compared as in any later pass.
 */
async function firstListing(client: ImapFlow, known: Map<number, string>): Promise<Listed[]> {
  const uids = await searchUids(client, { all: true });
  const large = new Set(await searchUids(client, { larger: SMALL }));
  const fetchSome = async (wanted: number[], query: Parameters<ImapFlow['fetch']>[1]) =>
    new Map((wanted.length ? await collect(client, uidSet(wanted), query, { uid: true }) : []).map((m) => [m.uid, m]));
  const flags = await fetchSome(uids.filter((uid) => known.has(uid)), { uid: true, flags: true });
  const sizes = await fetchSome(uids.filter((uid) => large.has(uid) && !known.has(uid)), { uid: true, size: true });
  return uids.map((uid) => ({
    uid,
    flags: flags.get(uid)?.flags,
    // A large message expunged between the SEARCH and the FETCH has no size: it is not fetched.
    size: large.has(uid) ? sizes.get(uid)?.size : SMALL,
  }));
}

/** A first pass mirrors only the newest N messages, or those of the last N days or weeks. */
async function applyLimits(client: ImapFlow, sync: SyncSettings, uids: number[]): Promise<number[]> {
  if (sync.limitType === 'messages') return uids.slice(-sync.limitValue!);
  const since = sinceDate(sync, Date.now());
  if (!since) return uids;
  const recent = new Set(await searchUids(client, { since }));
  return uids.filter((uid) => recent.has(uid));
}

/**
 * After a UIDVALIDITY change: messages that are still the same (Message-ID and size) keep their
 * local email under the new UID; local emails with no counterpart any more are expunged.
 * Returns the UIDs that still have to be fetched.
 */
async function rematch(client: ImapFlow, deps: FolderSyncDeps, folderId: string, uids: number[], forgotten: Map<number, string>): Promise<number[]> {
  const old = await mailRepo.emailsByIds(deps.store.db, deps.accountId, [...forgotten.values()]);
  const byKey = new Map<string, string[]>();
  for (const e of old) {
    const key = `${e.message_id ?? ''}|${e.size}`;
    byKey.set(key, [...(byKey.get(key) ?? []), e.id]);
  }
  const headers = uids.length ? await collect(client, uidSet(uids), { uid: true, size: true, envelope: true }, { uid: true }) : [];
  const links: { uid: number; emailId: string }[] = [];
  for (const m of headers) {
    const id = m.envelope?.messageId?.replace(/^<|>$/g, '') ?? '';
    const same = byKey.get(`${id}|${m.size}`);
    if (same?.length) links.push({ uid: m.uid, emailId: same.shift()! });
  }
  await deps.mirror.relink(folderId, links);
  const kept = new Set(links.map((l) => l.emailId));
  const lost = new Map([...forgotten].filter(([, id]) => !kept.has(id)));
  // The UIDs are gone with the old UIDVALIDITY; only the emails remain to be destroyed.
  if (lost.size) await deps.mirror.expunge(deps.accountId, folderId, lost);
  const linked = new Set(links.map((l) => l.uid));
  return uids.filter((uid) => !linked.has(uid));
}

/** The sizes a listing gave, by UID; a message it gave none for is left out. */
function sizesOf(messages: Listed[]): Map<number, number> {
  return new Map(messages.filter((m) => m.size !== undefined).map((m) => [m.uid, m.size!]));
}

/** Splits UIDs into fetches of at most BATCH messages and about BATCH_BYTES; sizes not `known` are asked for. */
async function batches(client: ImapFlow, uids: number[], known: Map<number, number>): Promise<number[][]> {
  if (uids.length === 0) return [];
  const missing = uids.filter((uid) => !known.has(uid));
  const fetched = missing.length ? await collect(client, uidSet(missing), { uid: true, size: true }, { uid: true }) : [];
  const sizes = new Map([...known, ...fetched.map((m) => [m.uid, m.size ?? 0] as const)]);
  const out: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    if (!sizes.has(uid)) continue; // expunged since the listing
    if (current.length && (current.length >= BATCH || bytes + sizes.get(uid)! > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(uid);
    bytes += sizes.get(uid)!;
  }
  if (current.length) out.push(current);
  return out;
}

async function fetchNew(client: ImapFlow, deps: FolderSyncDeps, folder: FolderToSync, uids: number[], sizes: Map<number, number>): Promise<void> {
  let done = 0;
  deps.progress(folder.path, 0, uids.length);
  const fetchBatch = (batch: number[]) => collect(client, uidSet(batch), { uid: true, flags: true, internalDate: true, source: true }, { uid: true });
  const work = await batches(client, uids, sizes);
  // The next batch downloads while earlier ones are staged, and two batches stage at once: a
  // batch's time is mostly fsyncs, which the file system commits together when more come at once.
  const staging = new Set<Promise<void>>();
  let next = work.length ? awaitedLater(fetchBatch(work[0])) : null;
  try {
    for (let i = 0; i < work.length; i++) {
      const messages = await next!;
      next = i + 1 < work.length ? awaitedLater(fetchBatch(work[i + 1])) : null;
      const staged: Promise<void> = awaitedLater(
        stageMessages(deps.store, folder.row.id, messages).then(() => {
          staging.delete(staged);
          done += messages.length;
          deps.progress(folder.path, done, uids.length);
        }),
      );
      staging.add(staged);
      if (staging.size >= STAGING) await Promise.race(staging);
    }
    await Promise.all(staging);
  } catch (err) {
    // Nothing may still be writing, or reading from the connection, once the pass has failed.
    await Promise.allSettled([...staging, next]);
    throw err;
  }
}
