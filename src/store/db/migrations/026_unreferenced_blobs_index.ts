import type { Kysely } from 'kysely';

/**
 * Garbage collection asks for blobs with `refcount <= 0`, which the partial index made for
 * `refcount = 0` cannot answer: every collection scanned the whole blobs table. The index now
 * has the query's own condition.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('blobs_unreferenced').execute();
  await db.schema.createIndex('blobs_unreferenced').on('blobs').column('refcount').where('refcount', '<=', 0).execute();
}
