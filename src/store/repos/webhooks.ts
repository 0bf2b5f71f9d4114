import { sql, type ExpressionBuilder } from 'kysely';
import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { Dialect } from '../db/dialect.ts';
import type { Tables, WebhookCursorRow, WebhookDeliveryRow, WebhookDeliveryStatus, WebhookRow } from '../db/schema.ts';
import { leaseRows } from './lease.ts';

type Q = Db | Trx;

/** A position in one account's change log: every change up to it has been dispatched. */
export type CursorPosition = Pick<WebhookCursorRow, 'modseq' | 'after_type' | 'after_id'>;

export const START: CursorPosition = { modseq: 0, after_type: '', after_id: '' };

export interface DueDelivery extends WebhookDeliveryRow {
  url: string;
  secret: string;
}

type DeliverySettlement = Pick<WebhookDeliveryRow, 'status' | 'next_attempt_at' | 'response_status' | 'last_error' | 'updated_at'>;

const ownedBy =
  (owner: string | null | undefined) =>
  (eb: ExpressionBuilder<Tables, 'webhooks'>) =>
    owner === undefined ? eb.lit(true) : owner === null ? eb('owner_id', 'is', null) : eb('owner_id', '=', owner);

// Deliveries of a disabled hook wait, neither sent nor counted as due.
const enabledHook = (eb: ExpressionBuilder<Tables & { d: WebhookDeliveryRow }, 'd'>) =>
  eb.exists(eb.selectFrom('webhooks as w').select('w.id').whereRef('w.id', '=', 'd.webhook_id').where('w.enabled', '=', 1));

// Literal, so SQLite can prove the query implies the partial index's condition.
const PENDING = sql.lit<WebhookDeliveryStatus>('pending');
const INSERT_CHUNK = 200;

/** Queries of webhooks, their deliveries and the dispatch cursors. Rules live in services/webhooks. */
export const webhookRepo = {
  insert: (db: Q, row: WebhookRow) => db.insertInto('webhooks').values(row).execute(),
  get: (db: Q, id: string) => db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst(),
  update: (db: Q, id: string, patch: Partial<WebhookRow>) => db.updateTable('webhooks').set(patch).where('id', '=', id).execute(),
  remove: (db: Q, id: string) => db.deleteFrom('webhooks').where('id', '=', id).execute(),

  /** Hooks in id order: every hook (owner undefined), global ones (null) or one user's. */
  list: (db: Q, opts: { owner?: string | null; after?: string; limit: number }) => {
    let q = db.selectFrom('webhooks').selectAll().where(ownedBy(opts.owner)).orderBy('id').limit(opts.limit);
    if (opts.after) q = q.where('id', '>', opts.after);
    return q.execute();
  },
  count: async (db: Q, owner?: string | null) =>
    Number((await db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).where(ownedBy(owner)).executeTakeFirstOrThrow()).n),

  /** Enabled hooks that see the accounts of a principal: theirs and the global ones. */
  seeing: (db: Q, principalId: string) =>
    db
      .selectFrom('webhooks')
      .selectAll()
      .where('enabled', '=', 1)
      .where((eb) => eb.or([eb('owner_id', 'is', null), eb('owner_id', '=', principalId)]))
      // In one order on every node, so two dispatching the same changes insert rows in the same order.
      .orderBy('id')
      .execute(),
  anyEnabled: async (db: Q) => (await db.selectFrom('webhooks').select('id').where('enabled', '=', 1).limit(1).executeTakeFirst()) !== undefined,

  /** Inserts deliveries; one that exists for the same hook and event is left as it is. Returns how many are new. */
  async insertDeliveries(db: Q, rows: WebhookDeliveryRow[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const res = await db
        .insertInto('webhook_deliveries')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
        .executeTakeFirst();
      inserted += Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  },

  /** The delivery log of a hook, newest first. */
  deliveries: (db: Q, webhookId: string, opts: { before?: string; limit: number }) => {
    let q = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(opts.limit);
    if (opts.before) q = q.where('id', '<', opts.before);
    return q.execute();
  },
  countDeliveries: async (db: Q, webhookId: string) =>
    Number((await db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('webhook_id', '=', webhookId).executeTakeFirstOrThrow()).n),

  /** Leases up to `limit` due deliveries of enabled hooks to `owner` until `until`. */
  async lease(db: Db, dialect: Dialect, owner: string, now: number, until: number, limit: number): Promise<DueDelivery[]> {
    const due = db
      .selectFrom('webhook_deliveries as d')
      .select('d.id')
      .where('d.status', '=', PENDING)
      .where('d.next_attempt_at', '<=', now)
      .where('d.lease_until', '<', now)
      .where(enabledHook)
      .orderBy('d.next_attempt_at')
      .limit(limit);
    const ids = await leaseRows(db, dialect, 'webhook_deliveries', due, owner, now, until);
    if (ids.length === 0) return [];
    return db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .selectAll('d')
      .select(['w.url', 'w.secret'])
      .where('d.id', 'in', ids)
      .where('d.lease_owner', '=', owner)
      .execute();
  },

  /** Records an attempt and gives the lease back; only the lease holder may. */
  settle: (db: Q, id: string, owner: string, outcome: DeliverySettlement) =>
    db
      .updateTable('webhook_deliveries')
      .set({ ...outcome, attempts: sql`attempts + 1`, lease_until: 0, lease_owner: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst(),

  /** Hands a lease back without counting an attempt (the node is stopping mid-request). */
  release: (db: Q, id: string, owner: string, now: number) =>
    db.updateTable('webhook_deliveries').set({ lease_until: 0, lease_owner: null, next_attempt_at: now }).where('id', '=', id).where('lease_owner', '=', owner).execute(),

  /** When the next delivery of an enabled hook is due, to sleep until then. */
  async nextDue(db: Q): Promise<number | null> {
    const row = await db
      .selectFrom('webhook_deliveries as d')
      .select('d.next_attempt_at')
      .where('d.status', '=', PENDING)
      .where(enabledHook)
      .orderBy('d.next_attempt_at')
      .limit(1)
      .executeTakeFirst();
    return row ? Number(row.next_attempt_at) : null;
  },

  /** Drops settled deliveries older than `before` from the log. */
  prune: (db: Q, before: number) =>
    db.deleteFrom('webhook_deliveries').where('created_at', '<', before).where('status', '<>', PENDING).executeTakeFirst(),

  // ---- dispatch

  cursor: (db: Q, accountId: string) =>
    db.selectFrom('webhook_cursors').select(['modseq', 'after_type', 'after_id']).where('account_id', '=', accountId).executeTakeFirst(),

  /**
   * Moves an account's cursor from `from` to `to`, only if it is still at `from`: when another
   * node got there first, nothing changes and the caller's transaction is to be rolled back.
   */
  async advance(db: Q, accountId: string, from: CursorPosition | undefined, to: CursorPosition, now: number): Promise<boolean> {
    if (!from) {
      const res = await db
        .insertInto('webhook_cursors')
        .values({ account_id: accountId, ...to, updated_at: now })
        .onConflict((oc) => oc.column('account_id').doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const res = await db
      .updateTable('webhook_cursors')
      .set({ ...to, updated_at: now })
      .where('account_id', '=', accountId)
      .where('modseq', '=', from.modseq)
      .where('after_type', '=', from.after_type)
      .where('after_id', '=', from.after_id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  /**
   * Changes of the listed types after `from`, up to modseq `upTo`, committed at or after `since`,
   * in (modseq, type, object id) order.
   */
  changesAfter: (db: Q, accountId: string, from: CursorPosition, upTo: number, opts: { since: number; types: readonly string[]; limit: number }) =>
    db
      .selectFrom('changes')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('modseq', '<=', upTo)
      .where((eb) =>
        from.after_type === ''
          ? eb('modseq', '>', from.modseq)
          : eb.or([
              eb('modseq', '>', from.modseq + 1),
              eb.and([
                eb('modseq', '=', from.modseq + 1),
                eb.or([eb('type', '>', from.after_type), eb.and([eb('type', '=', from.after_type), eb('object_id', '>', from.after_id)])]),
              ]),
            ]),
      )
      .where('type', 'in', [...opts.types])
      .where('created_at', '>=', opts.since)
      .orderBy('modseq')
      .orderBy('type')
      .orderBy('object_id')
      .limit(opts.limit)
      .execute(),

  /**
   * Accounts (after `after`, in id order) whose log has moved past their cursor and that an
   * enabled hook sees: what a sweep has to dispatch.
   */
  behind: async (db: Q, after: string, limit: number) =>
    (
      await db
        .selectFrom('accounts as a')
        .leftJoin('webhook_cursors as c', 'c.account_id', 'a.id')
        .select('a.id')
        .where('a.id', '>', after)
        .where(sql<boolean>`a.modseq > coalesce(c.modseq, 0)`)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('webhooks as w')
              .select('w.id')
              .where('w.enabled', '=', 1)
              .where((w) => w.or([w('w.owner_id', 'is', null), w('w.owner_id', '=', w.ref('a.principal_id'))])),
          ),
        )
        .orderBy('a.id')
        .limit(limit)
        .execute()
    ).map((r) => r.id),
};
