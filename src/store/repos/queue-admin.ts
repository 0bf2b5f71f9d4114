import { sql, type ExpressionBuilder } from 'kysely';
import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { Tables } from '../db/schema.ts';
import { escapeLike } from './like.ts';

type Q = Db | Trx;

/** pending: not tried yet; deferred: tried and waiting for a retry. */
export type QueueFilterStatus = 'pending' | 'deferred' | 'failed' | 'delivered' | 'cancelled';

export interface QueueFilter {
  status?: QueueFilterStatus;
  /** Substring of a recipient address. */
  recipient?: string;
  /** Substring of the reverse path. */
  from?: string;
  /** A recipient domain, exactly. */
  domain?: string;
  /** Substring of the reverse path or of any recipient address (Stalwart's free text). */
  text?: string;
}

const contains = (s: string) => `%${escapeLike(s.toLowerCase())}%`;

/** The filter as one condition on queue_messages: a message matches if one recipient does. */
function matching(eb: ExpressionBuilder<Tables, 'queue_messages'>, f: QueueFilter) {
  const conds = [];
  if (f.from !== undefined) conds.push(sql<boolean>`lower(queue_messages.mail_from) LIKE ${contains(f.from)} ESCAPE '\\'`);
  if (f.status !== undefined || f.recipient !== undefined || f.domain !== undefined) {
    let r = eb.selectFrom('queue_recipients as r').select('r.id').whereRef('r.message_id', '=', 'queue_messages.id');
    if (f.status === 'pending' || f.status === 'deferred') r = r.where('r.status', '=', 'queued').where('r.attempts', f.status === 'pending' ? '=' : '>', 0);
    else if (f.status !== undefined) r = r.where('r.status', '=', f.status);
    if (f.recipient !== undefined) r = r.where(sql<boolean>`r.address LIKE ${contains(f.recipient)} ESCAPE '\\'`);
    if (f.domain !== undefined) r = r.where('r.domain', '=', f.domain.toLowerCase());
    conds.push(eb.exists(r));
  }
  if (f.text !== undefined) {
    const t = contains(f.text);
    const r = eb.selectFrom('queue_recipients as t').select('t.id').whereRef('t.message_id', '=', 'queue_messages.id').where(sql<boolean>`t.address LIKE ${t} ESCAPE '\\'`);
    conds.push(eb.or([sql<boolean>`lower(queue_messages.mail_from) LIKE ${t} ESCAPE '\\'`, eb.exists(r)]));
  }
  return eb.and(conds);
}

/** The administrator's queries of the outbound queue: listing, rescheduling, cancelling. */
export const queueAdminRepo = {
  /** Messages oldest first (ids sort by creation), after a keyset position or at an offset. */
  list: (db: Q, f: QueueFilter, page: { after?: string; offset?: number; limit: number }) => {
    let q = db.selectFrom('queue_messages').selectAll().where((eb) => matching(eb, f));
    if (page.after !== undefined) q = q.where('id', '>', page.after);
    if (page.offset) q = q.offset(page.offset);
    return q.orderBy('id').limit(page.limit).execute();
  },

  count: async (db: Q, f: QueueFilter) =>
    Number((await db.selectFrom('queue_messages').select((eb) => eb.fn.countAll().as('n')).where((eb) => matching(eb, f)).executeTakeFirstOrThrow()).n),

  message: (db: Q, id: string) => db.selectFrom('queue_messages').selectAll().where('id', '=', id).executeTakeFirst(),

  recipientsOf: (db: Q, messageIds: string[]) =>
    messageIds.length === 0 ? Promise.resolve([]) : db.selectFrom('queue_recipients').selectAll().where('message_id', 'in', messageIds).orderBy('address').execute(),

  /**
   * Makes the waiting recipients due at `at`. A leased one keeps its lease: the attempt in
   * flight settles it, and a second attempt at the same time would risk a duplicate.
   */
  reschedule: async (db: Q, ids: string[], at: number, now: number) =>
    Number((await db.updateTable('queue_recipients').set({ next_attempt_at: at, updated_at: now }).where('id', 'in', ids).where('status', '=', 'queued').executeTakeFirst()).numUpdatedRows),

  /** Takes the lease away too, so an attempt in flight cannot settle the recipient back into the queue. */
  cancel: async (db: Q, ids: string[], now: number) =>
    Number(
      (
        await db
          .updateTable('queue_recipients')
          .set({ status: 'cancelled', lease_until: 0, lease_owner: null, last_response: 'cancelled by an administrator', updated_at: now })
          .where('id', 'in', ids)
          .where('status', '=', 'queued')
          .executeTakeFirst()
      ).numUpdatedRows,
    ),
};
