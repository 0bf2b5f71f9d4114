import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { VacationResponseRow } from '../db/schema.ts';

type Q = Db | Trx;

/** The VacationResponse of each account and the senders it already answered. */
export const vacationRepo = {
  get: (db: Q, accountId: string) => db.selectFrom('vacation_responses').selectAll().where('account_id', '=', accountId).executeTakeFirst(),
  upsert: (db: Q, row: VacationResponseRow) =>
    db
      .insertInto('vacation_responses')
      .values(row)
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ ...row }))
      .execute(),
  lastReply: async (db: Q, accountId: string, sender: string) =>
    (await db.selectFrom('vacation_replies').select('sent_at').where('account_id', '=', accountId).where('sender', '=', sender).executeTakeFirst())?.sent_at ?? null,
  recordReply: (db: Q, accountId: string, sender: string, at: number) =>
    db
      .insertInto('vacation_replies')
      .values({ account_id: accountId, sender, sent_at: at })
      .onConflict((oc) => oc.columns(['account_id', 'sender']).doUpdateSet({ sent_at: at }))
      .execute(),
  forgetReplies: (db: Q, accountId: string) => db.deleteFrom('vacation_replies').where('account_id', '=', accountId).execute(),
};
