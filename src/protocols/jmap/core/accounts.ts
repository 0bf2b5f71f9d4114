import { MethodError, type Args, type MethodContext } from '../types.ts';

/** The accountId argument, checked against the accounts this principal may use. */
export function requireAccount(args: Args, ctx: Pick<MethodContext, 'accountIds'>): string {
  const id = args.accountId;
  if (id === undefined || id === null) throw new MethodError('invalidArguments', 'accountId is required');
  if (typeof id !== 'string') throw new MethodError('invalidArguments', 'accountId must be a string');
  if (!ctx.accountIds.has(id)) throw new MethodError('accountNotFound', `no account ${id} for this user`);
  return id;
}
