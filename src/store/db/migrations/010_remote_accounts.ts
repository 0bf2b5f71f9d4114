import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Mirrored accounts (DESIGN.md §6): the upstream settings and sync state of each remote account,
 * the upstream folders it mirrors into local mailboxes, and which upstream message (folder, UID)
 * each local email came from.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('remote_accounts')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    // A small number per remote account, for APIs whose ids are integers (IMAP2API).
    .addColumn('num', 'integer', (c) => c.notNull().unique())
    .addColumn('external_id', 'text', (c) => c.unique())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('settings_json', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress_json', 'text')
    .addColumn('last_sync_at', big)
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', big)
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', big, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('remote_folders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('uidvalidity', big, (c) => c.notNull().defaultTo(0))
    .addColumn('uidnext', big, (c) => c.notNull().defaultTo(0))
    .addColumn('highestmodseq', big, (c) => c.notNull().defaultTo(0))
    .addColumn('synced_at', big)
    .execute();
  await db.schema.createIndex('remote_folders_path').on('remote_folders').columns(['account_id', 'path']).unique().execute();
  await db.schema.createIndex('remote_folders_mailbox').on('remote_folders').column('mailbox_id').execute();

  await db.schema
    .createTable('remote_messages')
    .addColumn('folder_id', 'text', (c) => c.notNull().references('remote_folders.id').onDelete('cascade'))
    .addColumn('uid', big, (c) => c.notNull())
    .addColumn('email_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('remote_messages_pk', ['folder_id', 'uid'])
    .execute();
  await db.schema.createIndex('remote_messages_email').on('remote_messages').column('email_id').execute();
}
