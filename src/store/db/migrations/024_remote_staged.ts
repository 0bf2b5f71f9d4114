import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Messages a mirror has downloaded and stored durably (in a staging pack, UID recorded) but not
 * yet parsed and indexed into emails (ADR 0031). A row goes with its folder when the folder is
 * deleted; a pack no row points into any more is deleted by the indexer.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('remote_staged')
    .addColumn('folder_id', 'text', (c) => c.notNull().references('remote_folders.id').onDelete('cascade'))
    .addColumn('uid', big, (c) => c.notNull())
    .addColumn('pack', 'text', (c) => c.notNull())
    .addColumn('pack_offset', big, (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('received_at', big)
    .addPrimaryKeyConstraint('remote_staged_pk', ['folder_id', 'uid'])
    .execute();
  await db.schema.createIndex('remote_staged_pack').on('remote_staged').column('pack').execute();
}
