import type { Attachment, HeaderField, MimePart, ParsedMessage } from './types.ts';
import { decodeWords, rawValue, unfold, type RawField } from './headers.ts';
import { parseStructure, countLines, plainPart } from './structure.ts';
import { envelopeOf } from './envelope.ts';
import { parseAddressList } from './addresses.ts';
import { parseMessageId, parseMessageIds } from './message-ids.ts';
import { parseDate } from './dates.ts';
import { selectBodies } from './bodies.ts';
import { decodePartBody, decodePartText } from './decode.ts';
import { htmlToText, makePreview } from './text.ts';

export { findPart, listPartIds, walkParts } from './parts.ts';

/** Upper bound of ParsedMessage.searchText, in characters. */
export const MAX_SEARCH_TEXT = 256 * 1024;

function toBuffer(raw: unknown): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return Buffer.alloc(0);
}

/**
 * Parses a raw RFC 5322 message. Never throws: broken structure yields the best tree that could be
 * recovered plus `parseError`; a total failure yields one text/plain part covering all bytes.
 */
export function parseMessage(input: Buffer): ParsedMessage {
  const raw = toBuffer(input);
  try {
    return parse(raw);
  } catch (err) {
    return fallback(raw, `unparsable message: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function fallback(raw: Buffer, reason: string): ParsedMessage {
  let lines = 0;
  try {
    lines = countLines(raw, 0, raw.length);
  } catch {
    // keep 0
  }
  const root = plainPart('', 0, 0, raw.length, 'text/plain', lines);
  return { ...emptyMessage(root), parseError: reason };
}

function emptyMessage(structure: MimePart): ParsedMessage {
  return {
    structure,
    envelope: [null, null, [], [], [], [], [], [], null, null],
    headers: [],
    subject: null,
    from: [],
    sender: [],
    replyTo: [],
    to: [],
    cc: [],
    bcc: [],
    messageId: null,
    inReplyTo: [],
    references: [],
    sentAt: null,
    text: null,
    html: null,
    preview: '',
    attachments: [],
    searchText: '',
    parseError: null,
  };
}

function parse(raw: Buffer): ParsedMessage {
  const { root, fields, error } = parseStructure(raw);
  const msg = emptyMessage(root);
  msg.parseError = error;
  msg.envelope = envelopeOf(raw, root.headerStart, root.headerEnd);
  readEnvelope(raw, fields, root.params['charset'], msg);
  try {
    readBodies(raw, msg);
  } catch (err) {
    msg.parseError ??= `body decoding failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  return msg;
}

function readEnvelope(raw: Buffer, fields: RawField[], hint: string | undefined, msg: ParsedMessage): void {
  const values = new Map<string, string[]>();
  const headers: HeaderField[] = [];
  for (const f of fields) {
    const value = rawValue(raw, f, hint);
    headers.push({ name: f.name, raw: value });
    const list = values.get(f.lowerName);
    if (list) list.push(value);
    else values.set(f.lowerName, [value]);
  }
  msg.headers = headers;
  const first = (name: string): string | null => {
    const v = values.get(name);
    return v ? unfold(v[0]!) : null;
  };
  // Duplicated address headers are merged rather than dropped: both lists got the message.
  const all = (name: string): string | null => {
    const v = values.get(name);
    return v ? v.map(unfold).join(', ') : null;
  };
  const subject = first('subject');
  msg.subject = subject === null ? null : decodeWords(subject).trim();
  msg.from = parseAddressList(first('from'));
  msg.sender = parseAddressList(first('sender'));
  msg.replyTo = parseAddressList(all('reply-to'));
  msg.to = parseAddressList(all('to'));
  msg.cc = parseAddressList(all('cc'));
  msg.bcc = parseAddressList(all('bcc'));
  msg.messageId = parseMessageId(first('message-id'));
  msg.inReplyTo = parseMessageIds(first('in-reply-to'));
  msg.references = parseMessageIds(all('references'));
  msg.sentAt = parseDate(first('date'));
}

function isLeaf(part: MimePart): boolean {
  return !part.type.startsWith('multipart/');
}

/** Leaves for attachment purposes: multiparts are descended, message/rfc822 parts are not. */
function collectLeaves(part: MimePart, out: MimePart[]): void {
  if (!isLeaf(part)) {
    for (const c of part.children) collectLeaves(c, out);
  } else {
    out.push(part);
  }
}

function decodedSize(raw: Buffer, part: MimePart): number {
  // an encapsulated message (with a parsed child) is stored unencoded
  if (part.children.length > 0 || (part.encoding !== 'base64' && part.encoding !== 'quoted-printable')) {
    return Math.max(0, part.bodyEnd - part.bodyStart);
  }
  return decodePartBody(raw, part).length;
}

function readBodies(raw: Buffer, msg: ParsedMessage): void {
  const root = msg.structure;
  const { textBody, htmlBody, attachments: jmapAttachments } = selectBodies(root);
  const jmapAttachment = new Set(jmapAttachments);
  const textPart = textBody.find((p) => p.type === 'text/plain') ?? null;
  const htmlPart = htmlBody.find((p) => p.type === 'text/html') ?? null;

  const decoded = new Map<MimePart, string>();
  const textOf = (p: MimePart): string => {
    let s = decoded.get(p);
    if (s === undefined) {
      s = decodePartText(raw, p);
      decoded.set(p, s);
    }
    return s;
  };
  const rendered = new Map<MimePart, string>();
  const renderedOf = (p: MimePart): string => {
    let s = rendered.get(p);
    if (s === undefined) {
      s = p.type === 'text/html' ? htmlToText(textOf(p)) : textOf(p);
      rendered.set(p, s);
    }
    return s;
  };

  msg.text = textPart ? textOf(textPart) : null;
  msg.html = htmlPart ? textOf(htmlPart) : null;

  const leaves: MimePart[] = [];
  collectLeaves(root, leaves);
  for (const p of leaves) {
    if (p === textPart || p === htmlPart) continue;
    // Text parts are attachments only when marked or named as such, or when JMAP would not show
    // them as body (e.g. a later text part of multipart/related).
    const isBodyType = p.type === 'text/plain' || p.type === 'text/html';
    if (isBodyType && p.disposition !== 'attachment' && p.filename === null && !jmapAttachment.has(p)) continue;
    msg.attachments.push({
      // a non-multipart message's only body part is "1" in IMAP terms
      partId: p === root ? '1' : p.partId,
      filename: p.filename,
      type: p.type,
      disposition: p.disposition,
      contentId: p.contentId,
      size: decodedSize(raw, p),
    } satisfies Attachment);
  }

  // Text for search and preview: the text body parts in order, HTML ones rendered to text.
  const names = msg.attachments
    .map((a) => a.filename)
    .filter((n): n is string => !!n)
    .join('\n')
    .slice(0, MAX_SEARCH_TEXT / 4);
  const budget = Math.max(0, MAX_SEARCH_TEXT - names.length - 1);
  const pieces: string[] = [];
  let used = 0;
  for (const p of textBody) {
    if (used >= budget) break;
    if (p.type !== 'text/plain' && p.type !== 'text/html') continue;
    const t = renderedOf(p);
    if (!t) continue;
    const piece = t.length > budget - used ? t.slice(0, budget - used) : t;
    pieces.push(piece);
    used += piece.length + 1;
  }
  if (pieces.length === 0 && htmlPart) pieces.push(renderedOf(htmlPart).slice(0, budget));
  const body = pieces.join('\n');
  msg.searchText = names ? (body ? body + '\n' + names : names) : body;

  let preview = msg.text ? makePreview(msg.text) : '';
  if (!preview && htmlPart) preview = makePreview(renderedOf(htmlPart));
  if (!preview && pieces.length) preview = makePreview(body);
  msg.preview = preview;
}
