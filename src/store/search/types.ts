import type { RawBuilder } from 'kysely';
import type { Trx } from '../changes.ts';

export interface SearchDocument {
  num: number;
  accountId: string;
  subject: string;
  from: string;
  to: string;
  body: string;
}

/** Words that must all occur: `text` anywhere, the others in that field only. */
export interface TextQuery {
  text?: string;
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
}

/** The full-text index of one backend (FTS5 or tsvector), written inside the email's transaction. */
export interface SearchIndex {
  add(trx: Trx, doc: SearchDocument): Promise<void>;
  remove(trx: Trx, num: number): Promise<void>;
  /** A subquery yielding `emails.num` of the account's emails that match; null when the query has no words. */
  matching(accountId: string, query: TextQuery): RawBuilder<unknown> | null;
}

/** Splits text into index words the same way on every backend (letters and digits, any script). */
export function words(text: string | undefined): string[] {
  if (!text) return [];
  return text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0).slice(0, 32);
}

/** Bounds the indexed text so one huge message cannot bloat the index or stall the writer. */
export const MAX_INDEXED_CHARS = 256 * 1024;
