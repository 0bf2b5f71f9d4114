import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { IdentityRow } from '../db/schema.ts';

type Q = Db | Trx;

/** Queries of the identities table; every one is scoped by account. */
export const identityRepo = {
  list: (db: Q, accountId: string) => db.selectFrom('identities').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute(),
  get: (db: Q, accountId: string, id: string) =>
    db.selectFrom('identities').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst(),
  count: async (db: Q, accountId: string) =>
    Number((await db.selectFrom('identities').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()).n),
  insert: (db: Q, row: IdentityRow) => db.insertInto('identities').values(row).execute(),
  update: (db: Q, accountId: string, id: string, patch: Partial<IdentityRow>) =>
    db.updateTable('identities').set(patch).where('account_id', '=', accountId).where('id', '=', id).execute(),
  remove: (db: Q, accountId: string, id: string) => db.deleteFrom('identities').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst(),
};
