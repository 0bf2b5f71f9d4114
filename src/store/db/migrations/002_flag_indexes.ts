import { sql, type Kysely } from 'kysely';

/**
 * Partial indexes for the flag filters: "unseen" and "flagged" are small subsets of a large
 * account, and counting or listing them should not walk every message.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('emails_unseen').on('emails').columns(['account_id', 'received_at']).where(sql.ref('seen'), '=', 0).execute();
  await db.schema.createIndex('emails_flagged').on('emails').columns(['account_id', 'received_at']).where(sql.ref('flagged'), '=', 1).execute();
}
