import type { Kysely } from 'kysely';
import { envelopeOf } from '../../../mime/envelope.ts';
import type { FsBlobStore } from '../../blobs/fs.ts';
import type { Dialect } from '../dialect.ts';
import { readStructure } from '../../../mime/stored-structure.ts';

const PAGE = 500;

/**
 * The ENVELOPE fields of each email, kept at ingest (mime/envelope.ts): listing a mailbox over
 * IMAP then reads no message files. Existing emails get theirs from their messages' header blocks;
 * one whose file is missing keeps none, and FETCH reports it unreadable as before.
 */
export async function up(db: Kysely<any>, dialect: Dialect, blobs: FsBlobStore): Promise<void> {
  await db.schema.alterTable('emails').addColumn('envelope', 'text').execute();
  // PostgreSQL runs the migration in one transaction already; SQLite commits a page at a time.
  const inTransaction = (fn: (trx: Kysely<any>) => Promise<void>) => (dialect === 'sqlite' ? db.transaction().execute(fn) : fn(db));
  for (let after = 0; ; ) {
    const rows = await db.selectFrom('emails').select(['num', 'id', 'blob_id', 'structure']).where('num', '>', after).orderBy('num').limit(PAGE).execute();
    if (rows.length === 0) return;
    const roots = rows.map((r) => readStructure(r.structure));
    const heads = await blobs.heads(rows.map((r, i) => ({ id: r.blob_id, length: roots[i]!.headerEnd })));
    await inTransaction(async (trx) => {
      for (const [i, r] of rows.entries()) {
        const head = heads[i];
        if (head) await trx.updateTable('emails').set({ envelope: JSON.stringify(envelopeOf(head, roots[i]!.headerStart, roots[i]!.headerEnd)) }).where('id', '=', r.id).execute();
      }
    });
    after = Number(rows[rows.length - 1]!.num);
  }
}
