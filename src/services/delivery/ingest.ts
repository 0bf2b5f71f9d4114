import type { BlobRef } from '../../store/blobs/fs.ts';
import { directoryRepo } from '../../store/repos/directory.ts';
import { mailRepo } from '../../store/repos/mail.ts';
import type { WriteContext } from '../../store/changes.ts';
import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';
import type { UpstreamGate } from '../remote/upstream-gate.ts';
import { invalid, notFound, ServiceError } from '../errors.ts';
import type { EmailWriter, NewEmail } from '../mail/email-writer.ts';
import { prepareMessage, type PreparedMessage } from '../mail/prepared-message.ts';
import { normalizeKeywords } from '../mail/keywords.ts';
import { GroupCommit } from './group-commit.ts';

export interface IngestInput {
  accountId: string;
  raw: Buffer;
  /** Target mailbox by id; when absent, the mailbox with `role` (default inbox). */
  mailboxId?: string;
  /** Several target mailboxes at once (JMAP Email/import); takes precedence over mailboxId. */
  mailboxIds?: string[];
  role?: string;
  keywords?: string[];
  receivedAt?: number;
  /** Bytes counted against maxMessageSize when it differs from raw.length (trace headers excluded). */
  sizeForLimit?: number;
  /**
   * Runs in the new email's own transaction: a mirror records where the message came from (its
   * upstream folder and UID) so a crash can never leave the email without that record, or the
   * record without the email, and a second copy of the same UID fails instead of duplicating.
   */
  link?: (w: WriteContext, emailId: string) => Promise<void>;
  /**
   * The message came from the account's own upstream server (the sync engine): it is stored
   * as is. Anything else stored in a mirrored account is appended upstream first.
   */
  fromUpstream?: boolean;
  /** `raw` is stored durably already under this ref (a mirror's staged download): not written again. */
  blob?: BlobRef;
}

/** A message the account's own upstream server holds, downloaded and stored as a blob already. */
export interface UpstreamMessage {
  raw: Buffer;
  blob: BlobRef;
  mailboxId: string;
  keywords: string[];
  receivedAt?: number;
  /** Parsed already (a mirror's indexing parses on another thread); parsed here when absent. */
  message?: PreparedMessage;
}

/** Runs in the write that stores upstream messages: which of them (by index) became which email. */
export type UpstreamLink = (w: WriteContext, stored: { index: number; emailId: string }[]) => Promise<void>;

export interface IngestResult {
  id: string;
  threadId: string;
  mailboxId: string;
  size: number;
  blobId: string;
}

export interface IngestMetrics {
  onIngest(source: string, bytes: number): void;
}

/**
 * The one pipeline every way mail comes in goes through (SMTP, LMTP, REST upload, later IMAP
 * APPEND, JMAP import and sync): size check, parse, durable blob write, then the metadata in a
 * group-committed transaction. The raw bytes are stored exactly as given.
 */
export class IngestService {
  private readonly commits: GroupCommit;
  private gate: UpstreamGate | null = null;

  constructor(
    private readonly store: Store,
    private readonly writer: EmailWriter,
    private readonly maxMessageSize: number,
    private readonly metrics?: IngestMetrics,
  ) {
    this.commits = new GroupCommit(store);
  }

  async ingest(input: IngestInput, source = 'api'): Promise<IngestResult> {
    if (input.raw.length === 0) throw invalid('message', 'is empty');
    const size = input.sizeForLimit ?? input.raw.length;
    if (size > this.maxMessageSize) throw this.tooLarge(size);
    const keywords = normalizeKeywords(input.keywords ?? []);
    const receivedAt = input.receivedAt ?? Date.now();
    const db = this.store.db;
    let mailboxIds: string[];
    if (input.mailboxIds?.length) {
      const own = new Set((await mailRepo.mailboxes(db, input.accountId)).map((m) => m.id));
      const missing = input.mailboxIds.find((id) => !own.has(id));
      if (missing) throw notFound(`mailbox ${missing}`);
      mailboxIds = [...new Set(input.mailboxIds)];
    } else {
      const mailbox = input.mailboxId
        ? await mailRepo.mailbox(db, input.accountId, input.mailboxId)
        : await mailRepo.mailboxByRole(db, input.accountId, input.role ?? 'inbox');
      if (!mailbox) throw notFound(`mailbox ${input.mailboxId ?? input.role ?? 'inbox'}`);
      mailboxIds = [mailbox.id];
    }
    const usage = await directoryRepo.accountQuota(db, input.accountId);
    if (!usage) throw notFound(`account ${input.accountId}`);
    const quota = usage.limit;
    if (quota > 0 && usage.used + input.raw.length > quota) {
      throw new ServiceError('overQuota', `mailbox is full: ${usage.used} of ${quota} bytes used`);
    }

    const upstream = input.fromUpstream ? null : await this.gate?.of(input.accountId);
    if (!upstream) return this.commit(input, source, mailboxIds, keywords, receivedAt, quota);
    if (mailboxIds.length !== 1) throw invalid('mailboxIds', 'a message of a mirrored IMAP account is in exactly one mailbox');
    // Upstream first: only a message the server took is stored here, linked to its new UID.
    return this.gate!.exclusive(input.accountId, async () => {
      const at = await upstream.append(await upstream.folderOf(mailboxIds[0]), input.raw, keywords, receivedAt);
      const link = async (w: WriteContext, emailId: string) => {
        await remoteRepo.insertMessages(w.trx, [{ folder_id: at.folderId, uid: at.uid, email_id: emailId }]);
        await input.link?.(w, emailId);
      };
      return this.commit({ ...input, link }, source, mailboxIds, keywords, receivedAt, quota);
    });
  }

  /**
   * Messages of a mirrored account as its upstream server holds them (the sync engine), stored
   * in one write with `link` (ADR 0032). Should that write fail, each is stored on its own, so a
   * bad message fails alone. Settles in the order given.
   */
  async ingestFromUpstream(accountId: string, messages: UpstreamMessage[], link: UpstreamLink, source = 'sync'): Promise<PromiseSettledResult<IngestResult>[]> {
    const results: PromiseSettledResult<IngestResult>[] = new Array(messages.length);
    const usage = await directoryRepo.accountQuota(this.store.db, accountId);
    if (!usage) throw notFound(`account ${accountId}`);
    const taken: number[] = [];
    const emails: NewEmail[] = [];
    for (const [i, m] of messages.entries()) {
      if (m.raw.length > this.maxMessageSize) {
        results[i] = { status: 'rejected', reason: this.tooLarge(m.raw.length) };
        continue;
      }
      taken.push(i);
      const receivedAt = m.receivedAt ?? Date.now();
      emails.push({ accountId, blob: m.blob, raw: m.raw, message: m.message ?? prepareMessage(m.raw), mailboxIds: [m.mailboxId], keywords: normalizeKeywords(m.keywords), receivedAt, quota: usage.limit });
    }
    try {
      const rows = await this.store.write(async (w) => {
        const created = await this.writer.createMany(w, emails);
        await link(w, created.map((row, k) => ({ index: taken[k], emailId: row.id })));
        return created;
      });
      rows.forEach((row, k) => {
        this.metrics?.onIngest(source, row.size);
        results[taken[k]] = { status: 'fulfilled', value: { id: row.id, threadId: row.thread_id, mailboxId: emails[k].mailboxIds[0], size: row.size, blobId: row.blob_id } };
      });
    } catch {
      const one = await Promise.allSettled(
        taken.map((i) => {
          const m = messages[i];
          const own: IngestInput['link'] = (w, emailId) => link(w, [{ index: i, emailId }]);
          return this.ingest({ accountId, raw: m.raw, blob: m.blob, mailboxId: m.mailboxId, keywords: m.keywords, receivedAt: m.receivedAt, fromUpstream: true, link: own }, source);
        }),
      );
      one.forEach((r, k) => (results[taken[k]] = r));
    }
    return results;
  }

  private tooLarge(size: number): ServiceError {
    return new ServiceError('tooLarge', `message is ${size} bytes; the limit is ${this.maxMessageSize}`);
  }

  useUpstream(gate: UpstreamGate): void {
    this.gate = gate;
  }

  private async commit(input: IngestInput, source: string, mailboxIds: string[], keywords: string[], receivedAt: number, quota: number): Promise<IngestResult> {
    const arrived = this.commits.expect();
    let message, blob;
    try {
      message = prepareMessage(input.raw);
      blob = input.blob ?? (await this.store.blobs.put(input.raw));
    } finally {
      arrived();
    }
    let row;
    try {
      row = await this.commits.submit(async (w) => {
        const created = await this.writer.create(w, { accountId: input.accountId, blob, raw: input.raw, message, mailboxIds, keywords, receivedAt, quota });
        await input.link?.(w, created.id);
        return created;
      });
    } catch (err) {
      // A blob still in its pack had no file written for it.
      if (!blob.slot) await this.writer.discardIfUnused(blob).catch(() => undefined);
      throw err;
    }
    this.metrics?.onIngest(source, input.raw.length);
    return { id: row.id, threadId: row.thread_id, mailboxId: mailboxIds[0], size: row.size, blobId: row.blob_id };
  }
}
