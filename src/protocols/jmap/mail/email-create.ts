import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';
import type MimeNode from 'nodemailer/lib/mime-node/index.js';
import { isPlainObject } from '../core/request.ts';
import { resolveCreationId } from '../core/index.ts';
import { MethodError, type MethodContext } from '../types.ts';
import { emailBlobId } from './email-view.ts';
import { parseHeaderProperty } from './header-forms.ts';
import { refuseDeletedKeyword } from './common.ts';

/** Email/set create (RFC 8621 §4.6): structured properties composed into MIME, stored through ingest. */

const ADDRESS_PROPS = ['from', 'to', 'cc', 'bcc', 'replyTo', 'sender'] as const;
const ALLOWED = new Set<string>([
  'mailboxIds', 'keywords', 'receivedAt', ...ADDRESS_PROPS, 'subject', 'sentAt', 'messageId', 'inReplyTo', 'references',
  'headers', 'textBody', 'htmlBody', 'attachments', 'bodyValues', 'bodyStructure',
]);

const bad = (property: string, description: string) => new MethodError('invalidProperties', description, { properties: [property] });

function addresses(v: unknown, prop: string): Mail.Address[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(prop, `${prop} must be an array of EmailAddress`);
  return v.map((a) => {
    if (!isPlainObject(a) || typeof a.email !== 'string' || (a.name !== undefined && a.name !== null && typeof a.name !== 'string')) throw bad(prop, `${prop} must be an array of EmailAddress`);
    return { name: (a.name as string | null) ?? '', address: a.email };
  });
}

function idList(v: unknown, prop: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0 && !/[<>\s]/.test(s))) throw bad(prop, `${prop} must be an array of message ids`);
  return v.map((s) => `<${s}>`);
}

function idSet(v: unknown, prop: string, ctx: MethodContext): string[] {
  if (!isPlainObject(v) || !Object.values(v).every((x) => x === true)) throw bad(prop, `${prop} must map ids to true`);
  return Object.keys(v).map((id) => (prop === 'mailboxIds' ? resolveCreationId(id, ctx, 'invalidProperties') : id));
}

function date(e: Record<string, unknown>, prop: string): number | undefined {
  if (e[prop] === undefined || e[prop] === null) return undefined;
  const ms = typeof e[prop] === 'string' ? Date.parse(e[prop] as string) : NaN;
  if (Number.isNaN(ms)) throw bad(prop, `${prop} must be a date`);
  return ms;
}

/** Where an email goes and how it is marked: what Email/set create and Email/copy both take. */
export function readPlacement(e: Record<string, unknown>, ctx: MethodContext): { mailboxIds: string[]; keywords?: string[]; receivedAt?: number } {
  const mailboxIds = idSet(e.mailboxIds, 'mailboxIds', ctx);
  if (mailboxIds.length === 0) throw bad('mailboxIds', 'an email must be in at least one mailbox');
  const keywords = e.keywords === undefined || e.keywords === null ? undefined : idSet(e.keywords, 'keywords', ctx);
  refuseDeletedKeyword(keywords ?? [], 'keywords');
  return { mailboxIds, keywords, receivedAt: date(e, 'receivedAt') };
}

/** The text bodyValues holds for a partId (RFC 8621 §4.6: never truncated or with an encoding problem). */
function bodyValue(e: Record<string, unknown>, partId: string): string {
  const values = isPlainObject(e.bodyValues) ? e.bodyValues : {};
  const value = values[partId] as { value?: unknown; isTruncated?: unknown; isEncodingProblem?: unknown } | undefined;
  if (!isPlainObject(value) || typeof value.value !== 'string') throw bad('bodyValues', `bodyValues has no value for part ${partId}`);
  if (value.isTruncated === true || value.isEncodingProblem === true) throw bad('bodyValues', 'a body value cannot be truncated or have an encoding problem');
  return value.value;
}

/** The text of a textBody/htmlBody part, taken from bodyValues by its partId. */
function bodyText(e: Record<string, unknown>, prop: 'textBody' | 'htmlBody', type: string): string | undefined {
  const v = e[prop];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 1) throw bad(prop, `${prop} must hold at most one part`);
  if (v.length === 0) return undefined;
  const part = v[0] as Record<string, unknown>;
  if (!isPlainObject(part) || typeof part.partId !== 'string' || (part.type !== undefined && part.type !== type) || part.blobId) {
    throw bad(prop, `${prop} must be one ${type} part with a partId from bodyValues`);
  }
  return bodyValue(e, part.partId);
}

async function readBlob(blobId: string, accountId: string, ctx: MethodContext): Promise<{ content: Buffer; type: string | null }> {
  try {
    return await ctx.services.blobs.read(accountId, resolveCreationId(blobId, ctx));
  } catch {
    throw new MethodError('blobNotFound', `blob ${blobId} not found`, { notFound: [blobId] });
  }
}

async function attachments(e: Record<string, unknown>, accountId: string, ctx: MethodContext): Promise<Mail.Attachment[]> {
  const v = e.attachments;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad('attachments', 'attachments must be an array of EmailBodyPart');
  const out: Mail.Attachment[] = [];
  for (const part of v as Record<string, unknown>[]) {
    if (!isPlainObject(part) || typeof part.blobId !== 'string') throw bad('attachments', 'each attachment needs a blobId');
    const blob = await readBlob(part.blobId, accountId, ctx);
    out.push({
      content: blob.content,
      filename: typeof part.name === 'string' ? part.name : false,
      contentType: typeof part.type === 'string' ? part.type : (blob.type ?? 'application/octet-stream'),
      contentDisposition: part.disposition === 'inline' ? 'inline' : 'attachment',
      ...(typeof part.cid === 'string' ? { cid: part.cid } : {}),
    });
  }
  return out;
}

/** Extra header fields: the `headers` list and `header:{name}[:asRaw|:asText]` properties. */
function extraHeaders(e: Record<string, unknown>): Mail.Headers {
  const out: Record<string, string | { prepared: boolean; value: string }> = {};
  // The composer takes one value per field name, so a repeated field keeps its last value.
  const add = (key: string, value: string, prepared: boolean) => (out[key] = prepared ? { prepared, value } : value);
  if (e.headers !== undefined && e.headers !== null) {
    if (!Array.isArray(e.headers)) throw bad('headers', 'headers must be an array of EmailHeader');
    for (const h of e.headers) {
      if (!isPlainObject(h) || typeof h.name !== 'string' || typeof h.value !== 'string') throw bad('headers', 'headers must be an array of EmailHeader');
      add(h.name, h.value.trim(), true);
    }
  }
  for (const [k, v] of Object.entries(e)) {
    if (!k.startsWith('header:')) continue;
    const p = parseHeaderProperty(k);
    if (!p || p.all || (p.form !== 'Raw' && p.form !== 'Text') || typeof v !== 'string') throw bad(k, `${k} can be set only as a single Raw or Text value`);
    add(k.split(':')[1]!, p.form === 'Raw' ? v.trim() : v, p.form === 'Raw');
  }
  return out;
}

const PART_PROPS = new Set(['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location', 'subParts']);
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
// Deeper trees are not drafts anyone writes; the bound keeps the recursion small.
const MAX_PART_DEPTH = 16;

/** One EmailBodyPart of a bodyStructure (RFC 8621 §4.6) written into its MIME node, children first. */
async function writePart(node: MimeNode, raw: unknown, e: Record<string, unknown>, accountId: string, ctx: MethodContext, depth = 0): Promise<void> {
  const invalid = (why: string) => bad('bodyStructure', why);
  if (!isPlainObject(raw)) throw invalid('every part must be an EmailBodyPart object');
  if (depth > MAX_PART_DEPTH) throw invalid(`parts may nest at most ${MAX_PART_DEPTH} deep`);
  const part = raw;
  const unknown = Object.keys(part).filter((k) => !PART_PROPS.has(k) && !k.startsWith('header:'));
  if (unknown.length) throw invalid(`a part cannot have ${unknown.join(', ')}`);
  if (Object.keys(part).some((k) => /^header:content-transfer-encoding(:|$)/i.test(k))) throw invalid('the server chooses the Content-Transfer-Encoding');
  const given = typeof part.type === 'string' ? part.type.toLowerCase() : null;
  if (given !== null && !MEDIA_TYPE.test(given)) throw invalid(`${given} is not a media type`);
  if (given?.startsWith('multipart/')) {
    if (!Array.isArray(part.subParts) || part.partId !== undefined || part.blobId !== undefined) throw invalid(`a ${given} part has subParts and neither partId nor blobId`);
    node.setHeader('Content-Type', given);
    for (const sub of part.subParts) await writePart(node.createChild(''), sub, e, accountId, ctx, depth + 1);
  } else if (typeof part.partId === 'string' && part.blobId === undefined) {
    if (part.charset !== undefined || part.size !== undefined) throw invalid('a part given by partId has no charset or size: the server encodes its text');
    // Its content is text from bodyValues, so text/plain is the natural default.
    const type = given ?? 'text/plain';
    node.setHeader('Content-Type', type.startsWith('text/') ? `${type}; charset=utf-8` : type);
    node.setContent(bodyValue(e, part.partId));
  } else if (typeof part.blobId === 'string' && part.partId === undefined) {
    const blob = await readBlob(part.blobId, accountId, ctx);
    const type = given ?? blob.type ?? 'application/octet-stream';
    node.setHeader('Content-Type', typeof part.charset === 'string' ? mimeFuncs.buildHeaderValue({ value: type, params: { charset: part.charset } }) : type);
    node.setContent(blob.content);
  } else {
    throw invalid('a part is multipart with subParts, or has exactly one of partId and blobId');
  }
  const name = typeof part.name === 'string' ? part.name : null;
  const disposition = typeof part.disposition === 'string' ? part.disposition : name !== null ? 'attachment' : null;
  if (disposition) node.setHeader('Content-Disposition', mimeFuncs.buildHeaderValue({ value: disposition, params: name !== null ? { filename: name } : {} }));
  if (typeof part.cid === 'string') node.setHeader('Content-Id', `<${part.cid}>`);
  if (Array.isArray(part.language) && part.language.every((l) => typeof l === 'string')) node.setHeader('Content-Language', part.language.join(', '));
  if (typeof part.location === 'string') node.setHeader('Content-Location', part.location);
  node.addHeader(extraHeaders(part) as Record<string, string>);
}

/** Builds and stores one email; returns the server-set properties for `created`. */
export async function createEmail(e: Record<string, unknown>, accountId: string, ctx: MethodContext): Promise<Record<string, unknown>> {
  for (const k of Object.keys(e)) if (!ALLOWED.has(k) && !k.startsWith('header:')) throw bad(k, `${k} cannot be set on create`);
  const structured = e.bodyStructure !== undefined && e.bodyStructure !== null;
  if (structured && ['textBody', 'htmlBody', 'attachments'].some((k) => e[k] !== undefined && e[k] !== null)) {
    throw bad('bodyStructure', 'bodyStructure cannot be given with textBody, htmlBody or attachments');
  }
  const { mailboxIds, keywords, receivedAt } = readPlacement(e, ctx);
  if (e.subject !== undefined && e.subject !== null && typeof e.subject !== 'string') throw bad('subject', 'subject must be a string');
  const messageId = idList(e.messageId, 'messageId');
  if (messageId && messageId.length !== 1) throw bad('messageId', 'messageId must hold exactly one id');
  const sentAt = date(e, 'sentAt');
  const options: Mail.Options = {
    from: addresses(e.from, 'from')?.[0],
    sender: addresses(e.sender, 'sender')?.[0],
    to: addresses(e.to, 'to'),
    cc: addresses(e.cc, 'cc'),
    bcc: addresses(e.bcc, 'bcc'),
    replyTo: addresses(e.replyTo, 'replyTo'),
    subject: (e.subject as string | undefined) ?? undefined,
    date: new Date(sentAt ?? Date.now()),
    messageId: messageId?.[0],
    inReplyTo: idList(e.inReplyTo, 'inReplyTo')?.join(' '),
    references: idList(e.references, 'references'),
    text: bodyText(e, 'textBody', 'text/plain'),
    html: bodyText(e, 'htmlBody', 'text/html'),
    attachments: await attachments(e, accountId, ctx),
    headers: extraHeaders(e),
  };
  const node = new MailComposer(options).compile();
  // Drafts keep their Bcc; submission strips it when sending (RFC 8621 §7.5).
  node.keepBcc = true;
  // The composer made the headers and an empty body; a bodyStructure replaces that body.
  if (structured) await writePart(node, e.bodyStructure, e, accountId, ctx);
  const raw = await node.build();
  const stored = await ctx.services.ingest.ingest({ accountId, raw, mailboxIds, keywords, receivedAt }, 'jmap');
  return { id: stored.id, blobId: emailBlobId(stored.blobId), threadId: stored.threadId, size: stored.size };
}
