import type { WriteContext } from '../../store/changes.ts';
import type { EmailRow } from '../../store/db/schema.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import { DELETED } from './keywords.ts';

/**
 * The change-log type that records an email appearing to JMAP (`c`, it lost $deleted) or
 * disappearing from it (`d`, it gained $deleted or was created with it), next to the email's own
 * `u`. Only Email/changes reads it (ADR 0015); every other reader of the log is spared it.
 */
export const VISIBILITY = 'EmailVisibility';

// Keywords are stored as a JSON array of validated atoms without quotes, so this is exact.
const carriesDeleted = (keywordsJson: string) => keywordsJson.includes(`"${DELETED}"`);

/**
 * Logs the emails whose keywords change from what `emails` (their rows before the change) hold to
 * `keywords` and that thereby appear or disappear for JMAP, with their mailboxes and threads, whose
 * JMAP counts and email lists move with them. Called by EmailWriter inside the write that changes them.
 */
export async function recordVisibility(w: WriteContext, accountId: string, emails: readonly Pick<EmailRow, 'id' | 'keywords'>[], keywords: readonly string[]): Promise<void> {
  const hidden = keywords.includes(DELETED);
  const flipped = emails.filter((e) => carriesDeleted(e.keywords) !== hidden).map((e) => e.id);
  if (flipped.length === 0) return;
  for (const id of flipped) await w.record(accountId, VISIBILITY, id, hidden ? 'd' : 'c');
  const mailboxes = new Set((await repo.memberships(w.trx, flipped)).map((m) => m.mailbox_id));
  for (const mailboxId of mailboxes) await w.record(accountId, 'Mailbox', mailboxId, 'u');
  for (const threadId of await repo.threadIdsOf(w.trx, accountId, flipped)) await w.record(accountId, 'Thread', threadId, 'u');
}
