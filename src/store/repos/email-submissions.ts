import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { EmailSubmissionRow } from '../db/schema.ts';

type Q = Db | Trx;

export interface SubmissionFilter {
  identityIds?: string[];
  emailIds?: string[];
  threadIds?: string[];
  undoStatus?: string;
  /** send_at strictly before / at or after, in ms (RFC 8621 §7.3). */
  before?: number;
  after?: number;
}

export type SubmissionSortColumn = 'email_id' | 'thread_id' | 'send_at';

/** Queries of the email_submissions table; every one is scoped by account. */
export const emailSubmissionRepo = {
  insert: (db: Q, row: EmailSubmissionRow) => db.insertInto('email_submissions').values(row).execute(),
  get: (db: Q, accountId: string, ids: string[] | null) => {
    let q = db.selectFrom('email_submissions').selectAll().where('account_id', '=', accountId);
    if (ids !== null) {
      if (ids.length === 0) return Promise.resolve([]);
      q = q.where('id', 'in', ids);
    }
    return q.orderBy('id').execute();
  },
  byQueueId: (db: Q, queueId: string) => db.selectFrom('email_submissions').selectAll().where('queue_id', '=', queueId).executeTakeFirst(),
  setDeliveryStatus: (db: Q, id: string, json: string) => db.updateTable('email_submissions').set({ delivery_status_json: json }).where('id', '=', id).execute(),
  remove: (db: Q, accountId: string, id: string) => db.deleteFrom('email_submissions').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst(),

  /** Ids matching the filter in sort order; the id breaks ties so the order is stable. */
  async query(db: Q, accountId: string, f: SubmissionFilter, sort: { column: SubmissionSortColumn; asc: boolean }[]): Promise<string[]> {
    let q = db.selectFrom('email_submissions').select('id').where('account_id', '=', accountId);
    const within = (col: 'identity_id' | 'email_id' | 'thread_id', values: string[] | undefined) => {
      if (values !== undefined) q = values.length === 0 ? q.where('id', '=', '') : q.where(col, 'in', values);
    };
    within('identity_id', f.identityIds);
    within('email_id', f.emailIds);
    within('thread_id', f.threadIds);
    if (f.undoStatus !== undefined) q = q.where('undo_status', '=', f.undoStatus);
    if (f.before !== undefined) q = q.where('send_at', '<', f.before);
    if (f.after !== undefined) q = q.where('send_at', '>=', f.after);
    for (const s of sort) q = q.orderBy(s.column, s.asc ? 'asc' : 'desc');
    return (await q.orderBy('id').execute()).map((r) => r.id);
  },
};
