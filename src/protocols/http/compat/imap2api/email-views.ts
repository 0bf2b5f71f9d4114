import type { PoolEmail, PoolEmailWithBodies } from '../../../../services/mail/pool-mail.ts';

// The shapes of the seed's examples, field for field and in its order.

const angled = (id: string | null | undefined) => (id ? `<${id}>` : null);
const folder = (e: PoolEmail) => e.folders[0] ?? '';

function common(e: PoolEmail) {
  return {
    id: e.num,
    subject: e.subject ?? '',
    sender: e.from?.email ?? '',
    recipient: e.to.map((a) => a.email).join(', '),
    // When the message arrived (ADR 0011): the Date header may be missing or made up.
    date: e.receivedAt,
  };
}

export const listItem = (e: PoolEmail) => {
  const { id, ...rest } = common(e);
  return { id, message_id: angled(e.messageId), ...rest, folder: folder(e), thread_id: e.threadId, thread_count: e.threadSize };
};

export const threadItem = (e: PoolEmail) => ({ ...common(e), folder: folder(e), thread_id: e.threadId, thread_count: e.threadSize });

export const threadEmail = (e: PoolEmailWithBodies) => ({ ...common(e), body_text: e.text ?? '', body_html: e.html ?? '', folder: folder(e) });

export function emailDetail(e: PoolEmailWithBodies, others: PoolEmailWithBodies[]) {
  const { id, ...rest } = common(e);
  return {
    id,
    message_id: angled(e.messageId),
    ...rest,
    body_text: e.text ?? '',
    body_html: e.html ?? '',
    folder: folder(e),
    // Gannet keeps no row timestamps for emails: both are the arrival time (ADR 0011).
    created_at: e.receivedAt,
    updated_at: e.receivedAt,
    thread_id: e.threadId,
    in_reply_to: angled(e.inReplyTo[0]),
    thread_emails: others.map(threadEmail),
  };
}
