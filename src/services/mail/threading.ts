import { isReplyOrForward, normalizeSubject } from '../../mime/thread-keys.ts';
import type { ParsedMessage } from '../../mime/types.ts';
import type { WriteContext } from '../../store/changes.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import { newId } from '../../util/ids.ts';

const SUBJECT_WINDOW_MS = 30 * 24 * 3600 * 1000;
const MAX_REFS = 50;

/** The Message-IDs that tie a message to its conversation: its own, In-Reply-To and References. */
export function threadRefs(parsed: ParsedMessage): string[] {
  const refs = [parsed.messageId, ...parsed.inReplyTo, ...parsed.references.slice(-MAX_REFS)]
    .filter((r): r is string => !!r && r.length <= 998 && !r.includes('\0'))
    .map((r) => r.toLowerCase());
  return [...new Set(refs)];
}

/**
 * Finds or creates the thread of a new email: any shared Message-ID reference joins a thread;
 * failing that, a reply or forward joins the latest thread with the same base subject
 * (RFC 5256's fallback) from the last 30 days.
 */
export async function assignThread(w: WriteContext, accountId: string, parsed: ParsedMessage, receivedAt: number): Promise<{ threadId: string; created: boolean }> {
  const refs = threadRefs(parsed);
  let threadId = (await repo.threadForRefs(w.trx, accountId, refs))?.thread_id;
  const subjectNorm = normalizeSubject(parsed.subject);
  if (!threadId && subjectNorm && isReplyOrForward(parsed.subject)) {
    threadId = (await repo.threadForSubject(w.trx, accountId, subjectNorm, receivedAt - SUBJECT_WINDOW_MS))?.thread_id;
  }
  let created = false;
  if (!threadId) {
    threadId = newId('t');
    await repo.insertThread(w.trx, threadId, accountId);
    created = true;
  }
  await repo.addThreadRefs(w.trx, accountId, threadId, refs);
  return { threadId, created };
}
