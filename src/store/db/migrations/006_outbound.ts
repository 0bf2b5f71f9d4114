import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * The outbound queue (one row per message, one per recipient so each has its own retry state and
 * lease) and the JMAP VacationResponse with the log of who was already answered (RFC 3834 §2).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('queue_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('mail_from', 'text', (c) => c.notNull())
    .addColumn('blob_id', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('queue_recipients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull().references('queue_messages.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', big, (c) => c.notNull())
    .addColumn('lease_until', big, (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('last_response', 'text')
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  // The runner's only scan: due recipients still waiting, oldest due first.
  await db.schema.createIndex('queue_recipients_due').on('queue_recipients').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('queue_recipients_message').on('queue_recipients').column('message_id').execute();

  await db.schema
    .createTable('vacation_responses')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('is_enabled', 'integer', (c) => c.notNull())
    .addColumn('from_date', big)
    .addColumn('to_date', big)
    .addColumn('subject', 'text')
    .addColumn('text_body', 'text')
    .addColumn('html_body', 'text')
    .execute();

  await db.schema
    .createTable('vacation_replies')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('sent_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('vacation_replies_pk', ['account_id', 'sender'])
    .execute();
}
