import type { EmailAddress } from '../../mime/types.ts';
import type { EmailRow, MailboxRow } from '../../store/db/schema.ts';
import { iso } from '../directory/views.ts';
import { parseKeywords } from './keywords.ts';

export interface MailboxView {
  id: string;
  name: string;
  /** Full path with `/` between levels, as IMAP will show it. */
  path: string;
  parentId: string | null;
  role: string | null;
  subscribed: boolean;
  sortOrder: number;
  total: number;
  unseen: number;
  size: number;
  uidValidity: number;
  uidNext: number;
}

export interface MessageSummary {
  id: string;
  threadId: string;
  mailboxIds: string[];
  subject: string | null;
  from: EmailAddress | null;
  to: EmailAddress[];
  cc: EmailAddress[];
  date: string | null;
  receivedAt: string;
  size: number;
  preview: string;
  keywords: string[];
  seen: boolean;
  flagged: boolean;
  hasAttachment: boolean;
}

export interface AttachmentView {
  id: string;
  filename: string | null;
  contentType: string;
  disposition: string | null;
  contentId: string | null;
  size: number;
}

export interface MessageDetail extends MessageSummary {
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  sender: EmailAddress[];
  replyTo: EmailAddress[];
  bcc: EmailAddress[];
  text: string | null;
  html: string | null;
  attachments: AttachmentView[];
  headers: { name: string; value: string }[];
  parseError: string | null;
}

export function mailboxView(row: MailboxRow, all: MailboxRow[]): MailboxView {
  const names: string[] = [];
  let cur: MailboxRow | undefined = row;
  for (let i = 0; cur && i < 64; i++) {
    names.unshift(cur.name);
    const parent: string = cur.parent_id;
    cur = parent ? all.find((m) => m.id === parent) : undefined;
  }
  return {
    id: row.id,
    name: row.name,
    path: names.join('/'),
    parentId: row.parent_id || null,
    role: row.role,
    subscribed: row.subscribed === 1,
    sortOrder: row.sort_order,
    total: row.message_count,
    unseen: row.unseen_count,
    size: row.size,
    uidValidity: row.uidvalidity,
    uidNext: row.uidnext,
  };
}

export function messageSummary(row: EmailRow, mailboxIds: string[]): MessageSummary {
  const keywords = parseKeywords(row.keywords);
  const from = JSON.parse(row.from_json) as EmailAddress[];
  return {
    id: row.id,
    threadId: row.thread_id,
    mailboxIds,
    subject: row.subject,
    from: from[0] ?? null,
    to: JSON.parse(row.to_json),
    cc: JSON.parse(row.cc_json),
    date: row.sent_at === null ? null : iso(row.sent_at),
    receivedAt: iso(row.received_at),
    size: row.size,
    preview: row.preview,
    keywords,
    seen: row.seen === 1,
    flagged: row.flagged === 1,
    hasAttachment: row.has_attachment === 1,
  };
}

export const attachmentId = (partId: string) => `p${partId}`;
export const partIdOf = (attachmentId: string) => (/^p\d+(\.\d+)*$/.test(attachmentId) ? attachmentId.slice(1) : null);
