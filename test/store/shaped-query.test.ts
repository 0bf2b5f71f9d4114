import assert from 'node:assert/strict';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Tables } from '../../src/store/db/schema.ts';
import { insertRows, runShaped } from '../../src/store/db/shaped-query.ts';

async function threadsTable(): Promise<Kysely<Tables>> {
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
  await sql`CREATE TABLE threads (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, created_at INTEGER NOT NULL)`.execute(db);
  return db;
}

const byId = (db: Kysely<Tables>, id: string) => runShaped(db, 'test thread by id', [id], () => db.selectFrom('threads').selectAll().where('id', '=', id));

test('a shape built once binds the values of each later use', async () => {
  const db = await threadsTable();
  await insertRows(db, 'threads', [{ id: 't1', account_id: 'a', created_at: 1 }]);
  await insertRows(db, 'threads', [{ id: 't2', account_id: 'b', created_at: 2 }]);
  await insertRows(db, 'threads', [{ id: 't3', account_id: 'c', created_at: 3 }, { id: 't4', account_id: 'd', created_at: 4 }]);
  assert.deepEqual((await byId(db, 't2')).rows, [{ id: 't2', account_id: 'b', created_at: 2 }]);
  assert.deepEqual((await byId(db, 't4')).rows, [{ id: 't4', account_id: 'd', created_at: 4 }]);
  await db.destroy();
});

test('values listed in another order than kysely binds them fail on the first build', async () => {
  const db = await threadsTable();
  const wrong = () => runShaped(db, 'test wrong order', [1, 'a'], () => db.selectFrom('threads').selectAll().where('account_id', '=', 'a').where('created_at', '=', 1));
  await assert.rejects(wrong, /parameters are not the ones kysely binds/);
  await db.destroy();
});
