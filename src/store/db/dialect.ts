export type Dialect = 'sqlite' | 'postgres';

/** Which backend a database URL selects; empty means SQLite in the data dir. */
export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}
