import { invalid } from './errors.ts';

/** A page of results as every list in the native API returns it. */
export interface Page<T> {
  total: number;
  results: T[];
  next: string | null;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 250;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  return limit;
}

/** Cursors are opaque to clients: base64url JSON of the keyset position. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw invalid('cursor', 'is not a cursor this server issued');
}

export const isString = (v: unknown): v is string => typeof v === 'string';

/** Fetches limit+1 rows to learn whether there is a next page without a second query. */
export function pageOf<R, T>(rows: R[], limit: number, total: number, view: (r: R) => T, key: (r: R) => unknown): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { total, results: kept.map(view), next: more ? encodeCursor(key(kept[kept.length - 1])) : null };
}
