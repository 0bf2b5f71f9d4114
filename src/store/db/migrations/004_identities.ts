import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/** JMAP Identities (RFC 8621 §6): who an account may send as, with its signatures. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('reply_to_json', 'text')
    .addColumn('bcc_json', 'text')
    .addColumn('text_signature', 'text', (c) => c.notNull())
    .addColumn('html_signature', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identities_account').on('identities').column('account_id').execute();
}
