import type { Db } from '../db/connect.ts';
import type { Trx } from '../changes.ts';
import type { UploadRow } from '../db/schema.ts';
import { notDeleted, withFlags } from './mail.ts';

type Q = Db | Trx;

export const uploadRepo = {
  add: (db: Q, row: UploadRow) => db.insertInto('uploads').values(row).execute(),
  touch: (db: Q, accountId: string, blobId: string, type: string, at: number) =>
    db.updateTable('uploads').set({ created_at: at, type }).where('account_id', '=', accountId).where('blob_id', '=', blobId).execute(),
  get: (db: Q, accountId: string, blobId: string) =>
    db.selectFrom('uploads').selectAll().where('account_id', '=', accountId).where('blob_id', '=', blobId).executeTakeFirst(),
  ofAccount: (db: Q, accountId: string) => db.selectFrom('uploads').select('blob_id').where('account_id', '=', accountId).execute(),
  expired: (db: Q, before: number, limit: number) => db.selectFrom('uploads').selectAll().where('created_at', '<', before).limit(limit).execute(),
  remove: (db: Q, accountId: string, blobId: string) =>
    db.deleteFrom('uploads').where('account_id', '=', accountId).where('blob_id', '=', blobId).executeTakeFirst(),
  /** Whether any email of the account is stored in this blob (download authorization). */
  emailUses: async (db: Q, accountId: string, blobId: string) =>
    !!(await db.selectFrom('emails').select('id').where('account_id', '=', accountId).where('blob_id', '=', blobId).limit(1).executeTakeFirst()),
  /** Blob ids are JMAP's: emails carrying $deleted, which JMAP does not see, give no access (ADR 0015). */
  emailStructure: (db: Q, accountId: string, blobId: string) =>
    withFlags(db).select('emails.structure').where('emails.account_id', '=', accountId).where('emails.blob_id', '=', blobId).where(notDeleted).limit(1).executeTakeFirst(),
  emailIdsIn: async (db: Q, accountId: string, blobId: string) =>
    (await withFlags(db).select('emails.id').where('emails.account_id', '=', accountId).where('emails.blob_id', '=', blobId).where(notDeleted).orderBy('emails.id').execute()).map((r) => r.id),
};
