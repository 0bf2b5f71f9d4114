import type { ParsedMessage } from '../../mime/types.ts';
import type { WriteContext } from '../../store/changes.ts';
import { mailRepo as repo } from '../../store/repos/mail.ts';
import { newId } from '../../util/ids.ts';
import type { PreparedMessage } from './prepared-message.ts';

const SUBJECT_WINDOW_MS = 30 * 24 * 3600 * 1000;
const MAX_REFS = 50;

/** The Message-IDs that tie a message to its conversation: its own, In-Reply-To and References. */
export function threadRefs(parsed: ParsedMessage): string[] {
  const refs = [parsed.messageId, ...parsed.inReplyTo, ...parsed.references.slice(-MAX_REFS)]
    .filter((r): r is string => !!r && r.length <= 998 && !r.includes('\0'))
    .map((r) => r.toLowerCase());
  return [...new Set(refs)];
}

export interface ThreadAssignment {
  threadId: string;
  created: boolean;
}

/**
 * Finds or creates the thread of each new email, in order, as if they arrived one by one: any
 * shared Message-ID reference joins a thread; failing that, a reply or forward joins the latest
 * thread with the same base subject (RFC 5256's fallback) from the last 30 days. An email of
 * the batch is found by the ones after it, so one query per batch looks up the references.
 */
export async function assignThreads(w: WriteContext, accountId: string, emails: (PreparedMessage & { receivedAt: number })[]): Promise<ThreadAssignment[]> {
  const threadOf = await repo.threadsForRefs(w.trx, accountId, [...new Set(emails.flatMap((e) => e.refs))]);
  // Earlier emails of the batch, which the subject fallback's query cannot see yet.
  const bySubject = new Map<string, { threadId: string; receivedAt: number }[]>();
  const newRefs: { ref: string; thread_id: string }[] = [];
  const newThreads: string[] = [];
  const out: ThreadAssignment[] = [];
  for (const { refs, reply, columns, receivedAt } of emails) {
    let threadId = refs.map((r) => threadOf.get(r)).find((t) => t !== undefined);
    const subjectNorm = columns.subject_norm;
    if (!threadId && subjectNorm && reply) {
      const since = receivedAt - SUBJECT_WINDOW_MS;
      const stored = await repo.threadForSubject(w.trx, accountId, subjectNorm, since);
      const batched = (bySubject.get(subjectNorm) ?? []).filter((c) => c.receivedAt >= since).sort((a, b) => b.receivedAt - a.receivedAt)[0];
      // The latest of the stored one and those earlier in this batch.
      threadId = batched && (!stored || batched.receivedAt >= Number(stored.received_at)) ? batched.threadId : stored?.thread_id;
    }
    const created = !threadId;
    if (!threadId) {
      threadId = newId('t');
      newThreads.push(threadId);
    }
    for (const ref of refs) {
      if (threadOf.has(ref)) continue;
      threadOf.set(ref, threadId);
      newRefs.push({ ref, thread_id: threadId });
    }
    if (subjectNorm) {
      const list = bySubject.get(subjectNorm) ?? [];
      list.push({ threadId, receivedAt });
      bySubject.set(subjectNorm, list);
    }
    out.push({ threadId, created });
  }
  await repo.insertThreads(w.trx, accountId, newThreads);
  await repo.addThreadRefs(w.trx, accountId, newRefs);
  return out;
}
