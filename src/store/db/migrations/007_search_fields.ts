import { sql, type Kysely } from 'kysely';
import type { EmailAddress } from '../../../mime/types.ts';
import type { FsBlobStore } from '../../blobs/fs.ts';
import { storedHeaderTexts } from '../../blobs/header-texts.ts';
import type { Trx } from '../../changes.ts';
import { searchIndexFor } from '../../search/backends.ts';
import { headerIndexTerms } from '../../search/header-terms.ts';
import { addressText } from '../../search/types.ts';
import type { Dialect } from '../dialect.ts';

const PAGE = 500;

/**
 * The index gets To, Cc and Bcc each on its own (they were one recipients field) and the header
 * fields (JMAP `header` filters): a new FTS5 table on SQLite, new columns on PostgreSQL. Existing
 * emails are indexed from their rows and the header blocks of their messages.
 */
export async function up(db: Kysely<any>, dialect: Dialect, blobs: FsBlobStore): Promise<void> {
  if (dialect === 'sqlite') {
    // SQLite migrations run outside a transaction: an interrupted run starts over.
    await sql`DROP TABLE IF EXISTS email_fields_fts`.execute(db);
    await sql`CREATE VIRTUAL TABLE email_fields_fts USING fts5(acct, addrs_to, addrs_cc, addrs_bcc, header_names, header_values, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`.execute(db);
  } else {
    await sql`ALTER TABLE email_search ADD COLUMN fields tsvector NOT NULL DEFAULT '', ADD COLUMN header_names text[] NOT NULL DEFAULT '{}', ADD COLUMN header_values tsvector NOT NULL DEFAULT ''`.execute(db);
  }
  await backfill(db, dialect, blobs);
  if (dialect === 'postgres') {
    await sql`ALTER TABLE email_search ALTER COLUMN fields DROP DEFAULT, ALTER COLUMN header_names DROP DEFAULT, ALTER COLUMN header_values DROP DEFAULT`.execute(db);
    await sql`CREATE INDEX email_search_fields ON email_search USING gin (fields)`.execute(db);
    await sql`CREATE INDEX email_search_header_names ON email_search USING gin (header_names)`.execute(db);
    await sql`CREATE INDEX email_search_header_values ON email_search USING gin (header_values)`.execute(db);
  }
}

async function backfill(db: Kysely<any>, dialect: Dialect, blobs: FsBlobStore): Promise<void> {
  const index = searchIndexFor(dialect);
  // PostgreSQL runs the migration in one transaction already; SQLite commits a page at a time.
  const inTransaction = (fn: (trx: Trx) => Promise<void>) => (dialect === 'sqlite' ? db.transaction().execute(fn) : fn(db as Trx));
  for (let after = 0; ; ) {
    const rows = await db
      .selectFrom('emails')
      .select(['num', 'account_id', 'blob_id', 'to_json', 'cc_json', 'bcc_json', 'structure'])
      .where('num', '>', after)
      .orderBy('num')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) return;
    // A message whose file is missing cannot be read by anything else either; it gets no header fields.
    const texts = await storedHeaderTexts(blobs, rows);
    const addresses = (json: string) => addressText(JSON.parse(json) as EmailAddress[]);
    await inTransaction(async (trx) => {
      for (const [i, r] of rows.entries()) {
        await index.addFields(trx, {
          num: Number(r.num),
          accountId: r.account_id,
          to: addresses(r.to_json),
          cc: addresses(r.cc_json),
          bcc: addresses(r.bcc_json),
          headers: headerIndexTerms(texts[i] ?? []),
        });
      }
    });
    after = Number(rows[rows.length - 1]!.num);
  }
}
