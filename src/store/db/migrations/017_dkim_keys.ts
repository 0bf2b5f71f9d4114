import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * DKIM signing keys per domain (ADR 0019). A key is named by its selector within its domain, so
 * (domain, selector) is the key; it goes with its domain. The private key is sealed with the
 * server key; the public key is kept in the form the DNS record publishes (p=).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('dkim_keys')
    .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('selector', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('dkim_keys_pk', ['domain_id', 'selector'])
    .execute();
}
