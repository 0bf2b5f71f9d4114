import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * A blob whose bytes are still in the staging pack a mirror downloaded them into (ADR 0033): its
 * file is written later, off the path to the email being visible, and the columns cleared.
 * Null for a blob that is a file. A pack any row points into is kept.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('blobs').addColumn('pack', 'text').execute();
  await db.schema.alterTable('blobs').addColumn('pack_offset', big).execute();
  await db.schema.createIndex('blobs_packed').on('blobs').columns(['pack', 'pack_offset']).where('pack', 'is not', null).execute();
}
