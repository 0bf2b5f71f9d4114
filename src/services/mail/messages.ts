import type { Readable } from 'node:stream';
import { decodePartBody } from '../../mime/decode.ts';
import { parseMessage } from '../../mime/parse.ts';
import { findPart } from '../../mime/structure.ts';
import type { Attachment } from '../../mime/types.ts';
import type { EmailRow } from '../../store/db/schema.ts';
import { mailRepo as repo, type EmailCondition, type EmailFilter, type EmailLeaf, type EmailSort, type ListCursor } from '../../store/repos/mail.ts';
import type { AccountScope, TextQuery } from '../../store/search/types.ts';
import type { Trx, WriteContext } from '../../store/changes.ts';
import type { Db } from '../../store/db/connect.ts';
import { remoteRepo } from '../../store/repos/remote.ts';
import type { Store } from '../../store/store.ts';
import type { UpstreamGate } from '../remote/upstream-gate.ts';
import { invalid, notFound, ServiceError } from '../errors.ts';
import { decodeCursor, pageLimit, pageOf, type Page, type PageRequest } from '../paging.ts';
import { copyEmails, type EmailCopy } from './copy.ts';
import type { EmailWriter } from './email-writer.ts';
import { matchHeaders } from './header-filter.ts';
import { DELETED, normalizeKeywords, parseKeywords } from './keywords.ts';
import { attachmentId, messageSummary, partIdOf, type MessageDetail, type MessageSummary } from './views.ts';
import { readStructure } from '../../mime/stored-structure.ts';

export interface ListOptions extends PageRequest {
  order?: 'asc' | 'desc';
  unseen?: boolean;
}

/** REST search: words only; header values need the verification only Email/query does. */
export interface SearchOptions extends PageRequest, Omit<TextQuery, 'headers'> {
  mailboxId?: string;
  after?: number;
  before?: number;
  unseen?: boolean;
  flagged?: boolean;
  hasAttachment?: boolean;
}

export interface MessagePatch {
  keywords?: string[];
  addKeywords?: string[];
  removeKeywords?: string[];
  seen?: boolean;
  flagged?: boolean;
  mailboxIds?: string[];
  addMailboxIds?: string[];
  removeMailboxIds?: string[];
}

/** A leaf of a JMAP filter tree: per-email conditions with words instead of a compiled text match. */
export type EmailQueryLeaf = Omit<EmailLeaf, 'textMatch'> & TextQuery;
export type EmailQueryTree = { operator: 'AND' | 'OR' | 'NOT'; conditions: EmailQueryTree[] } | EmailQueryLeaf;

/** What JMAP's Email/query filter maps to: flat ANDed conditions, plus a tree when OR/NOT are used. */
export type EmailQuery = Omit<EmailFilter, 'accountId' | 'textMatch' | 'condition'> & TextQuery & { tree?: EmailQueryTree };

export interface QueryWindow {
  sort: EmailSort[];
  position: number;
  limit: number;
  collapseThreads?: boolean;
}

// Messages moved per transaction by moveAll(): bounded so one command never holds the write lock for long.
const MOVE_CHUNK = 200;

const TEXT_KEYS = ['text', 'from', 'to', 'cc', 'bcc', 'recipients', 'subject', 'body', 'headers'] as const;

export type EmailRecord = EmailRow & { mailboxIds: string[] };

/**
 * Faces without IMAP's delete+expunge model (JMAP) ask for emails carrying $deleted to be
 * treated as absent: not found, not listed, not changed (RFC 8621 §4.1.1, ADR 0015).
 */
export interface Visibility {
  hideDeleted?: boolean;
}

const isCursor = (v: unknown): v is ListCursor =>
  typeof v === 'object' && v !== null && typeof (v as ListCursor).receivedAt === 'number' && typeof (v as ListCursor).id === 'string';

/** Reading and changing the messages of one account. Every method is scoped by account id (queries may span several). */
export class MessageService {
  private gate: UpstreamGate | null = null;

  constructor(
    private readonly store: Store,
    private readonly writer: EmailWriter,
  ) {}

  /** Mirrored accounts: their changes go to the upstream server first (DESIGN.md §6). */
  useUpstream(gate: UpstreamGate): void {
    this.gate = gate;
  }

  private async summaries(rows: EmailRow[]): Promise<Map<string, string[]>> {
    const memberships = await repo.memberships(this.store.db, rows.map((r) => r.id));
    const byEmail = new Map<string, string[]>();
    for (const m of memberships) byEmail.set(m.email_id, [...(byEmail.get(m.email_id) ?? []), m.mailbox_id]);
    return byEmail;
  }

  private async page(filter: EmailFilter, req: PageRequest & { order?: 'asc' | 'desc' }, knownTotal?: number): Promise<Page<MessageSummary>> {
    const limit = pageLimit(req.limit);
    const cursor = decodeCursor(req.cursor, isCursor);
    const [rows, total] = await Promise.all([
      repo.listEmails(this.store.db, filter, { limit: limit + 1, order: req.order ?? 'desc', cursor }),
      knownTotal ?? repo.countEmails(this.store.db, filter),
    ]);
    const boxes = await this.summaries(rows.slice(0, limit));
    return pageOf(rows, limit, total, (r) => messageSummary(r, boxes.get(r.id) ?? []), (r): ListCursor => ({ receivedAt: r.received_at, id: r.id }));
  }

  async list(accountId: string, mailboxId: string, opts: ListOptions): Promise<Page<MessageSummary>> {
    const mailbox = await repo.mailbox(this.store.db, accountId, mailboxId);
    if (!mailbox) throw notFound(`mailbox ${mailboxId}`);
    // The mailbox counters are kept in step with every change, so listing needs no COUNT scan.
    const total = opts.unseen ? mailbox.unseen_count : mailbox.message_count;
    return this.page({ accountId, mailboxId, unseen: opts.unseen ? true : undefined }, opts, total);
  }

  async search(accountId: string, opts: SearchOptions): Promise<Page<MessageSummary>> {
    if (opts.mailboxId && !(await repo.mailbox(this.store.db, accountId, opts.mailboxId))) throw notFound(`mailbox ${opts.mailboxId}`);
    if (opts.after !== undefined && opts.before !== undefined && opts.after >= opts.before) throw invalid('after', 'must be earlier than before');
    const textMatch = this.store.search.matching(accountId, opts);
    return this.page(
      {
        accountId,
        mailboxId: opts.mailboxId,
        textMatch,
        after: opts.after,
        before: opts.before,
        unseen: opts.unseen,
        flagged: opts.flagged,
        hasAttachment: opts.hasAttachment,
      },
      opts,
    );
  }

  private async row(accountId: string, id: string, v: Visibility = {}, db: Db | Trx = this.store.db): Promise<EmailRow> {
    const row = await repo.email(db, accountId, id);
    if (!row || (v.hideDeleted && parseKeywords(row.keywords).includes(DELETED))) throw notFound(`message ${id}`);
    return row;
  }

  async get(accountId: string, id: string): Promise<MessageDetail> {
    const row = await this.row(accountId, id);
    const [boxes, raw] = await Promise.all([this.summaries([row]), this.store.blobs.get(row.blob_id)]);
    const parsed = parseMessage(raw);
    const attachments = JSON.parse(row.attachments) as Attachment[];
    return {
      ...messageSummary(row, boxes.get(row.id) ?? []),
      messageId: row.message_id,
      inReplyTo: JSON.parse(row.in_reply_to_json),
      references: JSON.parse(row.references_json),
      sender: JSON.parse(row.sender_json),
      replyTo: JSON.parse(row.reply_to_json),
      bcc: JSON.parse(row.bcc_json),
      text: parsed.text,
      html: parsed.html,
      attachments: attachments.map((a) => ({
        id: attachmentId(a.partId),
        filename: a.filename,
        contentType: a.type,
        disposition: a.disposition,
        contentId: a.contentId,
        size: a.size,
      })),
      headers: parsed.headers.map((h) => ({ name: h.name, value: h.raw.trim() })),
      parseError: row.parse_error,
    };
  }

  async raw(accountId: string, id: string): Promise<{ size: number; stream: Readable }> {
    const row = await this.row(accountId, id);
    return { size: row.size, stream: this.store.blobs.stream(row.blob_id) };
  }

  async attachment(accountId: string, id: string, attId: string): Promise<{ content: Buffer; contentType: string; filename: string | null }> {
    const row = await this.row(accountId, id);
    const partId = partIdOf(attId);
    const listed = (JSON.parse(row.attachments) as Attachment[]).find((a) => a.partId === partId);
    if (!partId || !listed) throw notFound(`attachment ${attId}`);
    const structure = readStructure(row.structure);
    const part = findPart(structure, partId);
    if (!part) throw notFound(`attachment ${attId}`);
    const raw = await this.store.blobs.get(row.blob_id);
    return { content: decodePartBody(raw, part), contentType: listed.type, filename: listed.filename };
  }

  async thread(accountId: string, threadId: string): Promise<{ id: string; messages: MessageSummary[] }> {
    const rows = await repo.threadEmails(this.store.db, accountId, threadId);
    if (rows.length === 0) throw notFound(`thread ${threadId}`);
    const boxes = await this.summaries(rows);
    return { id: threadId, messages: rows.map((r) => messageSummary(r, boxes.get(r.id) ?? [])) };
  }

  /** Stored emails with their memberships, for faces that render their own views (JMAP). Missing ids are left out. */
  async records(scope: AccountScope, ids: string[], v: Visibility = {}): Promise<EmailRecord[]> {
    const rows = await repo.emailsByIds(this.store.db, scope, ids, v.hideDeleted);
    const boxes = await this.summaries(rows);
    return rows.map((row) => ({ ...row, mailboxIds: boxes.get(row.id) ?? [] }));
  }

  /** The raw bytes of a stored message. */
  async rawBytes(blobId: string): Promise<Buffer> {
    return this.store.blobs.get(blobId);
  }

  private async compile(accounts: AccountScope, query: EmailQuery): Promise<EmailFilter> {
    const { tree, hideDeleted, ...flat } = query;
    const top = await this.compileLeaf(accounts, flat, {}, hideDeleted);
    return { ...top, accountId: accounts, hideDeleted, condition: tree ? await this.compileTree(accounts, tree, top, hideDeleted) : undefined };
  }

  private async compileTree(accounts: AccountScope, t: EmailQueryTree, scope: EmailLeaf, hideDeleted?: boolean): Promise<EmailCondition> {
    if (!('operator' in t)) return this.compileLeaf(accounts, t, scope, hideDeleted);
    const conditions: EmailCondition[] = [];
    for (const c of t.conditions) conditions.push(await this.compileTree(accounts, c, scope, hideDeleted));
    return { operator: t.operator, conditions };
  }

  /**
   * A leaf with its words as an index match. The index only narrows header values, so a leaf
   * with them becomes the exact list of emails that satisfy it among those `scope` (the
   * top-level conditions, which every result must meet anyway) admits.
   */
  private async compileLeaf(accounts: AccountScope, q: EmailQueryLeaf, scope: EmailLeaf, hideDeleted?: boolean): Promise<EmailLeaf> {
    const leaf: Record<string, unknown> = { ...q };
    for (const k of TEXT_KEYS) delete leaf[k];
    const rest = leaf as EmailLeaf;
    const textMatch = this.store.search.matching(accounts, q);
    const valued = (q.headers ?? []).filter((h) => h.value);
    if (valued.length === 0 || !textMatch) return { ...rest, textMatch };
    const nums = await matchHeaders(this.store, { accountId: accounts, textMatch, hideDeleted, condition: { operator: 'AND', conditions: [scope, rest] } }, valued);
    return { ...rest, textMatch: this.store.search.listed(nums) };
  }

  /** One window of ids in sort order plus the total (JMAP Email/query; several accounts for a pool read as one). */
  async queryIds(accounts: AccountScope, query: EmailQuery, w: QueryWindow): Promise<{ ids: string[]; total: number }> {
    const filter = await this.compile(accounts, query);
    const [ids, total] = await Promise.all([
      repo.queryEmailIds(this.store.db, filter, { sort: w.sort, offset: w.position, limit: w.limit, collapseThreads: w.collapseThreads }),
      repo.countEmails(this.store.db, filter, w.collapseThreads),
    ]);
    return { ids, total };
  }

  /** Just the window of ids: counting every match is most of a query's cost at 100k messages. */
  async queryWindow(accountId: string, query: EmailQuery, w: QueryWindow): Promise<string[]> {
    return repo.queryEmailIds(this.store.db, await this.compile(accountId, query), { sort: w.sort, offset: w.position, limit: w.limit, collapseThreads: w.collapseThreads });
  }

  /**
   * The index of an id in the query results, or -1 (JMAP anchors). Pages through ids only, so
   * its cost grows with the anchor's position, not with the page the client then asks for.
   */
  async indexOf(accountId: string, query: EmailQuery, w: Omit<QueryWindow, 'position' | 'limit'>, id: string): Promise<number> {
    const found = await this.positions(accountId, query, w, new Set([id]), null, Number.MAX_SAFE_INTEGER);
    return found?.get(id) ?? -1;
  }

  /**
   * Indexes of the wanted ids in the query results, scanning until all are found or upToId is
   * passed (JMAP queryChanges); null when that would mean scanning more than maxScan ids.
   */
  async positions(accountId: string, query: EmailQuery, w: Omit<QueryWindow, 'position' | 'limit'>, wanted: Set<string>, upToId: string | null, maxScan: number): Promise<Map<string, number> | null> {
    const filter = await this.compile(accountId, query);
    const out = new Map<string, number>();
    const page = 5000;
    for (let offset = 0; out.size < wanted.size; offset += page) {
      if (offset >= maxScan) return null;
      const ids = await repo.queryEmailIds(this.store.db, filter, { sort: w.sort, offset, limit: page, collapseThreads: w.collapseThreads });
      for (let i = 0; i < ids.length; i++) {
        if (wanted.has(ids[i]!)) out.set(ids[i]!, offset + i);
        if (ids[i] === upToId) return out;
      }
      if (ids.length < page) break;
    }
    return out;
  }

  /** Email ids of each thread, oldest first; a thread with none is left out. */
  /** The threads these emails are in now; emails that no longer exist are left out. */
  async threadsOf(accountId: string, emailIds: string[]): Promise<string[]> {
    return repo.threadIdsOf(this.store.db, accountId, emailIds);
  }

  async threadMembers(accountId: string, threadIds: string[], v: Visibility = {}): Promise<Map<string, string[]>> {
    const rows = await repo.threadEmailIds(this.store.db, accountId, threadIds, v.hideDeleted);
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.thread_id, [...(out.get(r.thread_id) ?? []), r.id]);
    return out;
  }

  async update(accountId: string, id: string, patch: MessagePatch, v: Visibility = {}): Promise<MessageDetail> {
    await this.change(accountId, id, patch, v);
    return this.get(accountId, id);
  }

  /** update() without reading and parsing the message back, for callers that change many. */
  private async change(accountId: string, id: string, patch: MessagePatch, v: Visibility = {}): Promise<void> {
    const mailboxes = new Set((await repo.mailboxes(this.store.db, accountId)).map((m) => m.id));
    const checkBoxes = (ids: string[] | undefined, field: string) => {
      for (const m of ids ?? []) if (!mailboxes.has(m)) throw invalid(field, `mailbox ${m} does not exist`);
    };
    checkBoxes(patch.mailboxIds, 'mailboxIds');
    checkBoxes(patch.addMailboxIds, 'addMailboxIds');
    checkBoxes(patch.removeMailboxIds, 'removeMailboxIds');
    const set = patch.keywords ? normalizeKeywords(patch.keywords, 'keywords') : undefined;
    const add = normalizeKeywords(patch.addKeywords ?? [], 'addKeywords');
    const remove = normalizeKeywords(patch.removeKeywords ?? [], 'removeKeywords');
    const movesMail = Boolean(patch.mailboxIds || patch.addMailboxIds || patch.removeMailboxIds);
    /** The keywords and (when the patch moves mail) the mailboxes the email ends up with. */
    const next = (row: EmailRow, current: string[]) => {
      const keywords = new Set(set ?? parseKeywords(row.keywords));
      for (const k of add) keywords.add(k);
      for (const k of remove) keywords.delete(k);
      if (patch.seen !== undefined) patch.seen ? keywords.add('$seen') : keywords.delete('$seen');
      if (patch.flagged !== undefined) patch.flagged ? keywords.add('$flagged') : keywords.delete('$flagged');
      if (!movesMail) return { keywords: [...keywords].sort(), mailboxIds: null };
      const target = new Set(patch.mailboxIds ?? current);
      for (const m of patch.addMailboxIds ?? []) target.add(m);
      for (const m of patch.removeMailboxIds ?? []) target.delete(m);
      if (target.size === 0) throw invalid('mailboxIds', 'a message must stay in at least one mailbox (delete it instead)');
      return { keywords: [...keywords].sort(), mailboxIds: [...target] };
    };
    const apply = async (w: WriteContext, n: ReturnType<typeof next>) => {
      const row = await this.row(accountId, id, v, w.trx);
      await this.writer.setKeywords(w, accountId, row, n.keywords);
      if (n.mailboxIds) await this.writer.setMailboxes(w, accountId, (await repo.email(w.trx, accountId, id))!, n.mailboxIds);
    };
    const upstream = await this.gate?.of(accountId);
    if (!upstream) {
      await this.store.write(async (w) => {
        const row = await this.row(accountId, id, v, w.trx);
        await apply(w, next(row, movesMail ? (await repo.memberships(w.trx, [id])).map((m) => m.mailbox_id) : []));
      });
      return;
    }
    await this.gate!.exclusive(accountId, async () => {
      const row = await this.row(accountId, id, v);
      const current = (await repo.memberships(this.store.db, [id])).map((m) => m.mailbox_id);
      const n = next(row, current);
      const moving = n.mailboxIds !== null && (n.mailboxIds.length !== current.length || n.mailboxIds.some((m) => !current.includes(m)));
      if (moving && n.mailboxIds!.length !== 1) throw invalid('mailboxIds', 'a message of a mirrored IMAP account is in exactly one mailbox');
      // Upstream first, flags before the move so they travel with the message.
      const at = await upstream.locate(id);
      await upstream.setKeywords(at, parseKeywords(row.keywords), n.keywords);
      const moved = moving ? await upstream.move(at, await upstream.folderOf(n.mailboxIds![0])) : null;
      await this.store.write(async (w) => {
        await apply(w, n);
        if (moved) await remoteRepo.relocate(w.trx, id, at, moved);
      });
    });
  }

  /** Copies emails of one account into another (see copyEmails); each result is the new email or why it failed. */
  async copy(fromAccountId: string, toAccountId: string, copies: EmailCopy[], v: Visibility = {}): Promise<PromiseSettledResult<EmailRow>[]> {
    const upstream = await this.gate?.of(toAccountId);
    if (!upstream) return copyEmails(this.store, this.writer, fromAccountId, toAccountId, copies, v);
    // Into a mirrored account: each copy is appended upstream first and linked to its new UID.
    return this.gate!.exclusive(toAccountId, () =>
      copyEmails(this.store, this.writer, fromAccountId, toAccountId, copies, v, async (email) => {
        if (email.mailboxIds.length !== 1) throw invalid('mailboxIds', 'a message of a mirrored IMAP account is in exactly one mailbox');
        const at = await upstream.append(await upstream.folderOf(email.mailboxIds[0]), email.raw, email.keywords, email.receivedAt);
        return async (w, emailId) => {
          await remoteRepo.insertMessages(w.trx, [{ folder_id: at.folderId, uid: at.uid, email_id: emailId }]);
        };
      }),
    );
  }

  async delete(accountId: string, id: string, v: Visibility = {}): Promise<void> {
    const upstream = await this.gate?.of(accountId);
    if (!upstream) {
      await this.store.write(async (w) => {
        await this.row(accountId, id, v, w.trx);
        await this.writer.destroy(w, accountId, id);
      });
    } else {
      await this.gate!.exclusive(accountId, async () => {
        await this.row(accountId, id, v);
        const at = await upstream.locate(id);
        await upstream.expunge(at);
        await this.store.write(async (w) => {
          await this.writer.destroy(w, accountId, id);
          await remoteRepo.deleteMessages(w.trx, at.folderId, [at.uid]);
        });
      });
    }
    await this.writer.collectGarbage();
  }

  /**
   * Moves the emails of one mailbox into another, keeping their ids (IMAP's RENAME of INBOX).
   * Only those there when it starts: mail delivered meanwhile stays. A chunk of UIDs per
   * transaction, so a huge mailbox never holds the write lock for long. A mirrored account moves
   * each message upstream first (as update() does), so the two never disagree even if it stops halfway.
   */
  async moveAll(accountId: string, fromId: string, toId: string): Promise<void> {
    const from = await repo.mailbox(this.store.db, accountId, fromId);
    if (!from) throw notFound(`mailbox ${fromId}`);
    const upstream = await this.gate?.of(accountId);
    for (let after = 0; ; ) {
      const chunk = await repo.membersByUid(this.store.db, fromId, after, from.uidnext, MOVE_CHUNK);
      if (chunk.length === 0) return;
      after = Number(chunk[chunk.length - 1].uid);
      const ids = chunk.map((m) => m.email_id);
      if (upstream) {
        for (const id of ids) {
          await this.change(accountId, id, { mailboxIds: [toId] }).catch(async (err: unknown) => {
            // A message deleted meanwhile (by another session, or upstream) is no failure.
            if (!(err instanceof ServiceError && err.code === 'notFound') || (await repo.email(this.store.db, accountId, id))) throw err;
          });
        }
        continue;
      }
      await this.store.write(async (w) => {
        // In UID order, so the messages keep their order under their new UIDs.
        const byId = new Map((await repo.emailsByIds(w.trx, accountId, ids)).map((e) => [e.id, e]));
        await this.writer.move(w, accountId, ids.flatMap((id) => byId.get(id) ?? []), fromId, toId);
      });
    }
  }
}
