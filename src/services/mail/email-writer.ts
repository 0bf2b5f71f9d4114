import type { BlobRef } from '../../store/blobs/fs.ts';
import type { WriteContext } from '../../store/changes.ts';
import type { EmailMailboxRow, EmailRow } from '../../store/db/schema.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import { notFound, ServiceError } from '../errors.ts';
import { DELETED, parseKeywords } from './keywords.ts';
import { dropUnusedPacks } from './packed-blobs.ts';
import type { PreparedMessage } from './prepared-message.ts';
import { assignThreads } from './threading.ts';
import { recordVisibility } from './visibility.ts';

export interface NewEmail {
  accountId: string;
  blob: BlobRef;
  /** The raw bytes, kept to restore the blob file if a concurrent purge removed it. */
  raw: Buffer;
  message: PreparedMessage;
  mailboxIds: string[];
  keywords: string[];
  receivedAt: number;
  /** Account quota in bytes (0 = unlimited), checked inside the transaction. */
  quota: number;
}

/**
 * Every change to an email's stored state, inside a caller's write: creation, keywords,
 * mailbox membership, destruction. Mailbox counters, the change log, the full-text index,
 * blob references and quota usage are kept in step here and nowhere else.
 */
export class EmailWriter {
  constructor(private readonly store: Store) {}

  async create(w: WriteContext, e: NewEmail): Promise<EmailRow> {
    return (await this.createMany(w, [e]))[0];
  }

  /**
   * New emails of one account, in order, as one change: one modseq, and a few statements for
   * the lot instead of a dozen for each (a mirror's sync indexes hundreds at a time). The quota
   * is checked on their total, so either all fit or none is stored.
   */
  async createMany(w: WriteContext, emails: NewEmail[]): Promise<EmailRow[]> {
    if (emails.length === 0) return [];
    const { accountId, quota } = emails[0];
    if (emails.some((e) => e.accountId !== accountId)) throw new Error('createMany takes the emails of one account');
    const bytes = emails.reduce((n, e) => n + e.blob.size, 0);
    // First, so a full mailbox costs one statement and the quota is checked under the write lock.
    if (!(await repo.addUsageWithinQuota(w.trx, accountId, bytes, quota))) {
      const what = emails.length === 1 ? 'the message needs' : `the ${emails.length} messages need`;
      throw new ServiceError('overQuota', `mailbox is full: ${what} ${bytes} bytes of a ${quota}-byte quota`);
    }
    // A blob in a pack needs no file (ADR 0033); one that is a file may have just lost it to garbage collection.
    const settled = await repo.addBlobRefs(w.trx, emails.map((e) => e.blob));
    for (const e of emails) {
      if (settled.has(e.blob.id)) continue;
      settled.add(e.blob.id);
      await this.store.blobs.restore(e.blob, e.raw);
    }

    const modseq = await w.modseq(accountId);
    const ids = emails.map(() => newId('e'));
    for (const id of ids) await w.record(accountId, 'Email', id, 'c');
    // Nobody saw them before: created with $deleted (an IMAP COPY of a \Deleted message), JMAP never does.
    const hidden = ids.filter((_, i) => emails[i].keywords.includes(DELETED));
    if (hidden.length) await recordVisibility(w, accountId, hidden.map((id) => ({ id, keywords: '[]' })), [DELETED]);
    const threads = await assignThreads(w, accountId, emails.map((e) => ({ ...e.message, receivedAt: e.receivedAt })));
    for (const t of threads) await w.record(accountId, 'Thread', t.threadId, t.created ? 'c' : 'u');

    const rows: Omit<EmailRow, 'num'>[] = emails.map((e, i) => ({
      id: ids[i],
      account_id: accountId,
      blob_id: e.blob.id,
      thread_id: threads[i].threadId,
      size: e.blob.size,
      received_at: e.receivedAt,
      ...e.message.columns,
      keywords: JSON.stringify(e.keywords),
      seen: e.keywords.includes('$seen') ? 1 : 0,
      flagged: e.keywords.includes('$flagged') ? 1 : 0,
      created_modseq: modseq,
      updated_modseq: modseq,
    }));
    const nums = await repo.insertEmails(w.trx, rows);
    await this.addMembers(w, accountId, rows, emails.map((e) => e.mailboxIds), modseq);
    emails.forEach((e, i) => w.index({ num: nums[i], accountId, ...e.message.search }));
    return rows.map((r, i) => ({ ...r, num: nums[i] }));
  }

  /** Puts each new email in its mailboxes, UIDs in the order given, each mailbox's counters moved once. */
  private async addMembers(w: WriteContext, accountId: string, rows: Pick<EmailRow, 'id' | 'seen' | 'size' | 'received_at'>[], mailboxIds: string[][], modseq: number): Promise<void> {
    const byMailbox = new Map<string, number[]>();
    mailboxIds.forEach((ids, i) => {
      for (const m of ids) {
        const at = byMailbox.get(m);
        if (at) at.push(i);
        else byMailbox.set(m, [i]);
      }
    });
    const members: EmailMailboxRow[] = [];
    for (const [mailboxId, at] of byMailbox) {
      const size = at.reduce((n, i) => n + rows[i].size, 0);
      const unseen = at.reduce((n, i) => n + 1 - rows[i].seen, 0);
      const first = await repo.allocateUids(w.trx, mailboxId, at.length, size, unseen, modseq);
      at.forEach((i, k) => members.push({ email_id: rows[i].id, mailbox_id: mailboxId, account_id: accountId, uid: first + k, modseq, received_at: rows[i].received_at }));
      await w.record(accountId, 'Mailbox', mailboxId, 'u');
    }
    if (members.length) await repo.insertMemberships(w.trx, members);
  }

  async setKeywords(w: WriteContext, accountId: string, email: Pick<EmailRow, 'id' | 'keywords' | 'seen'>, keywords: string[]): Promise<void> {
    await this.setKeywordsMany(w, accountId, [email], keywords);
  }

  /**
   * New keywords for emails of one account that all end with the same ones (an IMAP STORE on a
   * range): one modseq, two UPDATEs of narrow rows (ADR 0029), counters adjusted per mailbox.
   * Emails whose keywords would not change are left alone. A keyword change leaves the email's
   * Thread as it is (RFC 8621 §3: a Thread is its email ids), unless it hides or shows the email.
   * Returns the modseq of the change, or null when nothing changed.
   */
  async setKeywordsMany(w: WriteContext, accountId: string, emails: Pick<EmailRow, 'id' | 'keywords' | 'seen'>[], keywords: string[]): Promise<number | null> {
    const target = keywords.join(' ');
    // Parsed once per distinct stored list: a STORE on a mailbox passes thousands of equal ones.
    const differs = new Map<string, boolean>();
    const changing = emails.filter((e) => {
      let d = differs.get(e.keywords);
      if (d === undefined) differs.set(e.keywords, (d = parseKeywords(e.keywords).join(' ') !== target));
      return d;
    });
    if (changing.length === 0) return null;
    const modseq = await w.modseq(accountId);
    const seen = keywords.includes('$seen') ? 1 : 0;
    await repo.setFlags(w.trx, changing.map((e) => e.id), { keywords: JSON.stringify(keywords), seen, flagged: keywords.includes('$flagged') ? 1 : 0 }, modseq);
    const flipped = new Map(changing.filter((e) => e.seen !== seen).map((e) => [e.id, e]));
    const unseenDelta = new Map<string, number>();
    for (const m of flipped.size ? await repo.memberships(w.trx, [...flipped.keys()]) : []) {
      unseenDelta.set(m.mailbox_id, (unseenDelta.get(m.mailbox_id) ?? 0) + flipped.get(m.email_id)!.seen - seen);
    }
    for (const [mailboxId, unseen] of unseenDelta) {
      await repo.adjustCounts(w.trx, mailboxId, { count: 0, unseen, size: 0 }, modseq);
      await w.record(accountId, 'Mailbox', mailboxId, 'u');
    }
    for (const e of changing) await w.record(accountId, 'Email', e.id, 'u');
    await recordVisibility(w, accountId, changing, keywords);
    return modseq;
  }

  async setMailboxes(w: WriteContext, accountId: string, email: Pick<EmailRow, 'id' | 'seen' | 'size' | 'received_at'>, mailboxIds: string[]): Promise<void> {
    const current = (await repo.memberships(w.trx, [email.id])).map((m) => m.mailbox_id);
    const added = mailboxIds.filter((id) => !current.includes(id));
    const removed = current.filter((id) => !mailboxIds.includes(id));
    if (added.length === 0 && removed.length === 0) return;
    const modseq = await w.record(accountId, 'Email', email.id, 'u');
    for (const mailboxId of removed) {
      await repo.deleteMembership(w.trx, email.id, mailboxId);
      await repo.adjustCounts(w.trx, mailboxId, { count: -1, unseen: email.seen ? 0 : -1, size: -email.size }, modseq);
      await w.record(accountId, 'Mailbox', mailboxId, 'u');
    }
    await this.addMembers(w, accountId, [email], [added], modseq);
    await repo.updateEmail(w.trx, email.id, { updated_modseq: modseq });
    await repo.touchMemberships(w.trx, email.id, modseq);
  }

  /**
   * MOVE: each email leaves `fromId` for `toId`, keeping its id and its other mailboxes. One that
   * is no longer in `fromId` (another session moved or expunged it meanwhile) is left alone.
   */
  async move(w: WriteContext, accountId: string, emails: Pick<EmailRow, 'id' | 'seen' | 'size' | 'received_at'>[], fromId: string, toId: string): Promise<void> {
    const memberships = await repo.memberships(w.trx, emails.map((e) => e.id));
    for (const email of emails) {
      const current = memberships.filter((m) => m.email_id === email.id).map((m) => m.mailbox_id);
      if (current.includes(fromId)) await this.setMailboxes(w, accountId, email, [...new Set([...current.filter((m) => m !== fromId), toId])]);
    }
  }

  /** Takes an email out of one mailbox; an email left in no mailbox is destroyed. */
  async leaveMailbox(w: WriteContext, accountId: string, emailId: string, mailboxId: string): Promise<void> {
    const email = await repo.email(w.trx, accountId, emailId);
    if (!email) return;
    const current = (await repo.memberships(w.trx, [emailId])).map((m) => m.mailbox_id);
    if (current.length <= 1) await this.destroy(w, accountId, emailId);
    else await this.setMailboxes(w, accountId, email, current.filter((id) => id !== mailboxId));
  }

  async destroy(w: WriteContext, accountId: string, emailId: string): Promise<void> {
    const email = await repo.email(w.trx, accountId, emailId);
    if (!email) throw notFound(`message ${emailId}`);
    const modseq = await w.record(accountId, 'Email', email.id, 'd');
    for (const m of await repo.memberships(w.trx, [email.id])) {
      await repo.adjustCounts(w.trx, m.mailbox_id, { count: -1, unseen: email.seen ? 0 : -1, size: -email.size }, modseq);
      await w.record(accountId, 'Mailbox', m.mailbox_id, 'u');
    }
    await this.store.search.remove(w.trx, email.num!);
    await repo.deleteEmail(w.trx, email.id);
    await repo.dropBlobRef(w.trx, email.blob_id);
    await repo.addUsage(w.trx, accountId, -email.size);
    if ((await repo.threadSize(w.trx, email.thread_id)) === 0) {
      await repo.deleteThread(w.trx, email.thread_id);
      await w.record(accountId, 'Thread', email.thread_id, 'd');
    } else {
      await w.record(accountId, 'Thread', email.thread_id, 'u');
    }
  }

  /**
   * After a failed ingest: its blob file was written but may be referenced by nothing. Recorded
   * as an unreferenced row and collected the usual way, so a concurrent ingest of the same bytes
   * is protected exactly as in collectGarbage().
   */
  async discardIfUnused(blob: BlobRef): Promise<void> {
    await this.store.write(async (w) => repo.addUnreferencedBlob(w.trx, blob.id, blob.size));
    await this.collectGarbage();
  }

  /**
   * Removes blob files no email references any more. The row is deleted and the file unlinked in
   * one transaction, so an ingest of the same bytes either sees the row survive (refcount > 0)
   * or recreates the file itself (FsBlobStore.restore). A blob still in its staging pack (ADR
   * 0033) may have been the last thing keeping that pack.
   */
  async collectGarbage(): Promise<number> {
    let removed = 0;
    const packs = new Set<string>();
    for (;;) {
      const batch = await repo.unreferencedBlobs(this.store.db, 100);
      if (batch.length === 0) break;
      await this.store.write(async (w) => {
        for (const { id, pack } of batch) {
          const res = await repo.deleteBlobRow(w.trx, id);
          if (Number(res.numDeletedRows) > 0) {
            await this.store.blobs.delete(id);
            if (pack) packs.add(pack);
            removed++;
          }
        }
      });
    }
    if (packs.size > 0) await dropUnusedPacks(this.store, packs);
    return removed;
  }
}
