import { sql, type Kysely } from 'kysely';

/**
 * The account pool: a principal may hold several accounts (extra local ones now, mirrored IMAP
 * and JMAP accounts later), so each account gets the name clients show for it, and exactly one
 * per principal is the primary, the local account the principal's addresses deliver to.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('name', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('accounts').addColumn('is_primary', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // Until now each principal had one account, shown under the login name.
  await sql`UPDATE accounts SET name = (SELECT username FROM principals WHERE principals.id = accounts.principal_id)`.execute(db);
  // The oldest account per principal is the one every face used as "the" account so far.
  await sql`UPDATE accounts SET is_primary = 1 WHERE NOT EXISTS (
    SELECT 1 FROM accounts older WHERE older.principal_id = accounts.principal_id
      AND (older.created_at < accounts.created_at OR (older.created_at = accounts.created_at AND older.id < accounts.id)))`.execute(db);
  await db.schema.createIndex('accounts_one_primary').on('accounts').column('principal_id').unique().where(sql.ref('is_primary'), '=', 1).execute();
}
