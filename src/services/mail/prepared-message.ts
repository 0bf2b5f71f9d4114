import { headerTexts } from '../../mime/header-text.ts';
import { parseMessage } from '../../mime/parse.ts';
import { storedStructure } from '../../mime/stored-structure.ts';
import { isReplyOrForward, normalizeSubject } from '../../mime/thread-keys.ts';
import type { ParsedMessage } from '../../mime/types.ts';
import { headerIndexTerms } from '../../store/search/header-terms.ts';
import { addressText, type SearchDocument } from '../../store/search/types.ts';
import { threadRefs } from './threading.ts';

// PostgreSQL text cannot hold NUL; parsed fields of broken mail sometimes do. (JSON columns escape it.)
const text = <T extends string | null>(s: T): T => (s === null ? s : (s.replace(/\0/g, '') as T));

/** The columns of an email row that come from parsing its message, ready for either backend. */
export function parsedColumns(p: ParsedMessage) {
  return {
    sent_at: p.sentAt,
    message_id: text(p.messageId),
    subject: text(p.subject),
    subject_norm: text(normalizeSubject(p.subject)),
    from_json: JSON.stringify(p.from),
    to_json: JSON.stringify(p.to),
    cc_json: JSON.stringify(p.cc),
    bcc_json: JSON.stringify(p.bcc),
    reply_to_json: JSON.stringify(p.replyTo),
    sender_json: JSON.stringify(p.sender),
    in_reply_to_json: JSON.stringify(p.inReplyTo),
    references_json: JSON.stringify(p.references),
    preview: text(p.preview),
    has_attachment: p.attachments.some((a) => a.disposition !== 'inline' || !a.contentId) ? 1 : 0,
    structure: storedStructure(p.structure),
    envelope: JSON.stringify(p.envelope),
    attachments: JSON.stringify(p.attachments),
    parse_error: text(p.parseError),
  };
}

/**
 * All that storing an email needs of its parsed message, as plain strings and numbers: derived
 * from the raw bytes alone, so a thread can make it (a mirror's sync prepares hundreds at a time
 * off the main thread) and hand it over for less than parsing again would cost.
 */
export interface PreparedMessage {
  columns: ReturnType<typeof parsedColumns>;
  /** The Message-IDs that tie it to its conversation. */
  refs: string[];
  /** Its subject marks a reply or forward (RFC 5256), which may join a thread by subject. */
  reply: boolean;
  search: Omit<SearchDocument, 'num' | 'accountId'>;
}

export function prepareMessage(raw: Buffer): PreparedMessage {
  const p = parseMessage(raw);
  return {
    columns: parsedColumns(p),
    refs: threadRefs(p),
    reply: isReplyOrForward(p.subject),
    search: {
      subject: text(p.subject ?? ''),
      from: addressText([...p.from, ...p.sender]),
      to: addressText(p.to),
      cc: addressText(p.cc),
      bcc: addressText(p.bcc),
      body: text(p.searchText),
      headers: headerIndexTerms(headerTexts(raw, p.structure)),
    },
  };
}
