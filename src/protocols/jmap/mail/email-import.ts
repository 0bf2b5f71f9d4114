import { ServiceError } from '../../../services/errors.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { emailBlobId } from './email-view.ts';
import { setError } from './set-errors.ts';
import { readOptionalObject, requireAccount, resolveCreationId } from '../core/index.ts';
import { checkIfInState, refuseDeletedKeyword, stateOf } from './common.ts';

/** Email/import (RFC 8621 §4.8): uploaded raw messages into mailboxes, through the one ingest pipeline. */
export async function emailImport(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  const emails = readOptionalObject(args, 'emails');
  if (!emails) throw new MethodError('invalidArguments', 'emails is required');
  if (Object.keys(emails).length > 1000) throw new MethodError('requestTooLarge', 'at most 1000 emails per call');
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, unknown> = {};
  for (const [cid, value] of Object.entries(emails)) {
    try {
      const e = value as { blobId?: unknown; mailboxIds?: unknown; keywords?: unknown; receivedAt?: unknown };
      if (typeof e.blobId !== 'string') throw new ServiceError('invalid', 'blobId is required', [{ field: 'blobId', message: 'is required' }]);
      if (!e.mailboxIds || typeof e.mailboxIds !== 'object' || Object.keys(e.mailboxIds).length === 0) {
        throw new ServiceError('invalid', 'mailboxIds must name at least one mailbox', [{ field: 'mailboxIds', message: 'is required' }]);
      }
      const keywords = e.keywords && typeof e.keywords === 'object' ? Object.keys(e.keywords) : [];
      refuseDeletedKeyword(keywords, 'keywords');
      const receivedAt = typeof e.receivedAt === 'string' ? Date.parse(e.receivedAt) : undefined;
      if (receivedAt !== undefined && Number.isNaN(receivedAt)) throw new ServiceError('invalid', 'receivedAt is not a date', [{ field: 'receivedAt', message: 'is not a UTCDate' }]);
      let raw: Buffer;
      try {
        raw = (await ctx.services.blobs.read(accountId, resolveCreationId(e.blobId, ctx))).content;
      } catch {
        notCreated[cid] = { type: 'blobNotFound', notFound: [e.blobId] };
        continue;
      }
      const stored = await ctx.services.ingest.ingest(
        {
          accountId,
          raw,
          mailboxIds: Object.keys(e.mailboxIds).map((id) => resolveCreationId(id, ctx)),
          keywords,
          receivedAt,
        },
        'jmap',
      );
      ctx.createdIds.set(cid, stored.id);
      created[cid] = { id: stored.id, blobId: emailBlobId(stored.blobId), threadId: stored.threadId, size: stored.size };
    } catch (err) {
      notCreated[cid] = setError(err);
    }
  }
  return { accountId, oldState, newState: await stateOf(ctx, accountId), created, notCreated };
}
