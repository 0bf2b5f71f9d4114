import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { parseMessageId, parseMessageIds } from '../../mime/message-ids.ts';
import { decodeWords, findField, rawValue, unfold } from '../../mime/headers.ts';
import { htmlToText } from '../../mime/text.ts';
import type { VacationResponseRow } from '../../store/db/schema.ts';
import type { Subject } from './rules.ts';

const DEFAULT_TEXT = 'I am away and will read your message when I am back.';

export interface Reply {
  from: { name: string; address: string };
  to: string;
  settings: VacationResponseRow;
  hostname: string;
}

/**
 * The automatic reply (RFC 3834 §3): addressed to the envelope sender only, "Auto:" subject
 * unless the user chose one, threaded to the message, marked Auto-Submitted: auto-replied, and
 * carrying nothing of the original but its subject.
 */
export async function composeReply(s: Subject, r: Reply): Promise<Buffer> {
  const field = (name: string) => {
    const f = findField(s.fields, name);
    return f ? unfold(rawValue(s.raw, f)) : null;
  };
  const original = decodeWords(field('subject') ?? '');
  const messageId = parseMessageId(field('message-id'));
  // RFC 5322 §3.6.4; a long chain is cut to its recent end, as the original's ids are all that matter.
  const refs = parseMessageIds(field('references')).slice(-20);
  const { text_body: text, html_body: html } = r.settings;
  const composer = new MailComposer({
    from: r.from,
    to: r.to,
    subject: r.settings.subject ?? `Auto: ${original}`.trim(),
    inReplyTo: messageId ? `<${messageId}>` : undefined,
    references: messageId ? [...refs, messageId].map((id) => `<${id}>`).join(' ') : undefined,
    messageId: `<vacation.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}@${r.hostname}>`,
    date: new Date(),
    text: text ?? (html !== null ? htmlToText(html) : DEFAULT_TEXT),
    html: html ?? undefined,
    headers: { 'Auto-Submitted': 'auto-replied' },
  });
  return composer.compile().build();
}
