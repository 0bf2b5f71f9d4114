import { selectBodies } from '../../../mime/bodies.ts';
import { decodePartText } from '../../../mime/decode.ts';
import type { EmailAddress, MimePart } from '../../../mime/types.ts';
import type { EmailRecord } from '../../../services/mail/messages.ts';
import { headerValue, parseHeaderProperty } from './header-forms.ts';
import { readStructure } from '../../../mime/stored-structure.ts';

export const DEFAULT_EMAIL_PROPERTIES = [
  'id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'messageId', 'inReplyTo', 'references',
  'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview',
  'bodyValues', 'textBody', 'htmlBody', 'attachments',
];
export const ALL_EMAIL_PROPERTIES = [...DEFAULT_EMAIL_PROPERTIES, 'bodyStructure', 'headers'];
const BODY_PROPERTIES = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location'];
/** Properties that need the raw message read from the blob store. */
export const RAW_PROPERTIES = new Set(['bodyValues', 'textBody', 'htmlBody', 'attachments', 'bodyStructure', 'headers']);

/** JMAP blob ids: the message is `M<sha256>`, a part `M<sha256>_<part-id with - for .>`. */
export const emailBlobId = (sha: string) => `M${sha}`;
const partBlobId = (sha: string, partId: string) => `M${sha}_${partId.replace(/\./g, '-')}`;

const list = (json: string): EmailAddress[] | null => {
  const l = JSON.parse(json) as EmailAddress[];
  return l.length ? l : null;
};
const ids = (json: string): string[] | null => {
  const l = JSON.parse(json) as string[];
  return l.length ? l : null;
};

export interface BodyOptions {
  properties: string[];
  fetchText: boolean;
  fetchHtml: boolean;
  fetchAll: boolean;
  maxBytes: number;
}

export function bodyOptions(properties: string[] | null, fetchText: boolean, fetchHtml: boolean, fetchAll: boolean, maxBytes: number): BodyOptions {
  return { properties: properties ?? BODY_PROPERTIES, fetchText, fetchHtml, fetchAll, maxBytes };
}

function leafSize(part: MimePart): number {
  const encoded = part.bodyEnd - part.bodyStart;
  return part.encoding === 'base64' ? Math.floor((encoded * 3) / 4) : encoded;
}

function bodyPart(sha: string, part: MimePart, opts: BodyOptions, withSubParts: boolean): Record<string, unknown> {
  const multipart = part.type.startsWith('multipart/');
  const partId = multipart ? null : part.partId || '1';
  const all: Record<string, unknown> = {
    partId,
    blobId: partId ? partBlobId(sha, partId) : null,
    size: multipart ? 0 : leafSize(part),
    name: part.filename,
    type: part.type,
    charset: part.type.startsWith('text/') ? (part.params.charset ?? 'us-ascii') : (part.params.charset ?? null),
    disposition: part.disposition,
    cid: part.contentId,
    language: part.contentLanguage ? part.contentLanguage.split(/\s*,\s*/) : null,
    location: part.contentLocation,
  };
  const out: Record<string, unknown> = {};
  for (const p of opts.properties) if (p in all) out[p] = all[p];
  if (withSubParts && multipart) out.subParts = part.children.map((c) => bodyPart(sha, c, opts, true));
  return out;
}

function bodyValue(raw: Buffer, part: MimePart, maxBytes: number) {
  let value = decodePartText(raw, part);
  const isEncodingProblem = value.includes('\uFFFD');
  let isTruncated = false;
  if (maxBytes > 0 && Buffer.byteLength(value) > maxBytes) {
    value = Buffer.from(value).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
    isTruncated = true;
  }
  return { value, isEncodingProblem, isTruncated };
}

const STRUCTURE_PROPERTIES = new Set(['textBody', 'htmlBody', 'attachments', 'bodyStructure', 'bodyValues', 'headers']);

/** One Email object (RFC 8621 §4.1) with the requested properties. */
export function emailObject(rec: EmailRecord, properties: string[], raw: Buffer | null, body: BodyOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { id: rec.id };
  // List views ask for header fields only: the structure JSON is parsed just when a body property needs it.
  const needsStructure = raw !== null || properties.some((p) => STRUCTURE_PROPERTIES.has(p));
  const structure = needsStructure ? readStructure(rec.structure) : (null as unknown as MimePart);
  const selection = needsStructure ? selectBodies(structure) : null;
  for (const p of properties) {
    switch (p) {
      case 'id': break;
      case 'blobId': out.blobId = emailBlobId(rec.blob_id); break;
      case 'threadId': out.threadId = rec.thread_id; break;
      case 'mailboxIds': out.mailboxIds = Object.fromEntries(rec.mailboxIds.map((m) => [m, true])); break;
      case 'keywords': out.keywords = Object.fromEntries((JSON.parse(rec.keywords) as string[]).map((k) => [k, true])); break;
      case 'size': out.size = rec.size; break;
      case 'receivedAt': out.receivedAt = new Date(rec.received_at).toISOString().replace(/\.\d{3}Z$/, 'Z'); break;
      case 'messageId': out.messageId = rec.message_id ? [rec.message_id] : null; break;
      case 'inReplyTo': out.inReplyTo = ids(rec.in_reply_to_json); break;
      case 'references': out.references = ids(rec.references_json); break;
      case 'sender': out.sender = list(rec.sender_json); break;
      case 'from': out.from = list(rec.from_json); break;
      case 'to': out.to = list(rec.to_json); break;
      case 'cc': out.cc = list(rec.cc_json); break;
      case 'bcc': out.bcc = list(rec.bcc_json); break;
      case 'replyTo': out.replyTo = list(rec.reply_to_json); break;
      case 'subject': out.subject = rec.subject; break;
      case 'sentAt': out.sentAt = rec.sent_at === null ? null : new Date(rec.sent_at).toISOString().replace(/\.\d{3}Z$/, 'Z'); break;
      case 'hasAttachment': out.hasAttachment = rec.has_attachment === 1; break;
      case 'preview': out.preview = rec.preview; break;
      case 'bodyStructure': out.bodyStructure = bodyPart(rec.blob_id, structure, body, true); break;
      case 'textBody': out.textBody = selection!.textBody.map((x) => bodyPart(rec.blob_id, x, body, false)); break;
      case 'htmlBody': out.htmlBody = selection!.htmlBody.map((x) => bodyPart(rec.blob_id, x, body, false)); break;
      case 'attachments': out.attachments = selection!.attachments.map((x) => bodyPart(rec.blob_id, x, body, false)); break;
      case 'bodyValues': {
        const values: Record<string, unknown> = {};
        if (raw && selection) {
          const parts = new Map<string, MimePart>();
          const textual = (x: MimePart) => x.type.startsWith('text/');
          if (body.fetchText || body.fetchAll) for (const x of selection.textBody) if (textual(x)) parts.set(x.partId || '1', x);
          if (body.fetchHtml || body.fetchAll) for (const x of selection.htmlBody) if (textual(x)) parts.set(x.partId || '1', x);
          for (const [id, x] of parts) values[id] = bodyValue(raw, x, body.maxBytes);
        }
        out.bodyValues = values;
        break;
      }
      case 'headers': {
        const head = raw ? raw.subarray(0, structure.headerEnd).toString('latin1') : '';
        out.headers = head
          .replace(/\r?\n$/, '')
          .split(/\r?\n(?![ \t])/)
          .filter((l) => l.includes(':'))
          .map((l) => ({ name: l.slice(0, l.indexOf(':')), value: l.slice(l.indexOf(':') + 1) }));
        break;
      }
      default: {
        const header = parseHeaderProperty(p);
        if (header) out[p] = raw ? headerValue(raw, structure.headerEnd, header) : null;
      }
    }
  }
  return out;
}
