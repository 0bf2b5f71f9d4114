import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * What IMAP's CONDSTORE/QRESYNC read from a mailbox. The modseq of a mailbox's last expunge (RFC 7162 §5.2): a QRESYNC client that synced after it
 * has missed no expunge and gets no VANISHED (EARLIER); one that synced before is told every UID
 * of its known set that is no longer there.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('mailboxes').addColumn('expunge_modseq', big, (c) => c.notNull().defaultTo(0)).execute();
  // HIGHESTMODSEQ and "changed since" of one mailbox, asked after every IMAP command.
  await db.schema.createIndex('email_mailboxes_modseq').on('email_mailboxes').columns(['mailbox_id', 'modseq']).execute();
}
