import { isMessageType } from '../../../mime/content-type.ts';
import type { MimePart } from '../../../mime/types.ts';
import type { ImapData } from '../data.ts';
import { contentFields, type ContentFields } from './content-fields.ts';
import { envelope } from './envelope.ts';
import { envelopeOf } from '../../../mime/envelope.ts';
import type { MediaType, Param } from './params.ts';

const CHARSET = Buffer.from('charset');
const US_ASCII = Buffer.from('us-ascii');
const SEVEN_BIT = Buffer.from('7bit');

// RFC 3501 §9 body-type-mpart needs at least one body; a multipart left without parts (the part
// limit reached) lists an empty text part, as Dovecot does.
const EMPTY_TEXT: ImapData[] = ['text', 'plain', ['charset', 'us-ascii'], null, null, '7bit', 0, 0];

const paramList = (params: Param[]): ImapData => (params.length === 0 ? null : params.flatMap((p) => [p.name, p.value]));

const split = (type: string): MediaType => {
  const slash = type.indexOf('/');
  return { type: Buffer.from(type.slice(0, slash)), subtype: Buffer.from(type.slice(slash + 1)), params: [] };
};

/**
 * The media type as the header writes it (case kept) when it is the type the MIME tree was built
 * from. Otherwise the tree's type, without parameters: when Content-Type is absent, or invalid
 * (RFC 2045 §5.2 then prescribes text/plain; charset=us-ascii), or names a multipart whose
 * delimiter never occurs, which the tree holds as one text part (the part BODY[1] serves).
 */
function mediaType(part: MimePart, fields: ContentFields): MediaType {
  const ct = fields.contentType;
  return ct && `${ct.type}/${ct.subtype}`.toLowerCase() === part.type ? ct : split(part.type);
}

/** Text parts without a charset are US-ASCII (RFC 2045 §5.2); the default is spelled out. */
function withDefaultCharset(params: Param[]): Param[] {
  const named = params.some((p) => /^charset\*?$/i.test(p.name.toString('latin1')));
  return named ? params : [...params, { name: CHARSET, value: US_ASCII }];
}

/**
 * A message that is plain US-ASCII text and nothing else. Media types, charsets and encodings
 * are case-insensitive (RFC 2045 §5.1, §6.1), and Dovecot writes such a message in the canonical
 * lower-case form whatever the header's case; so do we, so clients see one answer.
 */
function isPlainAscii(part: MimePart, fields: ContentFields, type: MediaType): boolean {
  const p = type.params;
  const charsetOnly = p.length === 0 || (p.length === 1 && /^charset$/i.test(p[0]!.name.toString()) && /^us-ascii$/i.test(p[0]!.value.toString('latin1')));
  return (
    part.type === 'text/plain' &&
    charsetOnly &&
    (fields.encoding === null || /^7bit$/i.test(fields.encoding.toString('latin1'))) &&
    [fields.id, fields.description, fields.md5, fields.disposition, fields.language, fields.location].every((v) => v === null)
  );
}

/** body-fld-dsp, body-fld-lang and body-fld-loc: the extension data every part ends with. */
function commonExtension(fields: ContentFields): ImapData[] {
  const d = fields.disposition;
  return [d ? [d.type, paramList(d.params)] : null, fields.language, fields.location];
}

function multipart(raw: Buffer, part: MimePart, fields: ContentFields, extended: boolean): ImapData[] {
  const { subtype, params } = mediaType(part, fields);
  const bodies = part.children.length > 0 ? part.children.map((child) => render(raw, child, extended, false)) : [extended ? [...EMPTY_TEXT, null, null, null, null] : EMPTY_TEXT];
  return extended ? [...bodies, subtype, paramList(params), ...commonExtension(fields)] : [...bodies, subtype];
}

/** What a non-multipart part is written as: its media type (with parameters) and encoding. */
function describe(part: MimePart, fields: ContentFields, isRoot: boolean): { type: MediaType; encoding: Buffer } {
  const type = mediaType(part, fields);
  const encoding = fields.encoding ?? SEVEN_BIT;
  if (isMessageType(part.type)) {
    // message/global is a message like message/rfc822 (RFC 9051 §9 media-message; Dovecot 2.3
    // predates that), written in lower case as Dovecot writes message/rfc822. Without a message
    // inside (the tree parses none under a transfer encoding, which RFC 2046 §5.2.1 forbids on a
    // message) RFC 9051 §9 does not allow MESSAGE/RFC822 or GLOBAL as a basic part: it is opaque
    // data, as Dovecot writes a message/rfc822 part it cannot parse.
    const written = part.children.length > 0 ? part.type : 'application/octet-stream';
    return { type: { ...split(written), params: type.params }, encoding };
  }
  if (isRoot && isPlainAscii(part, fields, type)) return { type: split('text/plain'), encoding: SEVEN_BIT };
  return { type, encoding };
}

function single(raw: Buffer, part: MimePart, fields: ContentFields, extended: boolean, isRoot: boolean): ImapData[] {
  const { type, encoding } = describe(part, fields, isRoot);
  const isText = part.type.startsWith('text/');
  const out: ImapData[] = [
    type.type,
    type.subtype,
    paramList(isText ? withDefaultCharset(type.params) : type.params),
    fields.id,
    fields.description,
    encoding,
    part.bodyEnd - part.bodyStart,
  ];
  const inner = isMessageType(part.type) ? part.children[0] : undefined;
  if (inner) out.push(envelope(envelopeOf(raw, inner.headerStart, inner.headerEnd)), render(raw, inner, extended, true), part.lines);
  else if (isText) out.push(part.lines);
  if (extended) out.push(fields.md5, ...commonExtension(fields));
  return out;
}

function render(raw: Buffer, part: MimePart, extended: boolean, isMessage: boolean, isRoot = false): ImapData[] {
  const fields = contentFields(raw, part, isMessage);
  return part.type.startsWith('multipart/') ? multipart(raw, part, fields, extended) : single(raw, part, fields, extended, isRoot);
}

/**
 * BODYSTRUCTURE (extended) or BODY of a stored message (RFC 9051 §7.5.2, RFC 3501 §7.4.2),
 * following the MIME tree recorded at ingest so every part it lists is the part BODY[section]
 * serves. Strings are the header bytes as written; sizes and line counts are of the stored bytes.
 */
export function bodyStructure(raw: Buffer, root: MimePart, extended: boolean): ImapData {
  return render(raw, root, extended, true, true);
}
