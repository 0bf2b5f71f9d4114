import type { RawBuilder } from 'kysely';
import type { HeaderIndexTerms } from './header-terms.ts';
import type { EmailAddress } from '../../mime/types.ts';
import type { Trx } from '../changes.ts';

/** What the index keeps of an email's header fields: its To, Cc and Bcc, and every top-level field. */
export interface FieldsDocument {
  num: number;
  accountId: string;
  to: string;
  cc: string;
  bcc: string;
  /** Of every top-level field, as headerIndexTerms() gives them: made with the parse, on whichever thread parsed. */
  headers: HeaderIndexTerms;
}

export interface SearchDocument extends FieldsDocument {
  subject: string;
  from: string;
  body: string;
}

/** RFC 8621 `header`: a field with this (lower-case) name, whose value contains `value` when given. */
export interface HeaderCondition {
  name: string;
  value?: string;
}

/** Words that must all occur: `text` anywhere, the others in that field only; `headers` narrowed as far as the index can. */
export interface TextQuery {
  text?: string;
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  /** To, Cc or Bcc. */
  recipients?: string;
  subject?: string;
  body?: string;
  headers?: HeaderCondition[];
}

/** One account, or several read together (a pool's mail as one collection). */
export type AccountScope = string | readonly string[];

/** The full-text index of one backend (FTS5 or tsvector), written inside the email's transaction. */
export interface SearchIndex {
  /** Indexes the emails of one transaction together (a statement per few hundred, not per email). */
  add(trx: Trx, docs: SearchDocument[]): Promise<void>;
  /** Indexes the header fields of an email whose text is already indexed (migration 007 backfill). */
  addFields(trx: Trx, doc: FieldsDocument): Promise<void>;
  remove(trx: Trx, num: number): Promise<void>;
  /**
   * A subquery yielding `emails.num` of the scope's emails that match; null when the query has
   * no words. Exact except for header values, where it yields a superset to verify.
   */
  matching(scope: AccountScope, query: TextQuery): RawBuilder<unknown> | null;
  /** A subquery yielding exactly these `emails.num` (header matches once verified), however many. */
  listed(nums: number[]): RawBuilder<unknown>;
}

// Rows per multi-row INSERT: far below either backend's bound on bound parameters.
export const INDEX_ROWS_PER_STATEMENT = 200;

/** Case folding for every comparison of searched text: lower case, then NFKC. */
export function fold(text: string): string {
  return text.toLowerCase().normalize('NFKC');
}

/** Splits text into index words the same way on every backend (letters and digits, any script). */
export function tokens(text: string | undefined): string[] {
  if (!text) return [];
  return fold(text).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** The words of a query, bounded so one request cannot build a huge index query. */
export function words(text: string | undefined): string[] {
  return tokens(text).slice(0, 32);
}

/** Addresses as indexed: display names and addresses, so a search finds either. */
export function addressText(list: EmailAddress[]): string {
  return list.map((a) => `${a.name ?? ''} ${a.email}`).join(' ').replace(/\0/g, '');
}

/** Bounds the indexed text so one huge message cannot bloat the index or stall the writer. */
export const MAX_INDEXED_CHARS = 256 * 1024;
