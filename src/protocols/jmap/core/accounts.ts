import { MethodError, type Args, type MethodContext } from '../types.ts';
import { readId } from './args.ts';

/** The accountId argument, checked against the accounts this principal may use. */
export function requireAccount(args: Args, ctx: Pick<MethodContext, 'accountIds'>): string {
  const id = args.accountId;
  if (id === undefined || id === null) throw new MethodError('invalidArguments', 'accountId is required');
  if (typeof id !== 'string') throw new MethodError('invalidArguments', 'accountId must be a string');
  if (!ctx.accountIds.has(id)) throw new MethodError('accountNotFound', `no account ${id} for this user`);
  return id;
}

/** The two accounts of a /copy (RFC 8620 §5.4): both in the pool, and distinct. */
export function requireCopyAccounts(args: Args, ctx: Pick<MethodContext, 'accountIds'>): { fromAccountId: string; accountId: string } {
  const fromAccountId = readId(args, 'fromAccountId');
  if (!ctx.accountIds.has(fromAccountId)) throw new MethodError('fromAccountNotFound', `no account ${fromAccountId} for this user`);
  const accountId = requireAccount(args, ctx);
  // Within one account a copy would only hand back the same record under a new id.
  if (accountId === fromAccountId) throw new MethodError('invalidArguments', 'fromAccountId and accountId must differ');
  return { fromAccountId, accountId };
}
