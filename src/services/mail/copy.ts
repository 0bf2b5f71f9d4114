import type { EmailRow } from '../../store/db/schema.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import type { WriteContext } from '../../store/changes.ts';
import type { Store, WriteFn } from '../../store/store.ts';
import { invalid, notFound } from '../errors.ts';
import type { EmailWriter, NewEmail } from './email-writer.ts';
import { prepareMessage } from './prepared-message.ts';
import { normalizeKeywords, parseKeywords } from './keywords.ts';
import type { Visibility } from './messages.ts';

/** One email to copy and what the copy changes; everything else is the original's. */
export interface EmailCopy {
  /** The email in the source account. */
  id: string;
  /** Mailboxes of the target account: the original's belong to the source. */
  mailboxIds: string[];
  keywords?: string[];
  receivedAt?: number;
}

// Raw messages held in memory before their copies are committed together.
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Copies emails into another account (JMAP Email/copy). The raw message is shared by content
 * address: a copy adds a reference to the original's blob, never a second file. Copies are
 * created by the writer ingest uses, so the target gets its own thread, counters, change log
 * entries and quota usage. Each copy succeeds or fails alone; results follow the input order.
 */
/**
 * Puts a copy somewhere before it is stored (a mirrored target's upstream server); returns what
 * to record in the copy's own transaction.
 */
export type PlaceCopy = (email: NewEmail) => Promise<(w: WriteContext, emailId: string) => Promise<void>>;

export async function copyEmails(
  store: Store,
  writer: EmailWriter,
  fromAccountId: string,
  toAccountId: string,
  copies: EmailCopy[],
  v: Visibility,
  place?: PlaceCopy,
): Promise<PromiseSettledResult<EmailRow>[]> {
  const [sources, mailboxes, quota] = await Promise.all([
    repo.emailsByIds(store.db, fromAccountId, copies.map((c) => c.id), v.hideDeleted),
    repo.mailboxes(store.db, toAccountId),
    directoryRepo.accountQuota(store.db, toAccountId),
  ]);
  if (!quota) throw notFound(`account ${toAccountId}`);
  const byId = new Map(sources.map((r) => [r.id, r]));
  const targetBoxes = new Set(mailboxes.map((m) => m.id));

  const results: PromiseSettledResult<EmailRow>[] = new Array(copies.length);
  let batch: { index: number; write: WriteFn<EmailRow> }[] = [];
  let bytes = 0;
  const commit = async () => {
    const settled = await store.writeBatch(batch.map((b) => b.write));
    batch.forEach((b, i) => (results[b.index] = settled[i]));
    batch = [];
    bytes = 0;
  };
  for (const [index, c] of copies.entries()) {
    try {
      const source = byId.get(c.id);
      if (!source) throw notFound(`email ${c.id}`);
      if (c.mailboxIds.length === 0) throw invalid('mailboxIds', 'must name at least one mailbox');
      const unknown = c.mailboxIds.find((m) => !targetBoxes.has(m));
      if (unknown) throw invalid('mailboxIds', `mailbox ${unknown} does not exist in account ${toAccountId}`);
      const raw = await store.blobs.get(source.blob_id);
      const email: NewEmail = {
        accountId: toAccountId,
        blob: { id: source.blob_id, size: source.size },
        raw,
        message: prepareMessage(raw),
        mailboxIds: [...new Set(c.mailboxIds)],
        keywords: c.keywords ? normalizeKeywords(c.keywords) : parseKeywords(source.keywords),
        receivedAt: c.receivedAt ?? source.received_at,
        quota: quota.limit,
      };
      const link = place ? await place(email) : null;
      batch.push({
        index,
        write: async (w) => {
          const row = await writer.create(w, email);
          await link?.(w, row.id);
          return row;
        },
      });
      bytes += raw.length;
    } catch (reason) {
      results[index] = { status: 'rejected', reason };
    }
    if (bytes >= BATCH_BYTES) await commit();
  }
  if (batch.length > 0) await commit();
  return results;
}
