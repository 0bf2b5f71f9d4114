import { sql } from 'kysely';
import type { Trx } from '../changes.ts';
import { MAX_INDEXED_CHARS, words, type SearchDocument, type SearchIndex, type TextQuery } from './types.ts';

// Each field gets a weight so a field-restricted query can match `word:B` (from) and so on.
const WEIGHTS: Record<keyof TextQuery, string> = { text: 'ABCD', subject: 'A', from: 'B', to: 'C', body: 'D' };

function lexemes(text: string): string {
  return words(text).join(' ');
}

/** PostgreSQL: a tsvector per email with fields as weights, GIN-indexed, 'simple' configuration. */
export class TsvectorIndex implements SearchIndex {
  async add(trx: Trx, doc: SearchDocument): Promise<void> {
    // Words are split in JS (as for FTS5) so both backends agree on what a word is.
    await sql`INSERT INTO email_search (num, account_id, tsv) VALUES (${doc.num}, ${doc.accountId},
      setweight(to_tsvector('simple', ${lexemes(doc.subject)}), 'A') ||
      setweight(to_tsvector('simple', ${lexemes(doc.from)}), 'B') ||
      setweight(to_tsvector('simple', ${lexemes(doc.to)}), 'C') ||
      setweight(to_tsvector('simple', ${lexemes(doc.body.slice(0, MAX_INDEXED_CHARS)).slice(0, 900_000)}), 'D'))`.execute(trx);
  }

  async remove(trx: Trx, num: number): Promise<void> {
    await sql`DELETE FROM email_search WHERE num = ${num}`.execute(trx);
  }

  matching(accountId: string, query: TextQuery) {
    const parts: string[] = [];
    for (const key of Object.keys(WEIGHTS) as (keyof TextQuery)[]) {
      const ws = words(query[key]);
      if (ws.length === 0) continue;
      const terms = ws.map((w) => `'${w.replace(/'/g, "''")}':${WEIGHTS[key]}`);
      parts.push(key === 'text' ? terms.join(' & ') : `(${terms.join(' <-> ')})`);
    }
    if (parts.length === 0) return null;
    return sql`SELECT num FROM email_search WHERE account_id = ${accountId} AND tsv @@ to_tsquery('simple', ${parts.join(' & ')})`;
  }
}
