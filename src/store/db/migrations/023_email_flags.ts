import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * An email's keywords move out of the wide `emails` row into a narrow table of their own
 * (ADR 0029). A STORE on a whole mailbox rewrote every email row, ~1.1 kB each with the MIME
 * structure and envelope, three to a page; a flags row is ~80 bytes. Everything else about an
 * email is written once at ingest. The partial indexes on seen, flagged and $deleted move with
 * the columns; received_at is copied (it never changes) so those indexes still order by time.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  let table = db.schema
    .createTable('email_flags')
    .addColumn('email_id', 'text', (c) => c.primaryKey().references('emails.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('received_at', big, (c) => c.notNull())
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('seen', 'integer', (c) => c.notNull())
    .addColumn('flagged', 'integer', (c) => c.notNull());
  // Rows are found only by email id: on SQLite the key is the table itself, no rowid beside it.
  if (dialect === 'sqlite') table = table.modifyEnd(sql`WITHOUT ROWID`);
  await table.execute();
  await sql`INSERT INTO email_flags (email_id, account_id, received_at, keywords, seen, flagged) SELECT id, account_id, received_at, keywords, seen, flagged FROM emails`.execute(db);
  await db.schema.createIndex('email_flags_unseen').on('email_flags').columns(['account_id', 'received_at']).where(sql.ref('seen'), '=', 0).execute();
  await db.schema.createIndex('email_flags_flagged').on('email_flags').columns(['account_id', 'received_at']).where(sql.ref('flagged'), '=', 1).execute();
  // Queries repeat this predicate to the letter (no parameter, no ESCAPE), or no planner uses it.
  await sql`CREATE INDEX email_flags_deleted ON email_flags (account_id) WHERE keywords LIKE '%"$deleted"%'`.execute(db);
  for (const index of ['emails_unseen', 'emails_flagged', 'emails_deleted']) await db.schema.dropIndex(index).execute();
  for (const column of ['keywords', 'seen', 'flagged']) await db.schema.alterTable('emails').dropColumn(column).execute();
}
