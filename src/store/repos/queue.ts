import { sql } from 'kysely';
import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { Dialect } from '../db/dialect.ts';
import type { QueueMessageRow, QueueRecipientRow } from '../db/schema.ts';
import { leaseRows } from './lease.ts';
import { mailRepo } from './mail.ts';

type Q = Db | Trx;

export interface DueRecipient extends QueueRecipientRow {
  mail_from: string;
  /** What queued it: 'dsn' for the queue's own reports. */
  origin: string;
  /** The account it was sent from, when known. */
  account_id: string | null;
  blob_id: string;
  created_at: number;
  expires_at: number;
  dsn_ret: string | null;
  dsn_envid: string | null;
}

/** Queries of the outbound queue. */
export const queueRepo = {
  insertMessage: (db: Q, row: QueueMessageRow) => db.insertInto('queue_messages').values(row).execute(),
  insertRecipients: (db: Q, rows: QueueRecipientRow[]) => db.insertInto('queue_recipients').values(rows).execute(),

  /** Leases up to `limit` due recipients to `owner` until `until`. */
  async lease(db: Db, dialect: Dialect, owner: string, now: number, until: number, limit: number): Promise<DueRecipient[]> {
    const due = db
      .selectFrom('queue_recipients')
      .select('id')
      .where('status', '=', 'queued')
      .where('next_attempt_at', '<=', now)
      .where('lease_until', '<', now)
      .orderBy('next_attempt_at')
      .limit(limit);
    const ids = await leaseRows(db, dialect, 'queue_recipients', due, owner, now, until);
    if (ids.length === 0) return [];
    return db
      .selectFrom('queue_recipients as r')
      .innerJoin('queue_messages as m', 'm.id', 'r.message_id')
      .selectAll('r')
      .select(['m.mail_from', 'm.blob_id', 'm.created_at', 'm.expires_at', 'm.dsn_ret', 'm.dsn_envid', 'm.origin', 'm.account_id'])
      .where('r.id', 'in', ids)
      .where('r.lease_owner', '=', owner)
      .execute();
  },

  /**
   * Records an attempt's outcome and gives the lease back; only the lease holder may. False when
   * the lease was lost (an administrator cancelled the recipient meanwhile).
   */
  settle: async (db: Q, id: string, owner: string, patch: Pick<QueueRecipientRow, 'status' | 'next_attempt_at' | 'last_response' | 'updated_at' | 'delay_notified'>) =>
    Number(
      (
        await db
          .updateTable('queue_recipients')
          .set({ ...patch, attempts: sql`attempts + 1`, lease_until: 0, lease_owner: null })
          .where('id', '=', id)
          .where('lease_owner', '=', owner)
          .executeTakeFirst()
      ).numUpdatedRows,
    ) > 0,

  /** When the next recipient is due, to sleep until then. */
  async nextDue(db: Q): Promise<number | null> {
    const row = await db.selectFrom('queue_recipients').select((eb) => eb.fn.min('next_attempt_at').as('t')).where('status', '=', 'queued').executeTakeFirst();
    return row?.t === null || row?.t === undefined ? null : Number(row.t);
  },

  recipientsOf: (db: Q, messageId: string) => db.selectFrom('queue_recipients').selectAll().where('message_id', '=', messageId).orderBy('id').execute(),
  pendingCount: async (db: Q, messageId: string) =>
    Number(
      (await db.selectFrom('queue_recipients').select((eb) => eb.fn.countAll().as('n')).where('message_id', '=', messageId).where('status', '=', 'queued').executeTakeFirstOrThrow()).n,
    ),

  /**
   * Once no recipient is left waiting, the message row goes and its blob reference is dropped.
   * Only the caller that deleted the row drops the reference, so an attempt and an administrator
   * finishing the same message at once drop it once. True when this call finished it.
   */
  async finishIfSettled(db: Q, messageId: string, blobId: string): Promise<boolean> {
    if ((await queueRepo.pendingCount(db, messageId)) > 0) return false;
    const gone = await db.deleteFrom('queue_messages').where('id', '=', messageId).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) return false;
    await mailRepo.dropBlobRef(db, blobId);
    return true;
  },
};
