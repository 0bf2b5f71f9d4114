import { baseSubject } from './base-subject.ts';
import { casefold } from './collation.ts';
import { bySentDate } from './sent-date.ts';

export { threadReferences } from './thread-references.ts';

export interface ThreadMessage {
  uid: number;
  /** Epoch ms. */
  internalDate: number;
  /** The Date header in epoch ms, or null when missing or unparsable. */
  sentDate: number | null;
  /** Decoded (RFC 2047) as stored. */
  subject: string | null;
  /** Message-IDs without angle brackets. */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
}

/** One message of a thread, or (uid null) a dummy standing for a parent that is not there. */
export interface ThreadNode {
  uid: number | null;
  children: ThreadNode[];
}

/**
 * ORDEREDSUBJECT (RFC 5256 §BASE.6.4.THREAD): one thread per base subject, its earliest message
 * at the root and every other one a child of it, threads in the order of their first messages.
 */
export function threadOrderedSubject(messages: ThreadMessage[]): ThreadNode[] {
  const threads = new Map<string, ThreadMessage[]>();
  for (const m of [...messages].sort(bySentDate)) {
    const subject = casefold(baseSubject(m.subject));
    const thread = threads.get(subject);
    if (thread) thread.push(m);
    else threads.set(subject, [m]);
  }
  // A Map keeps the order of insertion: each thread went in with its earliest message.
  return [...threads.values()].map(([first, ...rest]) => ({ uid: first.uid, children: rest.map((m) => ({ uid: m.uid, children: [] })) }));
}
