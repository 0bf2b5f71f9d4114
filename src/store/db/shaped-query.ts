import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Tables } from './schema.ts';

/** A query builder, or a raw `sql` template (which compiles against a database). */
type Buildable<R> = { compile(db: Kysely<Tables>): CompiledQuery<R> };

// SQL text by query shape, per dialect adapter: SQLite and PostgreSQL compile the same builder
// differently, and one process (the contract tests) can hold both.
const texts = new WeakMap<object, Map<string, string>>();
// Multi-row inserts make a shape per row count; past this many the oldest shape is rebuilt when next used.
const MAX_SHAPES = 1000;

const sameValues = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Runs a query whose SQL text is fixed by `shape`, building it with kysely only the first time:
 * on the ingest path, building and compiling a statement cost more CPU than SQLite running it.
 * `params` are the values kysely binds, in its order. The first build checks them against
 * kysely's own, so a wrong list fails at once instead of binding values to the wrong columns.
 */
export async function runShaped<R>(db: Kysely<Tables>, shape: string, params: readonly unknown[], build: () => Buildable<R>): Promise<QueryResult<R>> {
  const adapter = db.getExecutor().adapter;
  let byShape = texts.get(adapter);
  if (!byShape) texts.set(adapter, (byShape = new Map()));
  let text = byShape.get(shape);
  if (text === undefined) {
    const compiled = build().compile(db);
    if (!sameValues(compiled.parameters, params)) throw new Error(`query shape ${shape}: its parameters are not the ones kysely binds`);
    text = compiled.sql;
    if (byShape.size >= MAX_SHAPES) byShape.delete(byShape.keys().next().value!);
    byShape.set(shape, text);
  }
  return db.executeQuery<R>(CompiledQuery.raw(text, [...params]));
}

// Bound parameters per multi-row INSERT: well below SQLite's 32766 and PostgreSQL's 65535.
const PARAMS_PER_INSERT = 10_000;

/**
 * INSERT of plain rows (values, no SQL expressions) through runShaped, in as many statements as
 * the bound on parameters needs. Rows whose columns differ, or with an undefined value, go to
 * kysely as they are: it takes the union of the columns and leaves undefined ones out.
 */
export async function insertRows(db: Kysely<Tables>, table: keyof Tables & string, rows: readonly object[], returning?: string | string[]): Promise<QueryResult<Record<string, unknown>>> {
  const columns = Object.keys(rows[0]);
  const perStatement = Math.max(1, Math.floor(PARAMS_PER_INSERT / columns.length));
  if (rows.length <= perStatement) return insertStatement(db, table, columns, rows, returning);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < rows.length; i += perStatement) out.push(...(await insertStatement(db, table, columns, rows.slice(i, i + perStatement), returning)).rows);
  return { rows: out };
}

function insertStatement(db: Kysely<Tables>, table: keyof Tables & string, columns: string[], rows: readonly object[], returning?: string | string[]) {
  const build = () => {
    const q = db.insertInto(table).values(rows as never);
    return (returning ? q.returning(returning as never) : q) as Compilable<Record<string, unknown>>;
  };
  const params = rows.flatMap((r) => columns.map((c) => (r as Record<string, unknown>)[c]));
  if (params.includes(undefined) || rows.some((r) => Object.keys(r).length !== columns.length)) return db.executeQuery(build());
  return runShaped(db, `insert ${table} (${columns}) ×${rows.length} returning ${returning ?? ''}`, params, build);
}
