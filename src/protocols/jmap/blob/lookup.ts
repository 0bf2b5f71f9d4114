import { BLOB_LOOKUP_TYPES } from '../core/capabilities.ts';
import { checkIds, readStringArray, requireAccount } from '../core/index.ts';
import { MAX_IDS, VISIBLE } from '../mail/common.ts';
import { MAIL, MethodError, type Args, type MethodContext } from '../types.ts';

const BLOB_ID = /^[BM][0-9a-f]{64}(?:_\d+(?:-\d+)*)?$/;

/**
 * Blob/lookup (RFC 9404 §4.3). A message blob is referenced by the emails stored in it, and
 * through them by their mailboxes and threads; uploads are referenced by nothing. Blobs the
 * account cannot see get empty lists, as the RFC requires, so existence does not leak.
 */
export async function blobLookup(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const typeNames = readStringArray(args, 'typeNames');
  for (const t of typeNames) {
    if (!BLOB_LOOKUP_TYPES.includes(t) || !ctx.using.has(MAIL)) throw new MethodError('unknownDataType', `${t} is not a data type this request can look blobs up in`);
  }
  const ids = checkIds(args.ids, MAX_IDS);
  if (ids === null) throw new MethodError('invalidArguments', 'ids is required');
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    // Not one of this server's blob id forms: no such blob can exist anywhere.
    if (!BLOB_ID.test(id)) {
      notFound.push(id);
      continue;
    }
    const emailIds = await ctx.services.blobs.emailIdsUsing(accountId, id);
    const emails = emailIds.length ? await ctx.services.messages.records(accountId, emailIds, VISIBLE) : [];
    const found: Record<string, string[]> = {
      Email: emails.map((e) => e.id),
      Thread: [...new Set(emails.map((e) => e.thread_id))],
      Mailbox: [...new Set(emails.flatMap((e) => e.mailboxIds))],
    };
    list.push({ id, matchedIds: Object.fromEntries(typeNames.map((t) => [t, found[t]])) });
  }
  return { accountId, list, notFound };
}
