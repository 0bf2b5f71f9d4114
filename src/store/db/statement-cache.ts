import type { Database as SqliteDb, Statement } from 'better-sqlite3';

const MAX_STATEMENTS = 500;

/**
 * better-sqlite3 behind kysely, with prepared statements reused by SQL text. Kysely's driver
 * prepares every query afresh, which cost ~0.3 ms per delivered message; kysely serializes all
 * queries on one connection, so a cached statement is never used by two queries at once.
 */
export function cachingDatabase(sqlite: SqliteDb): { prepare(sql: string): Statement; close(): void } {
  const cache = new Map<string, Statement>();
  return {
    prepare(sql: string): Statement {
      let stmt = cache.get(sql);
      if (stmt) {
        // Move to the back: the map's insertion order doubles as LRU order.
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close: () => sqlite.close(),
  };
}
