import type { MailboxRow } from '../../../store/db/schema.ts';
import { mailRepo } from '../../../store/repos/mail.ts';
import { remoteRepo } from '../../../store/repos/remote.ts';
import type { Store } from '../../../store/store.ts';
import type { EmailWriter } from '../../mail/email-writer.ts';
import type { MailboxService } from '../../mail/mailboxes.ts';

// Emails changed per transaction: bounded so one huge folder never holds the writer for long.
const CHUNK = 500;

/**
 * Local writes of the sync engine: the upstream server has already decided, so these apply its
 * state to the mirror through the same writers every face uses (change log, counters, search).
 */
export class Mirror {
  constructor(
    private readonly store: Store,
    private readonly writer: EmailWriter,
    private readonly mailboxes: MailboxService,
  ) {}

  async createMailbox(accountId: string, fields: { name: string; parentId: string; role: string | null }): Promise<MailboxRow> {
    return this.store.write((w) => this.mailboxes.insert(w, accountId, { ...fields, subscribed: true, sortOrder: 100 }));
  }

  async moveMailbox(accountId: string, id: string, name: string, parentId: string): Promise<void> {
    await this.store.write(async (w) => {
      const updated_modseq = await w.record(accountId, 'Mailbox', id, 'u');
      await mailRepo.updateMailbox(w.trx, id, { name, parent_id: parentId, updated_modseq });
    });
  }

  /** Removes a mailbox whose folder is gone upstream, with the emails only it held. */
  removeMailbox(accountId: string, id: string): Promise<void> {
    return this.mailboxes.remove(accountId, id);
  }

  /** Sets the keywords upstream flags say, for emails already mirrored. */
  async setKeywords(accountId: string, updates: { emailId: string; keywords: string[] }[]): Promise<void> {
    for (let i = 0; i < updates.length; i += CHUNK) {
      const chunk = updates.slice(i, i + CHUNK);
      await this.store.write(async (w) => {
        const rows = new Map((await mailRepo.emailsByIds(w.trx, accountId, chunk.map((u) => u.emailId))).map((r) => [r.id, r]));
        for (const u of chunk) {
          const row = rows.get(u.emailId);
          if (row) await this.writer.setKeywords(w, accountId, row, u.keywords);
        }
      });
    }
  }

  /** Destroys the local copies of messages expunged upstream, and forgets their UIDs. */
  async expunge(accountId: string, folderId: string, gone: Map<number, string>): Promise<void> {
    const entries = [...gone];
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk = entries.slice(i, i + CHUNK);
      await this.store.write(async (w) => {
        const present = new Set((await mailRepo.emailsByIds(w.trx, accountId, chunk.map(([, id]) => id))).map((r) => r.id));
        for (const [, emailId] of chunk) if (present.has(emailId)) await this.writer.destroy(w, accountId, emailId);
        await remoteRepo.deleteMessages(w.trx, folderId, chunk.map(([uid]) => uid));
      });
    }
    if (entries.length) await this.writer.collectGarbage();
  }

  /** Records an existing email under a new UID (after a UIDVALIDITY reset matched it). */
  async relink(folderId: string, links: { uid: number; emailId: string }[]): Promise<void> {
    for (let i = 0; i < links.length; i += CHUNK) {
      const rows = links.slice(i, i + CHUNK).map((l) => ({ folder_id: folderId, uid: l.uid, email_id: l.emailId }));
      await this.store.write((w) => remoteRepo.insertMessages(w.trx, rows));
    }
  }
}
