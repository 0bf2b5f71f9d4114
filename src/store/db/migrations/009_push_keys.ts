import type { Kysely } from 'kysely';

/** PushSubscription.keys (RFC 8620 §7.2): pushes to a subscription with keys are encrypted (RFC 8291). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('push_subscriptions').addColumn('keys_json', 'text').execute();
}
