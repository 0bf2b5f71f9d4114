import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Trx } from '../changes.ts';

type Q = Db | Trx;

/** One message of a mailbox as an IMAP session tracks it. */
export interface ImapMessageRow {
  uid: number;
  email_id: string;
  modseq: number;
  keywords: string;
}

// IN lists are chunked: SQLite binds at most 32,766 parameters per statement.
const CHUNK = 500;

/**
 * Whether these UIDs are read as one range (then filtered): ascending and at least half of the
 * range, as a client's "1:*" is. One pair of bounds instead of a parameter per UID.
 */
function asRange(uids: number[]): boolean {
  for (let i = 1; i < uids.length; i++) if (uids[i]! <= uids[i - 1]!) return false;
  return uids.length > 1 && uids[uids.length - 1]! - uids[0]! + 1 <= 2 * uids.length;
}

/** These UIDs of a query over one mailbox's memberships (`em`). */
function ofUids<T extends { where: (...args: any[]) => T }>(q: T, uids: number[]): T {
  return asRange(uids) ? q.where('em.uid', '>=', uids[0]!).where('em.uid', '<=', uids[uids.length - 1]!) : q.where('em.uid', 'in', uids);
}

/** Memberships of these UIDs of a mailbox joined with their emails (`e`) and flags (`f`), to select columns from. */
const members = (db: Q, mailboxId: string, uids: number[]) =>
  ofUids(
    db.selectFrom('email_mailboxes as em').innerJoin('emails as e', 'e.id', 'em.email_id').innerJoin('email_flags as f', 'f.email_id', 'em.email_id').where('em.mailbox_id', '=', mailboxId),
    uids,
  );

/** The same with the flags (`f`) alone: what reading or changing flags needs, without the wide email rows. */
const flagMembers = (db: Q, mailboxId: string, uids: number[]) =>
  ofUids(db.selectFrom('email_mailboxes as em').innerJoin('email_flags as f', 'f.email_id', 'em.email_id').where('em.mailbox_id', '=', mailboxId), uids);

async function inChunks<T extends { uid: number | string | bigint }>(uids: number[], query: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < uids.length; i += CHUNK) {
    const chunk = uids.slice(i, i + CHUNK);
    let rows = await query(chunk);
    if (asRange(chunk) && chunk[chunk.length - 1]! - chunk[0]! + 1 > chunk.length) {
      const wanted = new Set(chunk);
      rows = rows.filter((r) => wanted.has(Number(r.uid)));
    }
    out.push(...rows);
  }
  return out;
}

/** Queries behind IMAP sessions: a mailbox's UID list, what changed in it, rows to FETCH. */
export const imapRepo = {
  /** Every message of the mailbox, ascending by UID (message sequence order). */
  messages: async (db: Q, mailboxId: string): Promise<ImapMessageRow[]> =>
    (
      await db
        .selectFrom('email_mailboxes as em')
        .innerJoin('email_flags as f', 'f.email_id', 'em.email_id')
        .select(['em.uid', 'em.email_id', 'em.modseq', 'f.keywords'])
        .where('em.mailbox_id', '=', mailboxId)
        .orderBy('em.uid')
        .execute()
    ).map((r) => ({ ...r, uid: Number(r.uid), modseq: Number(r.modseq) })),

  /**
   * Messages of the mailbox added or changed after a modseq, but for those last changed at one of
   * `skip` (the reader's own writes, which it knows already): those are left out before the join.
   */
  changedSince: async (db: Q, mailboxId: string, modseq: number, skip: number[] = []): Promise<ImapMessageRow[]> =>
    (
      await db
        .selectFrom('email_mailboxes as em')
        .innerJoin('email_flags as f', 'f.email_id', 'em.email_id')
        .select(['em.uid', 'em.email_id', 'em.modseq', 'f.keywords'])
        .where('em.mailbox_id', '=', mailboxId)
        .where('em.modseq', '>', modseq)
        .$if(skip.length > 0, (q) => q.where('em.modseq', 'not in', skip))
        .orderBy('em.uid')
        .execute()
    ).map((r) => ({ ...r, uid: Number(r.uid), modseq: Number(r.modseq) })),

  /** The mailbox's HIGHESTMODSEQ: its own last change (arrivals, expunges) or its messages' last. */
  async highestModseq(db: Q, mailboxId: string): Promise<number> {
    const row = await db
      .selectFrom('mailboxes as m')
      .select(['m.updated_modseq', sql<number | null>`(SELECT MAX(modseq) FROM email_mailboxes WHERE mailbox_id = m.id)`.as('top')])
      .where('m.id', '=', mailboxId)
      .executeTakeFirst();
    return row ? Math.max(Number(row.updated_modseq), Number(row.top ?? 0)) : 0;
  },

  /** What SEARCH compares, for every message of the mailbox. */
  searchRows: async (db: Q, mailboxId: string) =>
    (
      await db
        .selectFrom('email_mailboxes as em')
        .innerJoin('emails as e', 'e.id', 'em.email_id')
        .innerJoin('email_flags as f', 'f.email_id', 'em.email_id')
        .select(['em.uid', 'em.modseq', 'e.id', 'e.thread_id', 'e.size', 'e.received_at', 'e.sent_at', 'f.keywords'])
        .where('em.mailbox_id', '=', mailboxId)
        .orderBy('em.uid')
        .execute()
    ).map((r) => ({ ...r, uid: Number(r.uid), modseq: Number(r.modseq), size: Number(r.size), received_at: Number(r.received_at), sent_at: r.sent_at === null ? null : Number(r.sent_at) })),

  /** Flags and modseq of these UIDs of the mailbox (the state after a STORE). */
  states: async (db: Q, mailboxId: string, uids: number[]): Promise<ImapMessageRow[]> =>
    (await inChunks(uids, (chunk) => flagMembers(db, mailboxId, chunk).select(['em.uid', 'em.email_id', 'em.modseq', 'f.keywords']).execute())).map((r) => ({
      ...r,
      uid: Number(r.uid),
      modseq: Number(r.modseq),
    })),

  /** What STORE reads of these UIDs of the mailbox before changing their flags. */
  flagRows: async (db: Q, mailboxId: string, uids: number[]) =>
    (await inChunks(uids, (chunk) => flagMembers(db, mailboxId, chunk).select(['em.uid', 'em.modseq as member_modseq', 'f.email_id as id', 'f.keywords', 'f.seen']).execute())).map((r) => ({
      ...r,
      uid: Number(r.uid),
      member_modseq: Number(r.member_modseq),
      seen: Number(r.seen),
    })),

  /** What SORT and THREAD compare, for these UIDs of the mailbox. */
  orderRows: async (db: Q, mailboxId: string, uids: number[]) =>
    (
      await inChunks(uids, (chunk) =>
        members(db, mailboxId, chunk)
          .select(['em.uid', 'e.received_at', 'e.sent_at', 'e.size', 'e.subject', 'e.from_json', 'e.to_json', 'e.cc_json', 'e.message_id', 'e.in_reply_to_json', 'e.references_json'])
          .execute(),
      )
    ).map((r) => ({ ...r, uid: Number(r.uid), received_at: Number(r.received_at), sent_at: r.sent_at === null ? null : Number(r.sent_at), size: Number(r.size) })),

  /**
   * What FETCH, COPY and MOVE read of these UIDs of the mailbox: the email's columns they use and
   * its UID and modseq there; the MIME structure only when asked (it is the largest column).
   */
  /** Rows to FETCH; the wide columns (MIME structure, envelope) only when asked for. */
  emails: async (db: Q, mailboxId: string, uids: number[], wide: { structure: boolean; envelope: boolean }) =>
    (
      await inChunks(uids, (chunk) =>
        members(db, mailboxId, chunk)
          .select(['em.uid', 'em.modseq as member_modseq', 'e.id', 'e.thread_id', 'e.blob_id', 'f.keywords', 'f.seen', 'e.size', 'e.received_at'])
          .$if(wide.structure, (q) => q.select('e.structure'))
          .$if(wide.envelope, (q) => q.select('e.envelope'))
          .execute(),
      )
    ).map((r) => ({ ...r, uid: Number(r.uid), member_modseq: Number(r.member_modseq), size: Number(r.size), received_at: Number(r.received_at), seen: Number(r.seen) })),
};
