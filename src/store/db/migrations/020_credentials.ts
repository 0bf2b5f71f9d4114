import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Credentials beyond the master password (issue 7, ADR 0024): application-specific passwords,
 * TOTP second factors with their recovery codes, the auth log, and the failed-login counters
 * every node shares (so a brute force spread over the nodes of a cluster meets one limit).
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('app_passwords')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'text', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('scopes_json', 'text', (c) => c.notNull())
    // sha256 of a 75-bit random secret, looked up by value, so no per-row salt (ADR 0024); or
    // the SHA-512-crypt hash a Stalwart client sent instead of the secret.
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_used_at', big)
    .addColumn('last_ip', 'text')
    .execute();
  await db.schema.createIndex('app_passwords_secret').unique().on('app_passwords').columns(['principal_id', 'secret_hash']).execute();

  await db.schema
    .createTable('totp_secrets')
    .addColumn('principal_id', 'text', (c) => c.primaryKey().references('principals.id').onDelete('cascade'))
    // Sealed with the server key (SecretBox): the code generator must read it back.
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('last_step', big)
    .addColumn('recovery_json', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('enabled_at', big)
    .execute();

  await db.schema
    .createTable('authlog')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // null: the login named nobody known here.
    .addColumn('principal_id', 'text', (c) => c.references('principals.id').onDelete('cascade'))
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('mechanism', 'text')
    .addColumn('scope', 'text')
    .addColumn('asp_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  // A user's log newest first (ids grow with time), and the prune by age.
  await db.schema.createIndex('authlog_principal').on('authlog').columns(['principal_id', 'id']).execute();
  await db.schema.createIndex('authlog_created').on('authlog').column('created_at').execute();

  await db.schema
    .createTable('auth_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_start', big, (c) => c.notNull())
    .addColumn('last_at', big, (c) => c.notNull())
    .addColumn('locked_until', big, (c) => c.notNull())
    .execute();
}
