import type { Kysely } from 'kysely';

/**
 * Delivery status notifications (RFC 3461, RFC 3464; ADR 0021): the DSN parameters a submitting
 * client gave (RET and ENVID per message, NOTIFY and ORCPT per recipient), and whether a
 * recipient's "delayed" notice went out, so a retry never sends a second one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('queue_messages').addColumn('dsn_ret', 'text').execute();
  await db.schema.alterTable('queue_messages').addColumn('dsn_envid', 'text').execute();
  await db.schema.alterTable('queue_recipients').addColumn('dsn_notify', 'text').execute();
  await db.schema.alterTable('queue_recipients').addColumn('dsn_orcpt', 'text').execute();
  await db.schema.alterTable('queue_recipients').addColumn('delay_notified', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
