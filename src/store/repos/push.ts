import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { PushSubscriptionRow } from '../db/schema.ts';

type Q = Db | Trx;

/** Queries of the push_subscriptions table; client-facing ones are scoped by principal. */
export const pushRepo = {
  list: (db: Q, principalId: string, now: number) =>
    db.selectFrom('push_subscriptions').selectAll().where('principal_id', '=', principalId).where('expires', '>', now).orderBy('created_at').orderBy('id').execute(),
  get: (db: Q, principalId: string, id: string, now: number) =>
    db.selectFrom('push_subscriptions').selectAll().where('principal_id', '=', principalId).where('id', '=', id).where('expires', '>', now).executeTakeFirst(),
  /** Verified, unexpired subscriptions that watch an account: its owner's, which cover the whole pool. */
  activeFor: (db: Q, accountId: string, now: number) =>
    db
      .selectFrom('push_subscriptions as s')
      .innerJoin('accounts as a', 'a.principal_id', 's.principal_id')
      .selectAll('s')
      .where('a.id', '=', accountId)
      .where('s.verified', '=', 1)
      .where('s.expires', '>', now)
      .execute(),
  /** Principals with at least one verified, unexpired subscription. */
  activePrincipals: async (db: Q, now: number) =>
    (await db.selectFrom('push_subscriptions').select('principal_id').distinct().where('verified', '=', 1).where('expires', '>', now).execute()).map((r) => r.principal_id),
  ownerOf: async (db: Q, accountId: string) => (await db.selectFrom('accounts').select('principal_id').where('id', '=', accountId).executeTakeFirst())?.principal_id ?? null,
  countForPrincipal: async (db: Q, principalId: string) =>
    Number((await db.selectFrom('push_subscriptions').select((eb) => eb.fn.countAll().as('n')).where('principal_id', '=', principalId).executeTakeFirstOrThrow()).n),
  insert: (db: Q, row: PushSubscriptionRow) => db.insertInto('push_subscriptions').values(row).execute(),
  update: (db: Q, principalId: string, id: string, patch: Partial<PushSubscriptionRow>) =>
    db.updateTable('push_subscriptions').set(patch).where('principal_id', '=', principalId).where('id', '=', id).execute(),
  remove: (db: Q, principalId: string, id: string) => db.deleteFrom('push_subscriptions').where('principal_id', '=', principalId).where('id', '=', id).executeTakeFirst(),
  /** Erases the url of expired subscriptions too (RFC 8620 §7.2: erase as soon as possible). */
  removeExpired: (db: Q, now: number) => db.deleteFrom('push_subscriptions').where('expires', '<=', now).executeTakeFirst(),
  /** The delivery loop disables a subscription without knowing its principal. */
  disable: (db: Q, id: string) => db.updateTable('push_subscriptions').set({ verified: 0 }).where('id', '=', id).execute(),
};
