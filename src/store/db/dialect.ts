import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** Which backend a database URL selects; empty means SQLite in the data dir. */
export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}

/** The backend behind a connection or transaction, for the few statements written per backend. */
export function dialectOfDb(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * A JSON array bound as one value, as rows `r` whose `r.value` is each element. A list of
 * thousands (a STORE on a whole mailbox) is then one parameter, compiled and bound once, where
 * a VALUES list or an IN list binds each item on its own.
 */
export function jsonRows(db: Kysely<any>, items: unknown[]): RawBuilder<unknown> {
  const json = JSON.stringify(items);
  return dialectOfDb(db) === 'postgres' ? sql`jsonb_array_elements(${json}::jsonb) AS r(value)` : sql`json_each(${json}) AS r`;
}

/** `(SELECT …)` of these strings as one bound value, for `x IN (…)`. */
export function inStrings(db: Kysely<any>, items: string[]): RawBuilder<string> {
  return dialectOfDb(db) === 'postgres' ? sql`(SELECT r.value #>> '{}' FROM ${jsonRows(db, items)})` : sql`(SELECT r.value FROM ${jsonRows(db, items)})`;
}
