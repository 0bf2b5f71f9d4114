import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Principals of every type (issue 7, ADR 0026). The per-principal lists that are only ever read
 * whole with the principal (permissions, external members, URLs) are JSON text columns, so loading
 * a principal on each request stays one row. Links between principals are rows, so they can be
 * followed in SQL (role resolution, group expansion) and vanish with either end:
 * * - `principal_members`: `member_id` belongs to `group_id`, a group or a list;
 * - `principal_roles`: `principal_id` holds `role`, a built-in role name (`admin`, `user`) or the
 *   id of a role principal (no foreign key, since built-in roles are not rows).
 * A domain principal is the `domains` row plus a `principals` row of type `domain` with the same
 * id, so every principal type lists, pages and belongs to a tenant the same way.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('principals').addColumn('tenant_id', 'text').execute();
  await db.schema.alterTable('principals').addColumn('enabled_permissions', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('principals').addColumn('disabled_permissions', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('principals').addColumn('external_members', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('principals').addColumn('urls', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.createIndex('principals_tenant').on('principals').column('tenant_id').execute();
  await db.schema.createIndex('principals_type').on('principals').columns(['type', 'username']).execute();

  await db.schema
    .createTable('principal_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('member_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('principal_members_pk', ['group_id', 'member_id'])
    .execute();
  await db.schema.createIndex('principal_members_member').on('principal_members').column('member_id').execute();

  await db.schema
    .createTable('principal_roles')
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('principal_roles_pk', ['principal_id', 'role'])
    .execute();
  await db.schema.createIndex('principal_roles_role').on('principal_roles').column('role').execute();

  await backfillDomainPrincipals(db);
}

/**
 * Existing domains become domain principals; a login name already equal to a domain name keeps
 * it (that domain then has no principal row, and is not listed among principals).
 */
export async function backfillDomainPrincipals(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO principals (id, type, username, password_hash, name, quota, disabled, created_at, updated_at)
    SELECT d.id, 'domain', d.name, NULL, NULL, 0, d.disabled, d.created_at, d.created_at FROM domains d
    WHERE NOT EXISTS (SELECT 1 FROM principals p WHERE p.username = d.name)
  `.execute(db);
}
