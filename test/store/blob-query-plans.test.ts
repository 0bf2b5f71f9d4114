import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { FsBlobStore } from '../../src/store/blobs/fs.ts';
import { migrateToLatest } from '../../src/store/db/migrate.ts';
import { mailRepo } from '../../src/store/repos/mail.ts';
import { remoteRepo } from '../../src/store/repos/remote.ts';

/** The blobs table grows with every message ever stored: the queries run after each expunge or sync pass must not scan it. */
test('garbage collection and writing out packed blobs use indexes, never a scan of the blobs table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gannet-blob-plans-'));
  const sqlite = new SQLite(join(dir, 'gannet.db'));
  const blobStore = new FsBlobStore(join(dir, 'blobs'));
  const ran: CompiledQuery[] = [];
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }), log: (e) => void ran.push(e.query) });
  try {
    await migrateToLatest(db, 'sqlite', blobStore);
    const plan = async (run: () => Promise<unknown>) => {
      ran.length = 0;
      await run();
      const [q] = ran.filter((r) => /\bblobs\b/.test(r.sql));
      return sqlite.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])).map((r) => (r as { detail: string }).detail).join(' | ');
    };
    assert.match(await plan(() => mailRepo.unreferencedBlobs(db, 100)), /USING (COVERING )?INDEX blobs_unreferenced/);
    assert.match(await plan(() => mailRepo.packedBlobs(db, null, 200)), /USING (COVERING )?INDEX blobs_packed/);
    assert.match(await plan(() => mailRepo.packedBlobs(db, { pack: 'p', offset: 5 }, 200)), /USING (COVERING )?INDEX blobs_packed/);
    ran.length = 0;
    await remoteRepo.packsInUse(db, ['p', 'q']);
    const blobs = ran.find((r) => /from "blobs"/.test(r.sql))!;
    assert.match(sqlite.prepare(`EXPLAIN QUERY PLAN ${blobs.sql}`).all(...(blobs.parameters as unknown[])).map((r) => (r as { detail: string }).detail).join(' '), /INDEX blobs_packed/);
  } finally {
    await db.destroy();
    await blobStore.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
