import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/** Blobs uploaded by a client (JMAP /upload) before anything references them; they expire. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('uploads')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('uploads_pk', ['account_id', 'blob_id'])
    .execute();
  await db.schema.createIndex('uploads_created').on('uploads').column('created_at').execute();
}
