import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Trx } from '../changes.ts';
import type { Dialect } from '../db/dialect.ts';
import type { PrincipalRow } from '../db/schema.ts';
import { matchesPrincipal } from './directory.ts';

type Q = Db | Trx;

/** One `holder holds role` link reachable from a principal, with the role principal's own permission lists (null for built-in roles). */
export interface RoleEdge {
  holder: string;
  role: string;
  enabled: string | null;
  disabled: string | null;
}

/** A link to another principal, with that principal's name and type for views. */
export interface Link {
  from: string;
  to: string;
  name: string | null;
  type: string | null;
}

export interface PrincipalFilter {
  types?: string[];
  tenantId?: string;
  query?: string;
}

/** Queries for principal links (members, roles) and listing principals of any type. Rules live in services/directory. */
export const principalRepo = {
  /**
   * Every role link reachable from the principal, in one recursive query. UNION (not UNION ALL)
   * drops ids already reached, so a cycle of roles ends instead of recursing forever.
   */
  roleEdges: async (db: Q, principalId: string): Promise<RoleEdge[]> => {
    const { rows } = await sql<RoleEdge>`
      WITH RECURSIVE reach(id) AS (
        SELECT CAST(${principalId} AS text)
        UNION
        SELECT pr.role FROM principal_roles pr JOIN reach ON pr.principal_id = reach.id
      )
      SELECT pr.principal_id AS holder, pr.role AS role, p.enabled_permissions AS enabled, p.disabled_permissions AS disabled
      FROM principal_roles pr JOIN reach ON pr.principal_id = reach.id
      LEFT JOIN principals p ON p.id = pr.role AND p.type = 'role'
    `.execute(db);
    return rows;
  },

  /** Roles held by each principal, as links (name/type null for built-in roles). */
  rolesOf: (db: Q, principalIds: string[]) => links(db, principalIds, 'principal_roles', 'principal_id', 'role'),
  /** Principals holding each role. */
  holdersOf: (db: Q, roleIds: string[]) => links(db, roleIds, 'principal_roles', 'role', 'principal_id'),
  insertRole: (db: Q, principalId: string, role: string) =>
    db.insertInto('principal_roles').values({ principal_id: principalId, role, created_at: Date.now() }).onConflict((oc) => oc.columns(['principal_id', 'role']).doNothing()).execute(),
  deleteRole: (db: Q, principalId: string, role: string) => db.deleteFrom('principal_roles').where('principal_id', '=', principalId).where('role', '=', role).execute(),
  /** A deleted role principal leaves no dangling links (built-in names are not rows, so no foreign key does this). */
  deleteRoleEverywhere: (db: Q, role: string) => db.deleteFrom('principal_roles').where('role', '=', role).execute(),

  /** Members of each group or list. */
  membersOf: (db: Q, groupIds: string[]) => links(db, groupIds, 'principal_members', 'group_id', 'member_id'),
  /** Groups and lists each principal belongs to. */
  containersOf: (db: Q, memberIds: string[]) => links(db, memberIds, 'principal_members', 'member_id', 'group_id'),
  /** Members of the groups and lists, with their rows: one step of expanding a group at delivery. */
  memberRows: async (db: Q, groupIds: string[]) =>
    groupIds.length === 0
      ? []
      : db
          .selectFrom('principal_members as m')
          .innerJoin('principals as p', 'p.id', 'm.member_id')
          .selectAll('p')
          .select('m.group_id as group_id')
          .where('m.group_id', 'in', groupIds)
          .execute(),
  insertMember: (db: Q, groupId: string, memberId: string) =>
    db.insertInto('principal_members').values({ group_id: groupId, member_id: memberId, created_at: Date.now() }).onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing()).execute(),
  deleteMember: (db: Q, groupId: string, memberId: string) => db.deleteFrom('principal_members').where('group_id', '=', groupId).where('member_id', '=', memberId).execute(),

  /** Principals by id or login name, in one query. */
  byRefs: async (db: Q, refs: string[]): Promise<PrincipalRow[]> =>
    refs.length === 0 ? [] : db.selectFrom('principals').selectAll().where((eb) => eb.or([eb('id', 'in', refs), eb('username', 'in', refs)])).execute(),
  byIds: async (db: Q, ids: string[]): Promise<PrincipalRow[]> => (ids.length === 0 ? [] : db.selectFrom('principals').selectAll().where('id', 'in', ids).execute()),

  list: (db: Q, filter: PrincipalFilter, page: { after?: string; offset?: number; limit: number }) => {
    let q = filtered(db, filter).selectAll().orderBy('username').limit(page.limit);
    if (page.after) q = q.where('username', '>', page.after);
    if (page.offset) q = q.offset(page.offset);
    return q.execute();
  },
  count: async (db: Q, filter: PrincipalFilter) =>
    Number((await filtered(db, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),

  /** Those of the accounts whose owner has a quota they have reached, in one query. */
  fullAccounts: async (db: Q, accountIds: string[]): Promise<string[]> =>
    accountIds.length === 0
      ? []
      : (
          await db
            .selectFrom('accounts')
            .innerJoin('principals', 'principals.id', 'accounts.principal_id')
            .select('accounts.id')
            .where('accounts.id', 'in', accountIds)
            .where('principals.quota', '>', 0)
            .whereRef('accounts.used_bytes', '>=', 'principals.quota')
            .execute()
        ).map((r) => r.id),
  /**
   * Holds the tenant's row until the transaction ends, so two nodes adding mailboxes to one tenant
   * check its quota one after the other. SQLite has one writer, so it needs no lock.
   */
  lockTenant: async (db: Q, dialect: Dialect, tenantId: string) => {
    if (dialect === 'postgres') await db.selectFrom('principals').select('id').where('id', '=', tenantId).forUpdate().execute();
  },
  /** Sum of the quotas of a tenant's individuals, leaving one out (the one being changed). */
  tenantQuotaUsed: async (db: Q, tenantId: string, except?: string) => {
    let q = db.selectFrom('principals').select(sql<number>`coalesce(sum(quota), 0)`.as('n')).where('tenant_id', '=', tenantId).where('type', '=', 'individual');
    if (except) q = q.where('id', '!=', except);
    return Number((await q.executeTakeFirstOrThrow()).n);
  },
  /** Principals of each tenant, for the tenants' `members` views. */
  ofTenants: async (db: Q, tenantIds: string[]): Promise<PrincipalRow[]> =>
    tenantIds.length === 0 ? [] : db.selectFrom('principals').selectAll().where('tenant_id', 'in', tenantIds).orderBy('username').execute(),
  tenantMemberCount: async (db: Q, tenantId: string) =>
    Number((await db.selectFrom('principals').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()).n),
};

/**
 * Link rows whose `from` column is one of the ids, each with the name and type of the principal
 * at its `to` end (null when that end is a built-in role name, which is not a row).
 */
async function links(db: Q, ids: string[], table: 'principal_roles' | 'principal_members', from: string, to: string): Promise<Link[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<Link>`
    SELECT l.${sql.ref(from)} AS "from", l.${sql.ref(to)} AS "to", p.username AS name, p.type AS type
    FROM ${sql.table(table)} l LEFT JOIN principals p ON p.id = l.${sql.ref(to)}
    WHERE l.${sql.ref(from)} IN (${sql.join(ids)})
    ORDER BY coalesce(p.username, l.${sql.ref(to)})
  `.execute(db);
  return rows;
}

function filtered(db: Q, filter: PrincipalFilter) {
  let q = db.selectFrom('principals');
  if (filter.types && filter.types.length > 0) q = q.where('type', 'in', filter.types);
  if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
  if (filter.query) q = q.where(matchesPrincipal(filter.query));
  return q;
}

/** Secrets of apiKey principals live in `tokens` (scope `key`), looked up by their sha256 like every token. */
export const keySecretRepo = {
  insert: (db: Q, id: string, principalId: string, hash: string) =>
    db.insertInto('tokens').values({ id, token_hash: hash, principal_id: principalId, scope: 'key', description: null, expires_at: null, created_at: Date.now() }).execute(),
  deleteAll: (db: Q, principalId: string) => db.deleteFrom('tokens').where('principal_id', '=', principalId).where('scope', '=', 'key').execute(),
  delete: (db: Q, principalId: string, hash: string) => db.deleteFrom('tokens').where('principal_id', '=', principalId).where('scope', '=', 'key').where('token_hash', '=', hash).execute(),
  /** The apiKey principal a secret belongs to. */
  principalOf: (db: Q, hash: string) =>
    db
      .selectFrom('tokens')
      .innerJoin('principals', 'principals.id', 'tokens.principal_id')
      .selectAll('principals')
      .where('tokens.token_hash', '=', hash)
      .where('tokens.scope', '=', 'key')
      .executeTakeFirst(),
};
