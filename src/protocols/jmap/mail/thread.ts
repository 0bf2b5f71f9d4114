import { type Args, type MethodContext } from '../types.ts';
import { checkIds, requireAccount, resolveCreationId } from '../core/index.ts';
import { MAX_IDS, standardChanges, stateOf, VISIBLE } from './common.ts';

export async function threadGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = (checkIds(args.ids, MAX_IDS) ?? []).map((id) => resolveCreationId(id, ctx));
  const members = await ctx.services.messages.threadMembers(accountId, ids, VISIBLE);
  const list = ids.filter((id) => members.has(id)).map((id) => ({ id, emailIds: members.get(id)! }));
  return { accountId, state: await stateOf(ctx, accountId), list, notFound: ids.filter((id) => !members.has(id)) };
}

export const threadChanges = (args: Args, ctx: MethodContext) => standardChanges('Thread', args, ctx);
