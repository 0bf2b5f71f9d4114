import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * The first schema. Column types are chosen to read back identically on both backends:
 * times and sizes are 64-bit integers (bigint on PostgreSQL, parsed to numbers by the driver).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('domains')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('catch_all', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('domain_aliases')
    .addColumn('alias', 'text', (c) => c.primaryKey())
    .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('domain_aliases_domain').on('domain_aliases').column('domain_id').execute();

  await db.schema
    .createTable('principals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('name', 'text')
    .addColumn('quota', big, (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('modseq', big, (c) => c.notNull().defaultTo(0))
    .addColumn('used_bytes', big, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('accounts_principal').on('accounts').column('principal_id').execute();

  await db.schema
    .createTable('addresses')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('display', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id'))
    .addColumn('is_main', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('addresses_principal').on('addresses').column('principal_id').execute();
  await db.schema.createIndex('addresses_domain').on('addresses').column('domain_id').execute();

  await db.schema
    .createTable('mappings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addUniqueConstraint('mappings_unique', ['source', 'kind', 'target'])
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('principal_id', 'text', (c) => c.references('principals.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('expires_at', big)
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tokens_principal').on('tokens').column('principal_id').execute();

  await db.schema
    .createTable('blobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('refcount', 'integer', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blobs_unreferenced').on('blobs').column('refcount').where('refcount', '=', 0).execute();

  await db.schema
    .createTable('mailboxes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('parent_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('uidvalidity', big, (c) => c.notNull())
    .addColumn('uidnext', big, (c) => c.notNull())
    .addColumn('subscribed', 'integer', (c) => c.notNull())
    .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('message_count', big, (c) => c.notNull().defaultTo(0))
    .addColumn('unseen_count', big, (c) => c.notNull().defaultTo(0))
    .addColumn('size', big, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_modseq', big, (c) => c.notNull())
    .addUniqueConstraint('mailboxes_unique_name', ['account_id', 'parent_id', 'name'])
    .execute();

  await db.schema
    .createTable('threads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('thread_refs')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('thread_refs_pk', ['account_id', 'ref'])
    .execute();
  await db.schema.createIndex('thread_refs_thread').on('thread_refs').column('thread_id').execute();

  await db.schema
    .createTable('emails')
    .addColumn('num', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('received_at', big, (c) => c.notNull())
    .addColumn('sent_at', big)
    .addColumn('message_id', 'text')
    .addColumn('subject', 'text')
    .addColumn('subject_norm', 'text', (c) => c.notNull())
    .addColumn('from_json', 'text', (c) => c.notNull())
    .addColumn('to_json', 'text', (c) => c.notNull())
    .addColumn('cc_json', 'text', (c) => c.notNull())
    .addColumn('bcc_json', 'text', (c) => c.notNull())
    .addColumn('reply_to_json', 'text', (c) => c.notNull())
    .addColumn('sender_json', 'text', (c) => c.notNull())
    .addColumn('in_reply_to_json', 'text', (c) => c.notNull())
    .addColumn('references_json', 'text', (c) => c.notNull())
    .addColumn('preview', 'text', (c) => c.notNull())
    .addColumn('has_attachment', 'integer', (c) => c.notNull())
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('seen', 'integer', (c) => c.notNull())
    .addColumn('flagged', 'integer', (c) => c.notNull())
    .addColumn('structure', 'text', (c) => c.notNull())
    .addColumn('attachments', 'text', (c) => c.notNull())
    .addColumn('parse_error', 'text')
    .addColumn('created_modseq', big, (c) => c.notNull())
    .addColumn('updated_modseq', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('emails_account_received').on('emails').columns(['account_id', 'received_at', 'id']).execute();
  await db.schema.createIndex('emails_thread').on('emails').columns(['thread_id', 'received_at']).execute();
  await db.schema.createIndex('emails_account_subject').on('emails').columns(['account_id', 'subject_norm', 'received_at']).execute();
  await db.schema.createIndex('emails_blob').on('emails').column('blob_id').execute();

  await db.schema
    .createTable('email_mailboxes')
    .addColumn('email_id', 'text', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('uid', big, (c) => c.notNull())
    .addColumn('modseq', big, (c) => c.notNull())
    .addColumn('received_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('email_mailboxes_pk', ['mailbox_id', 'uid'])
    .addUniqueConstraint('email_mailboxes_unique', ['email_id', 'mailbox_id'])
    .execute();
  await db.schema.createIndex('email_mailboxes_newest').on('email_mailboxes').columns(['mailbox_id', 'received_at', 'email_id']).execute();

  await db.schema
    .createTable('changes')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('modseq', big, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('op', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('changes_account_modseq').on('changes').columns(['account_id', 'modseq']).execute();
  await db.schema.createIndex('changes_created').on('changes').column('created_at').execute();

  if (dialect === 'sqlite') {
    // Contentless: the text lives in the blob; rowid = emails.num. `acct` holds the account id as
    // a token so every query is scoped by the index itself, not by filtering afterwards.
    await sql`CREATE VIRTUAL TABLE email_fts USING fts5(acct, subject, addrs_from, addrs_to, body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`.execute(db);
  } else {
    await sql`CREATE TABLE email_search (num bigint PRIMARY KEY REFERENCES emails(num) ON DELETE CASCADE, account_id text NOT NULL, tsv tsvector NOT NULL)`.execute(db);
    await sql`CREATE INDEX email_search_tsv ON email_search USING gin (tsv)`.execute(db);
    await sql`CREATE INDEX email_search_account ON email_search (account_id)`.execute(db);
  }
}
