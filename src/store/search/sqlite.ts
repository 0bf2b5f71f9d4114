import { sql } from 'kysely';
import type { Trx } from '../changes.ts';
import { MAX_INDEXED_CHARS, words, type SearchDocument, type SearchIndex, type TextQuery } from './types.ts';

const COLUMNS: Record<keyof TextQuery, string | null> = {
  text: null,
  from: 'addrs_from',
  to: 'addrs_to',
  subject: 'subject',
  body: 'body',
};

function phrase(ws: string[]): string {
  return ws.map((w) => `"${w.replace(/"/g, '""')}"`).join(' ');
}

/** SQLite FTS5: contentless table keyed by emails.num, the account id indexed as a token. */
export class Fts5Index implements SearchIndex {
  async add(trx: Trx, doc: SearchDocument): Promise<void> {
    await sql`INSERT INTO email_fts(rowid, acct, subject, addrs_from, addrs_to, body) VALUES (${doc.num}, ${doc.accountId}, ${doc.subject}, ${doc.from}, ${doc.to}, ${doc.body.slice(0, MAX_INDEXED_CHARS)})`.execute(trx);
  }

  async remove(trx: Trx, num: number): Promise<void> {
    await sql`DELETE FROM email_fts WHERE rowid = ${num}`.execute(trx);
  }

  matching(accountId: string, query: TextQuery) {
    const parts: string[] = [];
    for (const [key, column] of Object.entries(COLUMNS) as [keyof TextQuery, string | null][]) {
      const ws = words(query[key]);
      if (ws.length === 0) continue;
      // Free text: every word anywhere; a field: its words as a phrase in that column.
      if (column === null) parts.push(...ws.map((w) => `{subject addrs_from addrs_to body} : ${phrase([w])}`));
      else parts.push(`${column} : ${phrase(ws)}`);
    }
    if (parts.length === 0) return null;
    const match = `acct : ${phrase([accountId])} AND ${parts.map((p) => `(${p})`).join(' AND ')}`;
    return sql`SELECT rowid FROM email_fts WHERE email_fts MATCH ${match}`;
  }
}
