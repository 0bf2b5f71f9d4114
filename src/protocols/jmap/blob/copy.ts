import { ServiceError } from '../../../services/errors.ts';
import { readId, readStringArray, requireAccount } from '../core/index.ts';
import { setError } from '../mail/set-errors.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';

/**
 * Blob/copy (RFC 8620 §6.3). Each user has one account, so a real copy needs a second account
 * the principal may use; the checks below still give every refused call the RFC's error.
 */
export async function blobCopy(args: Args, ctx: MethodContext): Promise<Args> {
  const fromAccountId = readId(args, 'fromAccountId');
  if (!ctx.accountIds.has(fromAccountId)) throw new MethodError('fromAccountNotFound', `no account ${fromAccountId} for this user`);
  const accountId = requireAccount(args, ctx);
  // Copying within one account would be a no-op that hands back the same ids (RFC 8620 §5.4 requires distinct accounts for /copy).
  if (accountId === fromAccountId) throw new MethodError('invalidArguments', 'fromAccountId and accountId must differ');
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
