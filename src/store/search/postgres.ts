import { sql, type RawBuilder } from 'kysely';
import type { Trx } from '../changes.ts';
import { headerQueryTerms } from './header-terms.ts';
import { INDEX_ROWS_PER_STATEMENT, MAX_INDEXED_CHARS, tokens, words, type FieldsDocument, type HeaderCondition, type SearchDocument, type AccountScope, type SearchIndex, type TextQuery } from './types.ts';

type WeightedKey = 'text' | 'subject' | 'from' | 'recipients' | 'body' | 'to' | 'cc' | 'bcc';

// Fields are weights so a field-restricted query can match `word:B` and so on. `tsv` holds what
// free text searches (C: To, Cc and Bcc together); `fields` (migration 007) each recipient field.
const TSV_WEIGHTS: Partial<Record<WeightedKey, string>> = { text: 'ABCD', subject: 'A', from: 'B', recipients: 'C', body: 'D' };
const FIELD_WEIGHTS: Partial<Record<WeightedKey, string>> = { to: 'A', cc: 'B', bcc: 'C' };

// Not a field name (those have no colon): marks an email whose header value words were not all indexed.
const OVERFLOW = ':overflow';

// PostgreSQL refuses a tsvector over 1 MB. A word costs at most its bytes plus 9 the first time
// (entry, alignment, position count, position) and 2 after; words are taken while that fits.
const TSVECTOR_BUDGET = 900_000;

/** One tsvector of weighted texts, cut (the later texts first) to fit PostgreSQL's limit. */
function weighted(texts: [string, string][]): RawBuilder<unknown> {
  // Words are split in JS (as for FTS5) so both backends agree on what a word is.
  let budget = TSVECTOR_BUDGET;
  const seen = new Set<string>();
  const parts = texts.map(([text, weight]) => {
    const taken: string[] = [];
    for (const w of tokens(text)) {
      const cost = seen.has(w) ? 2 : Buffer.byteLength(w) + 9;
      if (cost > budget) break;
      budget -= cost;
      seen.add(w);
      taken.push(w);
    }
    return sql`setweight(to_tsvector('simple', ${taken.join(' ')}), ${sql.lit(weight)})`;
  });
  return sql.join(parts, sql` || `);
}

function tsquery(query: TextQuery, weights: Partial<Record<WeightedKey, string>>): string | null {
  const parts: string[] = [];
  for (const [key, weight] of Object.entries(weights)) {
    const ws = words(query[key as WeightedKey]);
    if (ws.length === 0) continue;
    const terms = ws.map((w) => `'${w.replace(/'/g, "''")}':${weight}`);
    parts.push(key === 'text' ? terms.join(' & ') : `(${terms.join(' <-> ')})`);
  }
  return parts.length ? parts.join(' & ') : null;
}

function headerMatch(c: HeaderCondition): RawBuilder<unknown> {
  const t = headerQueryTerms(c);
  const name = sql`header_names @> ARRAY[${t.name}]::text[]`;
  // Value words are stored and queried verbatim (no parser), as folded in JS.
  const value = [...t.words.map((w) => `'${w}'`), ...(t.prefix ? [`'${t.prefix}':*`] : [])];
  if (value.length === 0) return name;
  return sql`${name} AND (header_values @@ ${value.join(' & ')}::tsquery OR header_names @> ARRAY[${OVERFLOW}]::text[])`;
}

/** The header-field columns of an email's row: recipient fields as weights, field names, value words. */
function fieldColumns(doc: FieldsDocument) {
  const h = doc.headers;
  return {
    fields: weighted([[doc.to, 'A'], [doc.cc, 'B'], [doc.bcc, 'C']]),
    names: sql`${[...h.names, ...(h.overflow ? [OVERFLOW] : [])]}::text[]`,
    values: sql`array_to_tsvector(${h.values}::text[])`,
  };
}

/** PostgreSQL: a row per email of tsvectors with fields as weights, GIN-indexed, 'simple' configuration. */
export class TsvectorIndex implements SearchIndex {
  async add(trx: Trx, docs: SearchDocument[]): Promise<void> {
    for (let i = 0; i < docs.length; i += INDEX_ROWS_PER_STATEMENT) {
      const rows = docs.slice(i, i + INDEX_ROWS_PER_STATEMENT).map((doc) => {
        const tsv = weighted([[doc.subject, 'A'], [doc.from, 'B'], [[doc.to, doc.cc, doc.bcc].join(' '), 'C'], [doc.body.slice(0, MAX_INDEXED_CHARS), 'D']]);
        const f = fieldColumns(doc);
        return sql`(${doc.num}, ${doc.accountId}, ${tsv}, ${f.fields}, ${f.names}, ${f.values})`;
      });
      await sql`INSERT INTO email_search (num, account_id, tsv, fields, header_names, header_values) VALUES ${sql.join(rows)}`.execute(trx);
    }
  }

  async addFields(trx: Trx, doc: FieldsDocument): Promise<void> {
    const f = fieldColumns(doc);
    await sql`UPDATE email_search SET fields = ${f.fields}, header_names = ${f.names}, header_values = ${f.values} WHERE num = ${doc.num}`.execute(trx);
  }

  async remove(trx: Trx, num: number): Promise<void> {
    await sql`DELETE FROM email_search WHERE num = ${num}`.execute(trx);
  }

  matching(scope: AccountScope, query: TextQuery) {
    const conditions: RawBuilder<unknown>[] = [];
    const text = tsquery(query, TSV_WEIGHTS);
    if (text) conditions.push(sql`tsv @@ to_tsquery('simple', ${text})`);
    const fields = tsquery(query, FIELD_WEIGHTS);
    if (fields) conditions.push(sql`fields @@ to_tsquery('simple', ${fields})`);
    for (const h of query.headers ?? []) conditions.push(headerMatch(h));
    if (conditions.length === 0) return null;
    const accounts = typeof scope === 'string' ? sql`account_id = ${scope}` : sql`account_id IN (${sql.join(scope)})`;
    return sql`SELECT num FROM email_search WHERE ${accounts} AND ${sql.join(conditions, sql` AND `)}`;
  }

  listed(nums: number[]) {
    return sql`SELECT unnest(${nums}::bigint[])`;
  }
}
