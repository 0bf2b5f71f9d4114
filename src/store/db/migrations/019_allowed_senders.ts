import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Addresses an administrator allows a user to send as without owning them (issue 6: "plus ones
 * an admin allows"): a shared `team@example.com`, or `*@example.org` for a whole domain. A table
 * of its own rather than a flag on `addresses`: an address there is unique and routes mail to its
 * owner, while one address may be allowed to several users and need not be a domain of this
 * server at all.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('allowed_senders')
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('allowed_senders_pk', ['principal_id', 'address'])
    .execute();
}
