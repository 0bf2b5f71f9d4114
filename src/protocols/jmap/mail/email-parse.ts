import { parseMessage } from '../../../mime/parse.ts';
import type { ParsedMessage } from '../../../mime/types.ts';
import type { EmailRecord } from '../../../services/mail/messages.ts';
import { checkIds, readBoolean, readOptionalInt, readOptionalStringArray, requireAccount, resolveCreationId } from '../core/index.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { MAX_IDS } from './common.ts';
import { ALL_EMAIL_PROPERTIES, bodyOptions, emailObject } from './email-view.ts';
import { parseHeaderProperty } from './header-forms.ts';
import { parsedColumns } from '../../../services/mail/prepared-message.ts';

/** Email/parse (RFC 8621 §4.9): blobs rendered as Email objects without storing anything. */

const DEFAULT_PROPERTIES = [
  'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt',
  'hasAttachment', 'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments',
];
// A parsed blob is in no account's mailboxes, so these have no value (§4.9).
const UNSTORED = { id: null, mailboxIds: null, keywords: null, receivedAt: null, threadId: null };

/** The same row ingest would write, so the one Email renderer serves stored and parsed messages. */
function syntheticRecord(blobKey: string, raw: Buffer, p: ParsedMessage): EmailRecord {
  return {
    id: '',
    account_id: '',
    blob_id: blobKey,
    thread_id: '',
    size: raw.length,
    received_at: 0,
    ...parsedColumns(p),
    keywords: '[]',
    seen: 0,
    flagged: 0,
    created_modseq: 0,
    updated_modseq: 0,
    mailboxIds: [],
  };
}

export async function emailParse(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const blobIds = checkIds(args.blobIds, MAX_IDS, 'blobIds');
  if (!blobIds) throw new MethodError('invalidArguments', 'blobIds is required');
  const properties = readOptionalStringArray(args, 'properties') ?? DEFAULT_PROPERTIES;
  for (const p of properties) {
    if (!ALL_EMAIL_PROPERTIES.includes(p) && !parseHeaderProperty(p)) throw new MethodError('invalidArguments', `unknown or unsupported property ${p}`);
  }
  const body = bodyOptions(
    readOptionalStringArray(args, 'bodyProperties'),
    readBoolean(args, 'fetchTextBodyValues', false),
    readBoolean(args, 'fetchHTMLBodyValues', false),
    readBoolean(args, 'fetchAllBodyValues', false),
    readOptionalInt(args, 'maxBodyValueBytes', { min: 0 }) ?? 0,
  );
  const parsed: Record<string, unknown> = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const requested of blobIds) {
    let blob: { content: Buffer; type: string | null };
    try {
      blob = await ctx.services.blobs.read(accountId, resolveCreationId(requested, ctx));
    } catch {
      notFound.push(requested);
      continue;
    }
    // A message must at least have a header field; arbitrary bytes are not an email.
    const message = parseMessage(blob.content);
    if (message.headers.length === 0 || message.parseError?.startsWith('unparsable')) {
      notParsable.push(requested);
      continue;
    }
    const rec = syntheticRecord(requested.slice(1), blob.content, message);
    const email = emailObject(rec, properties, blob.content, body);
    for (const [k, v] of Object.entries(UNSTORED)) if (properties.includes(k)) email[k] = v;
    if (properties.includes('blobId')) email.blobId = requested;
    if (!properties.includes('id')) delete email.id;
    parsed[requested] = email;
  }
  // RFC 8621 §4.9: each is null when it would be empty.
  const orNull = <T extends object>(v: T) => (Object.keys(v).length ? v : null);
  return { accountId, parsed: orNull(parsed), notParsable: orNull(notParsable), notFound: orNull(notFound) };
}
