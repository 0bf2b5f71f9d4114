import { ServiceError } from '../../../services/errors.ts';
import { readStringArray, requireCopyAccounts } from '../core/index.ts';
import { setError } from '../mail/set-errors.ts';
import type { Args, MethodContext } from '../types.ts';

/** Blob/copy (RFC 8620 §6.3): blobs between two accounts of the principal's pool. */
export async function blobCopy(args: Args, ctx: MethodContext): Promise<Args> {
  const { fromAccountId, accountId } = requireCopyAccounts(args, ctx);
  const blobIds = readStringArray(args, 'blobIds');
  const copied: Record<string, string> = {};
  const notCopied: Record<string, unknown> = {};
  for (const blobId of blobIds) {
    try {
      const { content, type } = await ctx.services.blobs.read(fromAccountId, blobId);
      copied[blobId] = (await ctx.services.blobs.upload(accountId, content, type ?? 'application/octet-stream')).blobId;
    } catch (err) {
      notCopied[blobId] = err instanceof ServiceError && err.code === 'notFound' ? { type: 'notFound', description: `blob ${blobId} not found` } : setError(err);
    }
  }
  return {
    fromAccountId,
    accountId,
    copied: Object.keys(copied).length ? copied : null,
    notCopied: Object.keys(notCopied).length ? notCopied : null,
  };
}
