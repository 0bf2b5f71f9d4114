import type { Dialect } from '../db/dialect.ts';
import { TsvectorIndex } from './postgres.ts';
import { Fts5Index } from './sqlite.ts';
import type { SearchIndex } from './types.ts';

export function searchIndexFor(dialect: Dialect): SearchIndex {
  return dialect === 'sqlite' ? new Fts5Index() : new TsvectorIndex();
}
