import { sql, type RawBuilder } from 'kysely';
import type { Trx } from '../changes.ts';
import { runShaped } from '../db/shaped-query.ts';
import { headerQueryTerms } from './header-terms.ts';
import { INDEX_ROWS_PER_STATEMENT, MAX_INDEXED_CHARS, words, type FieldsDocument, type HeaderCondition, type SearchDocument, type AccountScope, type SearchIndex, type TextQuery } from './types.ts';

type FieldKey = 'from' | 'recipients' | 'subject' | 'body' | 'to' | 'cc' | 'bcc';

// email_fts holds what free text searches (addrs_to: To, Cc and Bcc together); email_fields_fts
// (migration 007) holds each recipient field and the header fields.
const TEXT_COLUMNS: Partial<Record<FieldKey, string>> = { from: 'addrs_from', recipients: 'addrs_to', subject: 'subject', body: 'body' };
const FIELD_COLUMNS: Partial<Record<FieldKey, string>> = { to: 'addrs_to', cc: 'addrs_cc', bcc: 'addrs_bcc' };

// A field name is one token (hex of its lower-case name), so a name matches exactly.
const nameToken = (name: string) => 'h' + Buffer.from(name, 'latin1').toString('hex');
// Not a hex name: marks an email whose header value words were not all indexed.
const OVERFLOW = 'overflow';

// Words joined by `+` are one phrase; joined by spaces they would be separate phrases, and a
// column filter applies to the first of them only.
function phrase(ws: string[]): string {
  return ws.map((w) => `"${w.replace(/"/g, '""')}"`).join(' + ');
}

/** Each field's words as a phrase in its column. */
function columnPhrases(query: TextQuery, columns: Partial<Record<FieldKey, string>>): string[] {
  const out: string[] = [];
  for (const [key, column] of Object.entries(columns)) {
    const ws = words(query[key as FieldKey]);
    if (ws.length > 0) out.push(`${column} : ${phrase(ws)}`);
  }
  return out;
}

function headerMatch(c: HeaderCondition): string {
  const t = headerQueryTerms(c);
  const name = `header_names : ${phrase([nameToken(t.name)])}`;
  const value = t.words.map((w) => `header_values : ${phrase([w])}`);
  if (t.prefix) value.push(`header_values : ${phrase([t.prefix])} *`);
  return value.length ? `${name} AND ((${value.join(' AND ')}) OR header_names : ${phrase([OVERFLOW])})` : name;
}

/** `(?, ?, …), (?, ?, …)`: each row's values bound in order. */
const valueLists = (rows: unknown[][]) => sql.join(rows.map((r) => sql`(${sql.join(r)})`));

/** SQLite FTS5: contentless tables keyed by emails.num, the account id indexed as a token. */
export class Fts5Index implements SearchIndex {
  async add(trx: Trx, docs: SearchDocument[]): Promise<void> {
    for (let i = 0; i < docs.length; i += INDEX_ROWS_PER_STATEMENT) {
      const chunk = docs.slice(i, i + INDEX_ROWS_PER_STATEMENT);
      const rows = chunk.map((d) => [d.num, d.accountId, d.subject, d.from, [d.to, d.cc, d.bcc].join(' '), d.body.slice(0, MAX_INDEXED_CHARS)]);
      await runShaped(trx, `email_fts ×${rows.length}`, rows.flat(), () => sql`INSERT INTO email_fts(rowid, acct, subject, addrs_from, addrs_to, body) VALUES ${valueLists(rows)}`);
      await this.insertFields(trx, chunk);
    }
  }

  async addFields(trx: Trx, doc: FieldsDocument): Promise<void> {
    await this.insertFields(trx, [doc]);
  }

  private async insertFields(trx: Trx, docs: FieldsDocument[]): Promise<void> {
    const rows = docs.map((d) => {
      const h = d.headers;
      const names = [...h.names.map(nameToken), ...(h.overflow ? [OVERFLOW] : [])].join(' ');
      return [d.num, d.accountId, d.to, d.cc, d.bcc, names, h.values.join(' ')];
    });
    await runShaped(trx, `email_fields_fts ×${rows.length}`, rows.flat(), () => sql`INSERT INTO email_fields_fts(rowid, acct, addrs_to, addrs_cc, addrs_bcc, header_names, header_values) VALUES ${valueLists(rows)}`);
  }

  async remove(trx: Trx, num: number): Promise<void> {
    await sql`DELETE FROM email_fts WHERE rowid = ${num}`.execute(trx);
    await sql`DELETE FROM email_fields_fts WHERE rowid = ${num}`.execute(trx);
  }

  matching(scope: AccountScope, query: TextQuery) {
    // Free text: every word anywhere; a field: its words as a phrase in that column.
    const text = [...words(query.text).map((w) => `{subject addrs_from addrs_to body} : ${phrase([w])}`), ...columnPhrases(query, TEXT_COLUMNS)];
    const fields = [...columnPhrases(query, FIELD_COLUMNS), ...(query.headers ?? []).map(headerMatch)];
    const accounts = typeof scope === 'string' ? phrase([scope]) : `(${scope.map((a) => phrase([a])).join(' OR ')})`;
    const scoped = (parts: string[]) => `acct : ${accounts} AND ${parts.map((p) => `(${p})`).join(' AND ')}`;
    const selects: RawBuilder<unknown>[] = [];
    if (text.length > 0) selects.push(sql`SELECT rowid FROM email_fts WHERE email_fts MATCH ${scoped(text)}`);
    if (fields.length > 0) selects.push(sql`SELECT rowid FROM email_fields_fts WHERE email_fields_fts MATCH ${scoped(fields)}`);
    return selects.length > 0 ? sql.join(selects, sql` INTERSECT `) : null;
  }

  listed(nums: number[]) {
    return sql`SELECT value FROM json_each(${JSON.stringify(nums)})`;
  }
}
