import { sql, type Kysely } from 'kysely';

/**
 * Emails carrying IMAP's \Deleted (`$deleted`) are hidden from JMAP (RFC 8621 §4.1.1, ADR 0015).
 * They are few and short-lived (IMAP expunges them), so a partial index over them lets JMAP
 * take them off the mailbox counters without scanning every message. Queries must repeat the
 * predicate to the letter (no parameter, no ESCAPE) for either planner to use it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX emails_deleted ON emails (account_id) WHERE keywords LIKE '%"$deleted"%'`.execute(db);
}
