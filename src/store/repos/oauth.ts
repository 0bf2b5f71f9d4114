import type { Trx } from '../changes.ts';
import type { Db } from '../db/connect.ts';
import type { OAuthClientRow, OAuthGrantRow, OAuthKeyRow, OAuthRefreshTokenRow } from '../db/schema.ts';

type Q = Db | Trx;

/** Queries of the OAuth provider's tables. Rules live in services/oauth. */
export const oauthRepo = {
  insertClient: (db: Q, row: OAuthClientRow) => db.insertInto('oauth_clients').values(row).execute(),
  client: (db: Q, id: string) => db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst(),
  clients: (db: Q) => db.selectFrom('oauth_clients').selectAll().orderBy('id').execute(),
  deleteClient: async (db: Q, id: string) => Number((await db.deleteFrom('oauth_clients').where('id', '=', id).executeTakeFirst()).numDeletedRows),

  insertGrant: (db: Q, row: OAuthGrantRow) => db.insertInto('oauth_grants').values(row).execute(),
  grantByCode: (db: Q, codeHash: string) => db.selectFrom('oauth_grants').selectAll().where('code_hash', '=', codeHash).executeTakeFirst(),
  grantByUserCode: (db: Q, userCode: string) => db.selectFrom('oauth_grants').selectAll().where('user_code', '=', userCode).where('kind', '=', 'device').executeTakeFirst(),
  /** Moves a grant from one status to another; 0 when another request moved it first. */
  moveGrant: async (db: Q, id: string, from: OAuthGrantRow['status'], set: Partial<Pick<OAuthGrantRow, 'status' | 'principal_id'>>) =>
    Number((await db.updateTable('oauth_grants').set(set).where('id', '=', id).where('status', '=', from).executeTakeFirst()).numUpdatedRows),
  touchPoll: (db: Q, id: string, at: number, interval: number) => db.updateTable('oauth_grants').set({ last_poll_at: at, interval_s: interval }).where('id', '=', id).execute(),
  deleteExpiredGrants: (db: Q, now: number) => db.deleteFrom('oauth_grants').where('expires_at', '<', now).execute(),

  insertRefresh: (db: Q, row: OAuthRefreshTokenRow) => db.insertInto('oauth_refresh_tokens').values(row).execute(),
  refreshByHash: (db: Q, hash: string) => db.selectFrom('oauth_refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst(),
  /** Marks a refresh token used; 0 when it already was (a replay, or a concurrent use). */
  useRefresh: async (db: Q, id: string, at: number) =>
    Number((await db.updateTable('oauth_refresh_tokens').set({ used_at: at }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst()).numUpdatedRows),
  revokeFamily: (db: Q, familyId: string) => db.deleteFrom('oauth_refresh_tokens').where('family_id', '=', familyId).execute(),
  familyAlive: async (db: Q, familyId: string, now: number) =>
    (await db.selectFrom('oauth_refresh_tokens').select('id').where('family_id', '=', familyId).where('expires_at', '>', now).limit(1).executeTakeFirst()) !== undefined,
  deleteExpiredRefresh: (db: Q, now: number) => db.deleteFrom('oauth_refresh_tokens').where('expires_at', '<', now).execute(),

  keys: (db: Q) => db.selectFrom('oauth_keys').selectAll().orderBy('created_at').orderBy('kid').execute(),
  insertKey: (db: Q, row: OAuthKeyRow) => db.insertInto('oauth_keys').values(row).execute(),
};
