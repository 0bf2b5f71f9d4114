import type { Envelope } from './envelope.ts';
/**
 * What ingest learns from a raw RFC 5322 message. Everything here is derived from the raw bytes,
 * which are stored unchanged; offsets index into those exact bytes so IMAP can serve
 * BODY[1.2.MIME] and friends without re-parsing.
 */

export interface EmailAddress {
  /** Decoded display name (RFC 2047 words decoded), or null when absent. */
  name: string | null;
  /** addr-spec as written (local@domain); empty string for a group marker or unparsable entry. */
  email: string;
}

/** One node of the MIME tree. All offsets are byte offsets into the raw message. */
export interface MimePart {
  /** IMAP part number: "" for the root message, "1", "1.2", … (RFC 9051 §6.4.5). */
  partId: string;
  /** Start of this part's header block (for the root: 0). */
  headerStart: number;
  /** End of the header block, including the blank line separating it from the body. */
  headerEnd: number;
  /** First byte of the body (== headerEnd). */
  bodyStart: number;
  /** One past the last body byte (excludes the CRLF that precedes the next boundary). */
  bodyEnd: number;
  /** Lower-cased type/subtype, defaulting per RFC 2045/2046 (text/plain, or message/rfc822 in multipart/digest). */
  type: string;
  /** Content-Type parameters, names lower-cased, values decoded (RFC 2231 continuations joined). */
  params: Record<string, string>;
  /** Lower-cased Content-Transfer-Encoding, default "7bit". */
  encoding: string;
  /** Lower-cased disposition ("inline" | "attachment" | other) or null. */
  disposition: string | null;
  dispositionParams: Record<string, string>;
  /** Decoded file name from Content-Disposition filename or Content-Type name, or null. */
  filename: string | null;
  contentId: string | null;
  contentDescription: string | null;
  contentLanguage: string | null;
  contentLocation: string | null;
  contentMd5: string | null;
  /** Number of lines in the body (IMAP BODYSTRUCTURE needs it for text/* and message/rfc822). */
  lines: number;
  /** Children of multipart/*; for message/rfc822 a single child: the encapsulated message (partId same as this part). */
  children: MimePart[];
}

export interface Attachment {
  partId: string;
  filename: string | null;
  type: string;
  disposition: string | null;
  contentId: string | null;
  /** Size of the decoded content in bytes. */
  size: number;
}

export interface HeaderField {
  /** Name as written. */
  name: string;
  /** Raw value as written (unfolded is NOT applied; exact bytes after the colon, decoded as latin1/utf8 text). */
  raw: string;
}

export interface ParsedMessage {
  structure: MimePart;
  /** What IMAP's ENVELOPE shows, stored with the email. */
  envelope: Envelope;
  /** The top-level header fields in order. */
  headers: HeaderField[];
  subject: string | null;
  from: EmailAddress[];
  sender: EmailAddress[];
  replyTo: EmailAddress[];
  to: EmailAddress[];
  cc: EmailAddress[];
  bcc: EmailAddress[];
  /** Message-ID without angle brackets, or null. */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** Date header as epoch milliseconds, or null when absent/unparsable. */
  sentAt: number | null;
  /** Plain text body (decoded to UTF-8) of the first text/plain body part, or null. */
  text: string | null;
  /** HTML body (decoded to UTF-8) of the first text/html body part, or null. */
  html: string | null;
  /** Up to 256 characters of whitespace-collapsed text for list views. */
  preview: string;
  attachments: Attachment[];
  /** Text for the full-text index: body text (html converted to text), bounded in size. */
  searchText: string;
  /** Set when the message is structurally broken; the message is still stored and served raw. */
  parseError: string | null;
}
