import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * JMAP EmailSubmission records (RFC 8621 §7, ADR 0022). The queue drops its rows once every
 * recipient is settled, so each recipient's outcome is kept here (delivery_status_json) for
 * EmailSubmission/get; queue_id names the queued message while it lasts.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('email_submissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('identity_id', 'text', (c) => c.notNull())
    .addColumn('email_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('envelope_json', 'text', (c) => c.notNull())
    .addColumn('send_at', big, (c) => c.notNull())
    .addColumn('undo_status', 'text', (c) => c.notNull())
    .addColumn('queue_id', 'text', (c) => c.notNull())
    .addColumn('delivery_status_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_submissions_account').on('email_submissions').columns(['account_id', 'send_at']).execute();
  // The queue reports outcomes by its message id.
  await db.schema.createIndex('email_submissions_queue').on('email_submissions').column('queue_id').execute();
}
