import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { FsBlobStore } from '../blobs/fs.ts';
import { dialectOf, type Dialect } from './dialect.ts';
import { migrateToLatest } from './migrate.ts';
import { cachingDatabase } from './statement-cache.ts';
import type { Tables } from './schema.ts';

export type Db = Kysely<Tables>;

export interface Database {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

// int8 columns (times, sizes, modseqs) stay below 2^53, so numbers are exact and both backends agree.
pg.types.setTypeParser(20, (v) => Number(v));

function openSqlite(path: string): Db {
  const sqlite = new SQLite(path);
  // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable before
  // SMTP says 250, which group commit in delivery keeps affordable.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('cache_size = -65536');
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database: cachingDatabase(sqlite) }) });
}

function openPostgres(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}

/** Opens (creating if needed) and migrates the metadata database named by the config; migrations may read the blobs. */
export async function openDatabase(databaseUrl: string, dataDir: string, blobs: FsBlobStore): Promise<Database> {
  const dialect = dialectOf(databaseUrl);
  let db: Db;
  if (dialect === 'postgres') {
    db = openPostgres(databaseUrl);
  } else {
    mkdirSync(dataDir, { recursive: true });
    const path = databaseUrl ? databaseUrl.replace(/^sqlite:(\/\/)?/i, '') : join(dataDir, 'gannet.db');
    db = openSqlite(path);
  }
  await migrateToLatest(db, dialect, blobs);
  return { db, dialect, close: () => db.destroy() };
}
