import { parseMessage } from '../../mime/parse.ts';
import { mailRepo as repo, type EmailSort } from '../../store/repos/mail.ts';
import type { Store } from '../../store/store.ts';
import { notFound } from '../errors.ts';
import type { EmailQuery, EmailRecord, MessageService } from './messages.ts';
import { mailboxView, messageSummary, type MailboxView, type MessageSummary } from './views.ts';

/** A mailbox of one of the accounts read together. */
export type PoolFolder = MailboxView & { accountId: string };

/** An email as a list over several accounts shows it. */
export interface PoolEmail extends MessageSummary {
  /** The email's integer key: the id on faces whose clients expect integers (ADR 0011). */
  num: number;
  accountId: string;
  messageId: string | null;
  inReplyTo: string[];
  /** Paths of the mailboxes it is in. */
  folders: string[];
  /** How many emails its thread has. */
  threadSize: number;
}

export type PoolEmailWithBodies = PoolEmail & { text: string | null; html: string | null };

export interface PoolFilter {
  /** Words anywhere: subject, addresses, body. */
  text?: string;
  /** A mailbox path ("Work/Projects"), in whichever of the accounts have it. */
  folder?: string;
  after?: number;
  before?: number;
}

export interface PoolWindow {
  sort: EmailSort[];
  offset: number;
  limit: number;
  /** One email per thread: the first of each in sort order. */
  threads?: boolean;
}

/**
 * The mail of several accounts of one pool read as one collection, for faces that show a user's
 * mail as a single list (IMAP2API). Callers pass only accounts the caller may read.
 */
export class PoolMailService {
  constructor(
    private readonly store: Store,
    private readonly messages: MessageService,
  ) {}

  async folders(accountIds: readonly string[]): Promise<PoolFolder[]> {
    const rows = await repo.mailboxesOf(this.store.db, accountIds);
    return rows.map((r) => ({ ...mailboxView(r, rows), accountId: r.account_id }));
  }

  /** One window of the matching emails in sort order, and how many match (threads, when collapsed). */
  async query(accountIds: readonly string[], filter: PoolFilter, w: PoolWindow): Promise<{ emails: PoolEmail[]; total: number }> {
    if (accountIds.length === 0) return { emails: [], total: 0 };
    const folders = await this.folders(accountIds);
    const query: EmailQuery = { text: filter.text, after: filter.after, before: filter.before };
    if (filter.folder !== undefined) {
      const boxes = folders.filter((f) => f.path === filter.folder);
      if (boxes.length === 0) return { emails: [], total: 0 };
      // One mailbox walks its own index; the same path in several accounts is any of them.
      if (boxes.length === 1) query.mailboxId = boxes[0]!.id;
      else query.tree = { operator: 'OR', conditions: boxes.map((b) => ({ mailboxId: b.id })) };
    }
    const { ids, total } = await this.messages.queryIds(accountIds, query, { sort: w.sort, position: w.offset, limit: w.limit, collapseThreads: w.threads });
    const emails = await this.load(accountIds, ids, folders);
    return { emails: emails.map(({ blobId: _blob, ...email }) => email), total };
  }

  /** How many emails and threads the accounts hold. */
  async totals(accountIds: readonly string[]): Promise<{ emails: number; threads: number }> {
    if (accountIds.length === 0) return { emails: 0, threads: 0 };
    const [emails, threads] = await Promise.all([repo.countEmails(this.store.db, { accountId: accountIds }), repo.countEmails(this.store.db, { accountId: accountIds }, true)]);
    return { emails, threads };
  }

  /** The email with this integer key in one of the accounts, with its bodies. */
  async get(accountIds: readonly string[], num: number): Promise<PoolEmailWithBodies> {
    const row = accountIds.length === 0 || !Number.isSafeInteger(num) ? undefined : await repo.emailByNum(this.store.db, accountIds, num);
    if (!row) throw notFound(`email ${num}`);
    const [email] = await this.withBodies(await this.load(row.account_id, [row.id], await this.folders([row.account_id])));
    if (!email) throw notFound(`email ${num}`);
    return email;
  }

  /** The first `limit` emails of a thread, oldest first, with their bodies. */
  async thread(accountId: string, threadId: string, limit: number): Promise<PoolEmailWithBodies[]> {
    const ids = (await this.messages.threadMembers(accountId, [threadId])).get(threadId) ?? [];
    return this.withBodies(await this.load(accountId, ids.slice(0, limit), await this.folders([accountId])));
  }

  private async load(scope: string | readonly string[], ids: string[], folders: PoolFolder[]): Promise<(PoolEmail & { blobId: string })[]> {
    const records = await this.messages.records(scope, ids);
    const threads = await repo.threadSizes(this.store.db, [...new Set(records.map((r) => r.thread_id))]);
    const sizes = new Map(threads.map((t) => [t.thread_id, Number(t.n)]));
    const paths = new Map(folders.map((f) => [f.id, f.path]));
    const byId = new Map(records.map((r) => [r.id, r]));
    const view = (r: EmailRecord) => ({
      ...messageSummary(r, r.mailboxIds),
      num: Number(r.num),
      accountId: r.account_id,
      messageId: r.message_id,
      inReplyTo: JSON.parse(r.in_reply_to_json) as string[],
      folders: r.mailboxIds.flatMap((m) => paths.get(m) ?? []),
      threadSize: sizes.get(r.thread_id) ?? 1,
      blobId: r.blob_id,
    });
    return ids.flatMap((id) => {
      const r = byId.get(id);
      return r ? [view(r)] : [];
    });
  }

  private async withBodies(emails: (PoolEmail & { blobId: string })[]): Promise<PoolEmailWithBodies[]> {
    const out: PoolEmailWithBodies[] = [];
    for (const { blobId, ...email } of emails) {
      const parsed = parseMessage(await this.messages.rawBytes(blobId));
      out.push({ ...email, text: parsed.text, html: parsed.html });
    }
    return out;
  }
}
