import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/connect.ts';
import { insertRows, runShaped } from '../db/shaped-query.ts';
import type { BlobRef } from '../blobs/fs.ts';
import { slotOf, type PackSlot } from '../blobs/packs.ts';
import type { BlobRow, EmailFlagsRow, EmailMailboxRow, EmailRow, EmailTable, MailboxRow } from '../db/schema.ts';
import type { Trx } from '../changes.ts';
import type { AccountScope } from '../search/types.ts';
import { escapeLike } from './like.ts';
import { inStrings } from '../db/dialect.ts';

type Q = Db | Trx;

// Message-ID references per statement: far below either backend's bound on bound parameters.
const REFS_PER_QUERY = 500;

export interface ListCursor {
  receivedAt: number;
  id: string;
}

export interface EmailFilter {
  accountId: AccountScope;
  mailboxId?: string;
  textMatch?: RawBuilder<unknown> | null;
  after?: number;
  before?: number;
  unseen?: boolean;
  flagged?: boolean;
  hasAttachment?: boolean;
  threadId?: string;
  notInMailboxIds?: string[];
  minSize?: number;
  maxSize?: number;
  hasKeywords?: string[];
  notKeywords?: string[];
  someInThreadKeywords?: string[];
  allInThreadKeywords?: string[];
  noneInThreadKeywords?: string[];
  /** Only these emails (JMAP queryChanges asks which changed emails match now). */
  ids?: string[];
  /** Leave out emails carrying $deleted, here and among the siblings thread conditions look at (JMAP, ADR 0015). */
  hideDeleted?: boolean;
  /** An OR/NOT condition tree (JMAP FilterOperator), ANDed with the flat fields. */
  condition?: EmailCondition;
}

/** The per-email conditions of a filter leaf: everything but the account and the fast-path options. */
export type EmailLeaf = Omit<EmailFilter, 'accountId' | 'condition' | 'hideDeleted'>;
export type EmailCondition = { operator: 'AND' | 'OR' | 'NOT'; conditions: EmailCondition[] } | EmailLeaf;

export interface QueryOptions {
  sort: EmailSort[];
  offset: number;
  limit: number;
  /** One email per thread: the first of each thread in sort order (JMAP collapseThreads). */
  collapseThreads?: boolean;
}

export type EmailSortColumn = 'received_at' | 'sent_at' | 'size' | 'subject_norm' | 'from_json' | 'to_json';

/**
 * One sort key: a column, or whether a keyword is set on the email, on some email of its thread
 * or on all of them (RFC 8621 §4.4.2 hasKeyword, someInThreadHaveKeyword, allInThreadHaveKeyword).
 */
export type EmailSort = { column: EmailSortColumn; asc: boolean } | { keyword: string; inThread: 'email' | 'some' | 'all'; asc: boolean };

/** 1 when the flags row behind `alias` has the keyword; $seen and $flagged have columns of their own. */
function hasKeyword(alias: string, keyword: string): RawBuilder<number> {
  if (keyword === '$seen' || keyword === '$flagged') return sql<number>`${sql.ref(`${alias}.${keyword.slice(1)}`)}`;
  return sql<number>`CASE WHEN ${sql.ref(`${alias}.keywords`)} LIKE ${keywordLike(keyword)} ESCAPE '\\' THEN 1 ELSE 0 END`;
}

/**
 * The flags row behind `alias` carries IMAP's \Deleted. Written exactly as the partial index
 * email_flags_deleted (migration 023) is: a literal without ESCAPE, or neither planner matches it.
 */
export const deletedIn = (alias: string) => sql<boolean>`${sql.ref(`${alias}.keywords`)} LIKE '%"$deleted"%'`;

/** The other emails of the thread, as `t` (by the (thread_id, received_at) index) with their flags as `tf`. */
const siblingsOf = (hideDeleted: boolean) =>
  sql`FROM emails t JOIN email_flags tf ON tf.email_id = t.id WHERE t.thread_id = emails.thread_id${hideDeleted ? sql` AND NOT ${deletedIn('tf')}` : sql``}`;

/** The email is not awaiting an IMAP EXPUNGE: what JMAP may see. Over a query with its flags as `f` (withFlags). */
export const notDeleted = sql<boolean>`NOT ${deletedIn('f')}`;

/** `emails` joined with each email's flags row as `f`. */
export const withFlags = (db: Q) => db.selectFrom('emails').innerJoin('email_flags as f', 'f.email_id', 'emails.id');
/** A mailbox's memberships joined with their emails and the emails' flags as `f`. */
const membersWithFlags = (db: Q, mailboxId: string) =>
  db.selectFrom('email_mailboxes as em').innerJoin('emails', 'emails.id', 'em.email_id').innerJoin('email_flags as f', 'f.email_id', 'em.email_id').where('em.mailbox_id', '=', mailboxId);
/** The flag columns that, with all of `emails`, make an EmailRow. */
const FLAGS = ['f.keywords', 'f.seen', 'f.flagged'] as const;

/**
 * Which table a query walks, and so which copy of `received_at` (and which id) orders it: a
 * mailbox's memberships (`em`), a partial index of flags (`f`, for "unseen" or "flagged" across
 * the account), or the account's emails. Ordering by another table's copy would sort everything.
 */
type Walk = 'mailbox' | 'flags' | 'account';
const TIME: Record<Walk, string> = { mailbox: 'em.received_at', flags: 'f.received_at', account: 'emails.received_at' };
const ID: Record<Walk, string> = { mailbox: 'em.email_id', flags: 'f.email_id', account: 'emails.id' };

function walkOf(filter: EmailFilter): Walk {
  if (filter.mailboxId !== undefined) return 'mailbox';
  const partial = filter.unseen === true || filter.flagged === true || !!filter.hasKeywords?.includes('$flagged') || !!filter.notKeywords?.includes('$seen');
  return partial && !filter.textMatch ? 'flags' : 'account';
}

/** The base of an email query for its walk, scoped to the mailbox or the accounts. */
function walkBase(db: Q, filter: EmailFilter, walk: Walk) {
  if (walk === 'mailbox') return membersWithFlags(db, filter.mailboxId!);
  return withFlags(db).where(inScope(sql.ref(walk === 'flags' ? 'f.account_id' : 'emails.account_id'), filter.accountId));
}

function sortExpression(s: EmailSort, walk: Walk, hideDeleted: boolean): RawBuilder<unknown> {
  if ('column' in s) return sql.ref(s.column === 'received_at' ? TIME[walk] : `emails.${s.column}`);
  if (s.inThread === 'email') return hasKeyword('f', s.keyword);
  const member = hasKeyword('tf', s.keyword);
  return s.inThread === 'some'
    ? sql`CASE WHEN EXISTS (SELECT 1 ${siblingsOf(hideDeleted)} AND ${member} = 1) THEN 1 ELSE 0 END`
    : sql`CASE WHEN EXISTS (SELECT 1 ${siblingsOf(hideDeleted)} AND ${member} = 0) THEN 0 ELSE 1 END`;
}

/** Queries for mailboxes, emails and their memberships. Rules live in services/mail. */
export const mailRepo = {
  mailboxes: (db: Q, accountId: string) =>
    db.selectFrom('mailboxes').selectAll().where('account_id', '=', accountId).orderBy('sort_order').orderBy('name').execute(),
  mailboxesOf: (db: Q, accountIds: readonly string[]) =>
    accountIds.length === 0 ? Promise.resolve([] as MailboxRow[]) : db.selectFrom('mailboxes').selectAll().where('account_id', 'in', accountIds).execute(),
  mailbox: async (db: Q, accountId: string, id: string) =>
    (await runShaped(db, 'mailbox by id', [accountId, id], () => db.selectFrom('mailboxes').selectAll().where('account_id', '=', accountId).where('id', '=', id))).rows[0],
  mailboxByRole: (db: Q, accountId: string, role: string) =>
    db.selectFrom('mailboxes').selectAll().where('account_id', '=', accountId).where('role', '=', role).executeTakeFirst(),
  mailboxByName: (db: Q, accountId: string, parentId: string, name: string) =>
    db.selectFrom('mailboxes').selectAll().where('account_id', '=', accountId).where('parent_id', '=', parentId).where('name', '=', name).executeTakeFirst(),
  childCount: async (db: Q, mailboxId: string) =>
    Number((await db.selectFrom('mailboxes').select((eb) => eb.fn.countAll<number>().as('n')).where('parent_id', '=', mailboxId).executeTakeFirstOrThrow()).n),
  insertMailbox: (db: Q, row: MailboxRow) => db.insertInto('mailboxes').values(row).execute(),
  updateMailbox: (db: Q, id: string, patch: Partial<MailboxRow>) => db.updateTable('mailboxes').set(patch).where('id', '=', id).execute(),
  deleteMailbox: (db: Q, id: string) => db.deleteFrom('mailboxes').where('id', '=', id).execute(),

  /** Takes the next UID and adjusts the counters in one statement. */
  /** The next `count` UIDs of a mailbox for new members of `size` bytes in all, `unseen` of them unseen: the first is returned. */
  allocateUids: async (db: Q, mailboxId: string, count: number, size: number, unseen: number, modseq: number): Promise<number> => {
    const { rows } = await runShaped(db, 'allocate uids', [count, count, unseen, size, modseq, mailboxId], () =>
      db
        .updateTable('mailboxes')
        .set({
          uidnext: sql`uidnext + ${count}`,
          message_count: sql`message_count + ${count}`,
          unseen_count: sql`unseen_count + ${unseen}`,
          size: sql`size + ${size}`,
          updated_modseq: modseq,
        })
        .where('id', '=', mailboxId)
        .returning('uidnext'),
    );
    if (!rows[0]) throw new Error(`mailbox ${mailboxId} does not exist`);
    return Number(rows[0].uidnext) - count;
  },
  adjustCounts: (db: Q, mailboxId: string, delta: { count: number; unseen: number; size: number }, modseq: number) =>
    db
      .updateTable('mailboxes')
      .set({
        message_count: sql`message_count + ${delta.count}`,
        unseen_count: sql`unseen_count + ${delta.unseen}`,
        size: sql`size + ${delta.size}`,
        updated_modseq: modseq,
        ...(delta.count < 0 ? { expunge_modseq: modseq } : {}),
      })
      .where('id', '=', mailboxId)
      .execute(),

  /** New emails with their flag rows; their `num`s, in the order given. */
  insertEmails: async (db: Q, rows: Omit<EmailRow, 'num'>[]): Promise<number[]> => {
    const stored = rows.map(({ keywords: _k, seen: _s, flagged: _f, ...rest }) => rest);
    // RETURNING promises no row order on either backend: matched by id.
    const nums = new Map((await insertRows(db, 'emails', stored, ['id', 'num'])).rows.map((r) => [r.id as string, Number(r.num)]));
    await insertRows(
      db,
      'email_flags',
      rows.map((r) => ({ email_id: r.id, account_id: r.account_id, received_at: r.received_at, keywords: r.keywords, seen: r.seen, flagged: r.flagged })),
    );
    return rows.map((r) => nums.get(r.id)!);
  },
  insertMemberships: (db: Q, rows: EmailMailboxRow[]) => insertRows(db, 'email_mailboxes', rows),
  deleteMembership: (db: Q, emailId: string, mailboxId: string) =>
    db.deleteFrom('email_mailboxes').where('email_id', '=', emailId).where('mailbox_id', '=', mailboxId).execute(),
  touchMemberships: (db: Q, emailId: string, modseq: number) =>
    db.updateTable('email_mailboxes').set({ modseq }).where('email_id', '=', emailId).execute(),
  memberships: (db: Q, emailIds: string[]) =>
    emailIds.length === 0 ? Promise.resolve([] as EmailMailboxRow[]) : db.selectFrom('email_mailboxes').selectAll().where('email_id', 'in', emailIds).execute(),
  email: (db: Q, accountId: string, id: string): Promise<EmailRow | undefined> =>
    withFlags(db).selectAll('emails').select(FLAGS).where('emails.account_id', '=', accountId).where('emails.id', '=', id).executeTakeFirst(),
  updateEmail: (db: Q, id: string, patch: Partial<EmailTable>) => db.updateTable('emails').set(patch).where('id', '=', id).execute(),
  /** The same new flags for these emails, and their memberships' modseq: two statements over narrow rows. */
  async setFlags(db: Q, ids: string[], flags: Pick<EmailFlagsRow, 'keywords' | 'seen' | 'flagged'>, modseq: number): Promise<void> {
    await db.updateTable('email_flags').set(flags).where('email_id', 'in', inStrings(db, ids)).execute();
    await db.updateTable('email_mailboxes').set({ modseq }).where('email_id', 'in', inStrings(db, ids)).execute();
  },
  deleteEmail: (db: Q, id: string) => db.deleteFrom('emails').where('id', '=', id).execute(),
  emailsInMailbox: (db: Q, mailboxId: string) =>
    db.selectFrom('email_mailboxes').select('email_id').where('mailbox_id', '=', mailboxId).execute(),
  /** A mailbox walked by UID in chunks: up to `limit` members with `afterUid` < uid < `belowUid`, lowest first (the primary key). */
  membersByUid: (db: Q, mailboxId: string, afterUid: number, belowUid: number, limit: number) =>
    db.selectFrom('email_mailboxes').select(['email_id', 'uid']).where('mailbox_id', '=', mailboxId).where('uid', '>', afterUid).where('uid', '<', belowUid).orderBy('uid').limit(limit).execute(),
  emailIdsOfAccount: (db: Q, accountId: string, afterNum: number, limit: number) =>
    db.selectFrom('emails').select(['id', 'num', 'blob_id']).where('account_id', '=', accountId).where('num', '>', afterNum).orderBy('num').limit(limit).execute(),
  threadEmails: (db: Q, accountId: string, threadId: string): Promise<EmailRow[]> =>
    withFlags(db)
      .selectAll('emails')
      .select(FLAGS)
      .where('emails.thread_id', '=', threadId)
      .where(sql<boolean>`(emails.account_id || '') = ${accountId}`)
      .orderBy('emails.received_at')
      .orderBy('emails.id')
      .execute(),

  /** The distinct threads of these emails (those that exist). */
  threadIdsOf: async (db: Q, accountId: string, emailIds: string[]): Promise<string[]> =>
    emailIds.length === 0
      ? []
      : (await db.selectFrom('emails').select('thread_id').distinct().where('id', 'in', emailIds).where(sql<boolean>`(emails.account_id || '') = ${accountId}`).execute()).map((r) => r.thread_id),

  /** The thread each of these Message-ID references already belongs to, for those that do. */
  async threadsForRefs(db: Q, accountId: string, refs: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < refs.length; i += REFS_PER_QUERY) {
      const chunk = refs.slice(i, i + REFS_PER_QUERY);
      const { rows } = await runShaped(db, `threads for refs ×${chunk.length}`, [accountId, ...chunk], () =>
        db.selectFrom('thread_refs').select(['ref', 'thread_id']).where('account_id', '=', accountId).where('ref', 'in', chunk),
      );
      for (const r of rows) found.set(r.ref, r.thread_id);
    }
    return found;
  },
  threadForSubject: async (db: Q, accountId: string, subjectNorm: string, since: number) =>
    (
      await runShaped(db, 'thread for subject', [accountId, subjectNorm, since, 1], () =>
        db
          .selectFrom('emails')
          .select(['thread_id', 'received_at'])
          .where('account_id', '=', accountId)
          .where('subject_norm', '=', subjectNorm)
          .where('received_at', '>=', since)
          .orderBy('received_at', 'desc')
          .limit(1),
      )
    ).rows[0],
  insertThreads: (db: Q, accountId: string, ids: string[]) => {
    const now = Date.now();
    return ids.length ? insertRows(db, 'threads', ids.map((id) => ({ id, account_id: accountId, created_at: now }))) : Promise.resolve();
  },
  /** Ties references to threads; a reference tied already keeps its thread. */
  addThreadRefs: async (db: Q, accountId: string, refs: { ref: string; thread_id: string }[]) => {
    for (let i = 0; i < refs.length; i += REFS_PER_QUERY) {
      const rows = refs.slice(i, i + REFS_PER_QUERY).map((r) => ({ account_id: accountId, ref: r.ref, thread_id: r.thread_id }));
      await runShaped(db, `add thread refs ×${rows.length}`, rows.flatMap(Object.values), () =>
        db
          .insertInto('thread_refs')
          .values(rows)
          .onConflict((oc) => oc.columns(['account_id', 'ref']).doNothing()),
      );
    }
  },
  threadSize: async (db: Q, threadId: string) =>
    Number((await db.selectFrom('emails').select((eb) => eb.fn.countAll<number>().as('n')).where('thread_id', '=', threadId).executeTakeFirstOrThrow()).n),
  deleteThread: (db: Q, threadId: string) => db.deleteFrom('threads').where('id', '=', threadId).execute(),

  /** One more reference to each blob per time it is listed, its row created on first use. */
  /**
   * Counts a reference to each blob, making rows for new ones; the ids whose bytes are then in a
   * staging pack rather than a file (ADR 0033). A blob already stored keeps where it is: a new
   * one given with a pack slot is recorded there.
   */
  addBlobRefs: async (db: Q, blobs: BlobRef[]): Promise<Set<string>> => {
    type Row = Omit<BlobRow, 'refcount'> & { refcount: number };
    const counted = new Map<string, Row>();
    const now = Date.now();
    // One row per id: PostgreSQL refuses an upsert that touches a row twice.
    for (const b of blobs) {
      const row = counted.get(b.id);
      if (row) row.refcount++;
      else counted.set(b.id, { id: b.id, size: b.size, refcount: 1, created_at: now, pack: b.slot?.pack ?? null, pack_offset: b.slot?.offset ?? null });
    }
    const rows = [...counted.values()];
    if (rows.length === 0) return new Set();
    const res = await runShaped(db, `add blob refs ×${rows.length}`, rows.flatMap(Object.values), () =>
      db
        .insertInto('blobs')
        .values(rows)
        .onConflict((oc) => oc.column('id').doUpdateSet({ refcount: sql`blobs.refcount + excluded.refcount` }))
        .returning(['id', 'pack']),
    );
    return new Set(res.rows.filter((r) => r.pack !== null).map((r) => r.id));
  },
  /** Where blobs not yet written out as files are, by id. */
  async blobPacks(db: Q, ids: string[]): Promise<Map<string, PackSlot>> {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom('blobs').select(['id', 'size', 'pack', 'pack_offset']).where('id', 'in', ids).where('pack', 'is not', null).execute();
    return new Map(rows.map((r) => [r.id, slotOf(r)]));
  },
  /** Blobs still in packs, in pack order, from just past `after`. */
  packedBlobs: (db: Q, after: { pack: string; offset: number } | null, limit: number) => {
    let q = db.selectFrom('blobs').select(['id', 'size', 'pack', 'pack_offset']).where('pack', 'is not', null);
    if (after) q = q.where((eb) => eb.or([eb('pack', '>', after.pack), eb.and([eb('pack', '=', after.pack), eb('pack_offset', '>', after.offset)])]));
    return q.orderBy('pack').orderBy('pack_offset').limit(limit).execute();
  },
  /** Marks blobs as files now; the ids that still had a row. */
  async unpackBlobs(db: Q, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db.updateTable('blobs').set({ pack: null, pack_offset: null }).where('id', 'in', ids).returning('id').execute();
    return new Set(rows.map((r) => r.id));
  },
  addUnreferencedBlob: (db: Q, id: string, size: number) =>
    db.insertInto('blobs').values({ id, size, refcount: 0, created_at: Date.now() }).onConflict((oc) => oc.column('id').doNothing()).execute(),
  dropBlobRef: (db: Q, id: string) => db.updateTable('blobs').set({ refcount: sql`refcount - 1` }).where('id', '=', id).execute(),
  unreferencedBlobs: (db: Q, limit: number) => db.selectFrom('blobs').select(['id', 'pack']).where('refcount', '<=', 0).limit(limit).execute(),
  deleteBlobRow: (db: Q, id: string) => db.deleteFrom('blobs').where('id', '=', id).where('refcount', '<=', 0).executeTakeFirst(),

  /** Adds to the account's usage only if it stays within quota (0 = unlimited); false when it would not. */
  addUsageWithinQuota: async (db: Q, accountId: string, bytes: number, quota: number): Promise<boolean> => {
    const limited = quota > 0;
    const res = await runShaped(db, `add usage${limited ? ' within quota' : ''}`, limited ? [bytes, accountId, bytes, quota] : [bytes, accountId], () => {
      const q = db.updateTable('accounts').set({ used_bytes: sql`used_bytes + ${bytes}` }).where('id', '=', accountId);
      return limited ? q.where(sql<boolean>`used_bytes + ${bytes} <= ${quota}`) : q;
    });
    return Number(res.numAffectedRows) > 0;
  },
  addUsage: (db: Q, accountId: string, bytes: number) =>
    db.updateTable('accounts').set({ used_bytes: sql`used_bytes + ${bytes}` }).where('id', '=', accountId).execute(),
  account: (db: Q, accountId: string) => db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst(),
  modseqs: (db: Q, accountIds: readonly string[]) =>
    accountIds.length === 0 ? Promise.resolve([]) : db.selectFrom('accounts').select(['id', 'modseq']).where('id', 'in', accountIds).execute(),

  /**
   * One page of emails matching the filter, newest (or oldest) first, keyset-paginated on
   * (received_at, id). Scoped to a mailbox it walks email_mailboxes' (mailbox, received_at) index.
   */
  listEmails: (db: Q, filter: EmailFilter, opts: { limit: number; order: 'asc' | 'desc'; cursor?: ListCursor }) => {
    const walk = walkOf(filter);
    const [time, id] = [TIME[walk], ID[walk]];
    let q = walkBase(db, filter, walk).selectAll('emails').select(FLAGS);
    q = q.orderBy(sql.ref(time), opts.order).orderBy(sql.ref(id), opts.order).limit(opts.limit);
    if (opts.cursor) {
      const c = opts.cursor;
      const cmp = sql.raw(opts.order === 'desc' ? '<' : '>');
      q = q.where(sql<boolean>`(${sql.ref(time)} ${cmp} ${c.receivedAt} OR (${sql.ref(time)} = ${c.receivedAt} AND ${sql.ref(id)} ${cmp} ${c.id}))`);
    }
    return applyEmailFilter(q, filter, walk === 'mailbox').execute();
  },

  /** Ids of matching emails in a sort order, by offset (JMAP Email/query positions). */
  queryEmailIds: async (db: Q, filter: EmailFilter, opts: QueryOptions): Promise<string[]> => {
    const walk = walkOf(filter);
    const walkingMailbox = walk === 'mailbox';
    let q = walkBase(db, filter, walk).select('emails.id');
    // In a mailbox walk, receivedAt sorts by the membership copy so the mailbox index serves it.
    const keys = [
      ...opts.sort.map((s) => ({ expr: sortExpression(s, walk, !!filter.hideDeleted), asc: s.asc })),
      // The tie-break must be the walked index's own column, or SQLite sorts the whole mailbox.
      { expr: sql.ref(ID[walk]), asc: opts.sort[0]?.asc ?? false },
    ];
    if (opts.collapseThreads) {
      const order = sql.join(keys.map((k) => sql`${k.expr} ${sql.raw(k.asc ? 'ASC' : 'DESC')}`));
      const inner = applyEmailFilter(
        q.select([sql<number>`ROW_NUMBER() OVER (PARTITION BY emails.thread_id ORDER BY ${order})`.as('rn'), sql<number>`ROW_NUMBER() OVER (ORDER BY ${order})`.as('pos')]),
        filter,
        walkingMailbox,
      );
      const rows = await sql<{ id: string }>`SELECT c.id FROM (${inner}) c WHERE c.rn = 1 ORDER BY c.pos LIMIT ${opts.limit} OFFSET ${opts.offset}`.execute(db);
      return rows.rows.map((r) => r.id);
    }
    for (const k of keys) q = q.orderBy(k.expr, k.asc ? 'asc' : 'desc');
    q = q.offset(opts.offset).limit(opts.limit);
    return (await applyEmailFilter(q, filter, walkingMailbox).execute()).map((r) => r.id);
  },

  /** By the unique id index; the no-op concatenation stops SQLite from walking the whole account instead (9 ms at 20k). */
  emailsByIds: (db: Q, scope: AccountScope, ids: string[], hideDeleted = false) =>
    ids.length === 0
      ? Promise.resolve([] as EmailRow[])
      : withFlags(db)
          .selectAll('emails')
          .select(FLAGS)
          .where('emails.id', 'in', ids)
          .where(inScope(sql`(emails.account_id || '')`, scope))
          .$if(hideDeleted, (q) => q.where(notDeleted))
          .execute(),
  /** Which of these emails carry $deleted now. */
  deletedAmong: async (db: Q, accountId: string, ids: string[]): Promise<string[]> =>
    ids.length === 0
      ? []
      : (await db.selectFrom('email_flags as f').select('f.email_id').where('f.email_id', 'in', ids).where(sql<boolean>`(f.account_id || '') = ${accountId}`).where(deletedIn('f')).execute()).map((r) => r.email_id),
  emailByNum: (db: Q, scope: AccountScope, num: number): Promise<EmailRow | undefined> =>
    withFlags(db).selectAll('emails').select(FLAGS).where('emails.num', '=', num).where(inScope(sql`(emails.account_id || '')`, scope)).executeTakeFirst(),
  threadEmailIds: (db: Q, accountId: string, threadIds: string[], hideDeleted = false) =>
    threadIds.length === 0
      ? Promise.resolve([] as { id: string; thread_id: string }[])
      : withFlags(db)
          .select(['emails.id', 'emails.thread_id'])
          .where('emails.thread_id', 'in', threadIds)
          .where(sql<boolean>`(emails.account_id || '') = ${accountId}`)
          .$if(hideDeleted, (q) => q.where(notDeleted))
          .orderBy('emails.received_at')
          .orderBy('emails.id')
          .execute(),
  /** Which of these threads have an email without $deleted. */
  threadsWithVisibleEmails: async (db: Q, accountId: string, threadIds: string[]): Promise<string[]> =>
    threadIds.length === 0
      ? []
      : (
          await withFlags(db)
            .select('emails.thread_id')
            .distinct()
            .where('emails.thread_id', 'in', threadIds)
            .where(sql<boolean>`(emails.account_id || '') = ${accountId}`)
            .where(notDeleted)
            .execute()
        ).map((r) => r.thread_id),
  /** How many emails each thread has, by the (thread_id, received_at) index. */
  threadSizes: (db: Q, threadIds: string[]) =>
    threadIds.length === 0
      ? Promise.resolve([] as { thread_id: string; n: number }[])
      : db.selectFrom('emails').select(['thread_id', sql<number>`count(*)`.as('n')]).where('thread_id', 'in', threadIds).groupBy('thread_id').execute(),
  /** Distinct threads and unread threads per mailbox, leaving out emails carrying $deleted (JMAP Mailbox totalThreads/unreadThreads). */
  threadCounts: (db: Q, accountId: string) =>
    db
      .selectFrom('email_mailboxes as em')
      .innerJoin('emails', 'emails.id', 'em.email_id')
      .innerJoin('email_flags as f', 'f.email_id', 'em.email_id')
      .select(['em.mailbox_id'])
      .select(sql<number>`count(DISTINCT emails.thread_id)`.as('threads'))
      .select(sql<number>`count(DISTINCT CASE WHEN f.seen = 0 THEN emails.thread_id END)`.as('unread'))
      .where('em.account_id', '=', accountId)
      .where(notDeleted)
      .groupBy('em.mailbox_id')
      .execute(),
  /**
   * Emails and unseen emails per mailbox, leaving out those carrying $deleted (JMAP Mailbox
   * totalEmails/unreadEmails): the counters less what the email_flags_deleted index finds. One
   * statement, so both sides are read at the same moment.
   */
  visibleCounts: (db: Q, accountId: string) => {
    const deleted = db
      .selectFrom('email_flags as f')
      .innerJoin('email_mailboxes as em', 'em.email_id', 'f.email_id')
      .select(['em.mailbox_id', sql<number>`count(*)`.as('n'), sql<number>`sum(1 - f.seen)`.as('unseen')])
      .where('f.account_id', '=', accountId)
      .where(deletedIn('f'))
      .groupBy('em.mailbox_id')
      .as('d');
    return db
      .selectFrom('mailboxes as m')
      .leftJoin(deleted, 'd.mailbox_id', 'm.id')
      .select(['m.id', sql<number>`m.message_count - coalesce(d.n, 0)`.as('emails'), sql<number>`m.unseen_count - coalesce(d.unseen, 0)`.as('unread')])
      .where('m.account_id', '=', accountId)
      .execute();
  },

  countEmails: async (db: Q, filter: EmailFilter, distinctThreads = false): Promise<number> => {
    const counted = distinctThreads ? sql<number>`count(DISTINCT emails.thread_id)` : sql<number>`count(*)`;
    const row = await matches(db, filter).select(counted.as('n')).executeTakeFirstOrThrow();
    return Number((row as { n: number }).n);
  },

  /** `num` of every email matching the filter, in no particular order. */
  matchingNums: async (db: Q, filter: EmailFilter): Promise<number[]> =>
    (await matches(db, filter).select('emails.num').execute()).map((r) => Number(r.num)),

  /** What reading the header blocks of these emails needs. */
  headerSources: (db: Q, nums: number[]) =>
    nums.length === 0 ? Promise.resolve([]) : db.selectFrom('emails').select(['num', 'blob_id', 'structure']).where('num', 'in', nums).execute(),

  recentChanges: (db: Q, accountId: string, sinceModseq: number, limit: number) =>
    db.selectFrom('changes').selectAll().where('account_id', '=', accountId).where('modseq', '>', sinceModseq).orderBy('modseq').limit(limit).execute(),
  oldestChange: (db: Q, accountId: string) =>
    db.selectFrom('changes').select('modseq').where('account_id', '=', accountId).orderBy('modseq').limit(1).executeTakeFirst(),
  pruneChanges: (db: Q, before: number) => db.deleteFrom('changes').where('created_at', '<', before).executeTakeFirst(),
};


/**
 * The emails matching a filter. With a text match it starts from the matches (already scoped to
 * the account) and checks mailbox membership per match; scanning the account or mailbox instead
 * cost seconds at 100k messages.
 */
function matches(db: Q, filter: EmailFilter) {
  let base;
  if (filter.textMatch) {
    base = withFlags(db).where(sql<boolean>`emails.num IN (${filter.textMatch})`);
    if (filter.mailboxId) base = base.where(inMailbox(filter.mailboxId));
  } else {
    base = walkBase(db, filter, walkOf(filter));
  }
  return applyEmailFilter(base, { ...filter, textMatch: null });
}

/** `expr` is one of the scope's accounts; the empty scope matches nothing. */
function inScope(expr: RawBuilder<unknown>, scope: AccountScope): RawBuilder<boolean> {
  if (typeof scope === 'string') return sql<boolean>`${expr} = ${scope}`;
  return scope.length ? sql<boolean>`${expr} IN (${sql.join(scope)})` : sql<boolean>`1 = 0`;
}

const inMailbox = (mailboxId: string) => sql<boolean>`EXISTS (SELECT 1 FROM email_mailboxes y WHERE y.email_id = emails.id AND y.mailbox_id = ${mailboxId})`;

const keywordLike = (k: string) => `%"${escapeLike(k)}"%`;

// The filter conditions shared by list and count, each a boolean SQL expression over `emails`.
function leafParts(f: EmailLeaf, walkingMailbox: boolean, hideDeleted: boolean): RawBuilder<boolean>[] {
  const out: RawBuilder<boolean>[] = [];
  // Walking a mailbox, unary plus keeps the planner from using the match list as an index key
  // inside the walk (a nested loop over every match for every message: seconds at 100k).
  if (f.textMatch) out.push(walkingMailbox ? sql<boolean>`+emails.num IN (${f.textMatch})` : sql<boolean>`emails.num IN (${f.textMatch})`);
  if (f.after !== undefined) out.push(sql<boolean>`emails.received_at >= ${f.after}`);
  if (f.before !== undefined) out.push(sql<boolean>`emails.received_at < ${f.before}`);
  // Literals, not parameters: only a literal lets SQLite match the partial indexes on seen/flagged.
  if (f.unseen !== undefined) out.push(f.unseen ? sql<boolean>`f.seen = 0` : sql<boolean>`f.seen = 1`);
  if (f.flagged !== undefined) out.push(f.flagged ? sql<boolean>`f.flagged = 1` : sql<boolean>`f.flagged = 0`);
  if (f.hasAttachment !== undefined) out.push(f.hasAttachment ? sql<boolean>`emails.has_attachment = 1` : sql<boolean>`emails.has_attachment = 0`);
  if (f.ids !== undefined) out.push(f.ids.length ? sql<boolean>`emails.id IN (${sql.join(f.ids)})` : sql<boolean>`1 = 0`);
  if (f.threadId !== undefined) out.push(sql<boolean>`emails.thread_id = ${f.threadId}`);
  if (f.minSize !== undefined) out.push(sql<boolean>`emails.size >= ${f.minSize}`);
  if (f.maxSize !== undefined) out.push(sql<boolean>`emails.size < ${f.maxSize}`);
  for (const m of f.notInMailboxIds ?? []) {
    out.push(sql<boolean>`NOT EXISTS (SELECT 1 FROM email_mailboxes x WHERE x.email_id = emails.id AND x.mailbox_id = ${m})`);
  }
  // Keywords are validated atoms without quotes, so the JSON text can be matched directly;
  // $seen and $flagged are their columns, which the partial indexes serve.
  for (const k of f.hasKeywords ?? []) out.push(k === '$seen' || k === '$flagged' ? sql<boolean>`${hasKeyword('f', k)} = 1` : sql<boolean>`f.keywords LIKE ${keywordLike(k)} ESCAPE '\\'`);
  for (const k of f.notKeywords ?? []) out.push(k === '$seen' || k === '$flagged' ? sql<boolean>`${hasKeyword('f', k)} = 0` : sql<boolean>`f.keywords NOT LIKE ${keywordLike(k)} ESCAPE '\\'`);
  const sibling = (k: string, not: boolean) =>
    sql<boolean>`EXISTS (SELECT 1 ${siblingsOf(hideDeleted)} AND tf.keywords ${sql.raw(not ? 'NOT LIKE' : 'LIKE')} ${keywordLike(k)} ESCAPE '\\')`;
  for (const k of f.someInThreadKeywords ?? []) out.push(sibling(k, false));
  for (const k of f.allInThreadKeywords ?? []) out.push(sql<boolean>`NOT ${sibling(k, true)}`);
  for (const k of f.noneInThreadKeywords ?? []) out.push(sql<boolean>`NOT ${sibling(k, false)}`);
  return out;
}

const TRUE = sql<boolean>`1 = 1`;

function conditionSql(c: EmailCondition, hideDeleted: boolean): RawBuilder<boolean> {
  if ('operator' in c) {
    const parts = c.conditions.map((d) => conditionSql(d, hideDeleted));
    if (c.operator === 'AND') return parts.length ? sql<boolean>`(${sql.join(parts, sql` AND `)})` : TRUE;
    const any = parts.length ? sql<boolean>`(${sql.join(parts, sql` OR `)})` : sql<boolean>`1 = 0`;
    return c.operator === 'OR' ? any : sql<boolean>`NOT ${any}`;
  }
  const parts = leafParts(c, false, hideDeleted);
  if (c.mailboxId !== undefined) parts.push(inMailbox(c.mailboxId));
  return parts.length ? sql<boolean>`(${sql.join(parts, sql` AND `)})` : TRUE;
}

function applyEmailFilter<T extends { where: (...args: any[]) => T }>(q: T, f: EmailFilter, walkingMailbox = false): T {
  let out = q;
  const hideDeleted = !!f.hideDeleted;
  for (const p of leafParts(f, walkingMailbox, hideDeleted)) out = out.where(p);
  if (hideDeleted) out = out.where(notDeleted);
  if (f.condition) out = out.where(conditionSql(f.condition, hideDeleted));
  return out;
}
