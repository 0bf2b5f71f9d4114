import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_ACTOR } from '../../src/services/directory/principals.ts';
import { backfillDomainPrincipals } from '../../src/store/db/migrations/022_principals.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';
import { startTestServer, type Backend } from '../helpers/server.ts';

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  test(`migration 022 makes each existing domain a principal, on ${backend}`, async (t) => {
    const server = await startTestServer({ backend });
    if (!server) return t.skip(postgresSkipReason);
    try {
      const db = server.store.db;
      const now = Date.now();
      // Domains as the release before 022 left them: rows in domains only.
      await db.insertInto('domains').values({ id: 'd0000000000old000000000001', name: 'old.test', catch_all: null, disabled: 1, created_at: now }).execute();
      await db.insertInto('domains').values({ id: 'd0000000000old000000000002', name: 'clash.test', catch_all: null, disabled: 0, created_at: now }).execute();
      await db.insertInto('principals').values({ id: 'u0000000000old000000000001', type: 'individual', username: 'clash.test', password_hash: null, name: null, quota: 0, disabled: 0, created_at: now, updated_at: now }).execute();
      await backfillDomainPrincipals(db);

      const old = await server.services.principals.get(ADMIN_ACTOR, 'old.test');
      assert.deepEqual([old.id, old.type, old.disabled], ['d0000000000old000000000001', 'domain', true]);
      // A login already named like the domain keeps its name.
      const clash = await server.services.principals.get(ADMIN_ACTOR, 'clash.test');
      assert.equal(clash.type, 'individual');
    } finally {
      await server.stop();
    }
  });
}
