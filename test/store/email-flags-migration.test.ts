import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { FsBlobStore } from '../../src/store/blobs/fs.ts';
import { migrateToLatest, StaticProvider } from '../../src/store/db/migrate.ts';

test('migration 023 moves every email\'s keywords into email_flags and drops them from emails', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gannet-flags-'));
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'gannet.db')) }) });
  const blobs = new FsBlobStore(join(dir, 'blobs'));
  try {
    const { error } = await new Migrator({ db, provider: new StaticProvider('sqlite', blobs) }).migrateTo('022_principals');
    assert.equal(error, undefined);
    // Two emails as the release before 023 stored them, keywords on the email row.
    const email = (id: string, keywords: string[], receivedAt: number) => ({
      id, account_id: 'a1', blob_id: `b-${id}`, thread_id: 't1', size: 10, received_at: receivedAt, sent_at: null, message_id: null, subject: 's', subject_norm: 's',
      from_json: '[]', to_json: '[]', cc_json: '[]', bcc_json: '[]', reply_to_json: '[]', sender_json: '[]', in_reply_to_json: '[]', references_json: '[]',
      preview: '', has_attachment: 0, keywords: JSON.stringify(keywords), seen: keywords.includes('$seen') ? 1 : 0, flagged: keywords.includes('$flagged') ? 1 : 0,
      structure: '{}', envelope: null, attachments: '[]', parse_error: null, created_modseq: 1, updated_modseq: 1,
    });
    await db.insertInto('principals').values({ id: 'u1', type: 'individual', username: 'old', password_hash: null, name: null, quota: 0, disabled: 0, created_at: 1, updated_at: 1 }).execute();
    await db.insertInto('accounts').values({ id: 'a1', principal_id: 'u1', kind: 'local', created_at: 1 }).execute();
    await db.insertInto('emails').values([email('e1', ['$deleted', '$seen'], 100), email('e2', ['$flagged', 'work'], 200)]).execute();

    await migrateToLatest(db, 'sqlite', blobs);
    const flags = await db.selectFrom('email_flags').selectAll().orderBy('email_id').execute();
    assert.deepEqual(flags, [
      { email_id: 'e1', account_id: 'a1', received_at: 100, keywords: '["$deleted","$seen"]', seen: 1, flagged: 0 },
      { email_id: 'e2', account_id: 'a1', received_at: 200, keywords: '["$flagged","work"]', seen: 0, flagged: 1 },
    ]);
    const columns = (await sql<{ name: string }>`PRAGMA table_info(emails)`.execute(db)).rows.map((r) => r.name);
    for (const gone of ['keywords', 'seen', 'flagged']) assert.ok(!columns.includes(gone), gone);
    // The partial indexes now serve the flag filters from the narrow table.
    const plan = (await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT email_id FROM email_flags WHERE account_id = 'a1' AND keywords LIKE '%"$deleted"%'`.execute(db)).rows;
    assert.match(plan.map((r) => r.detail).join(' '), /email_flags_deleted/);
  } finally {
    await db.destroy();
    await blobs.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
