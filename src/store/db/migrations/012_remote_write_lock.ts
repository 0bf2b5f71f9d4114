import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * The write lock of a mirrored account (ADR 0013): the node changing the account upstream, or
 * running a folder pass of its sync, holds it until write_until, so writes made on one node and
 * the sync running on another never interleave.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('remote_accounts').addColumn('write_owner', 'text').execute();
  await db.schema.alterTable('remote_accounts').addColumn('write_until', big, (c) => c.notNull().defaultTo(0)).execute();
}
