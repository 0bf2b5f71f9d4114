import type { EmailSort, EmailSortColumn } from '../../../store/repos/mail.ts';
import { normalizeKeyword } from '../../../services/mail/keywords.ts';
import { readBoolean, readOptionalId, readOptionalInt, requireAccount } from '../core/index.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { checkCollation, stateOf } from './common.ts';
import { toQuery } from './email-filter.ts';

const SORTS: Record<string, EmailSortColumn> = {
  receivedAt: 'received_at',
  sentAt: 'sent_at',
  size: 'size',
  subject: 'subject_norm',
  from: 'from_json',
  to: 'to_json',
};

const KEYWORD_SORTS: Record<string, 'email' | 'some' | 'all'> = { hasKeyword: 'email', someInThreadHaveKeyword: 'some', allInThreadHaveKeyword: 'all' };

export function readSort(args: Args): EmailSort[] {
  const sortArg = args.sort ?? [{ property: 'receivedAt', isAscending: false }];
  if (!Array.isArray(sortArg)) throw new MethodError('invalidArguments', 'sort must be an array');
  return sortArg.map((s: { property?: unknown; isAscending?: unknown; collation?: unknown; keyword?: unknown }): EmailSort => {
    checkCollation(s);
    const asc = s.isAscending !== false;
    const inThread = typeof s?.property === 'string' ? KEYWORD_SORTS[s.property] : undefined;
    if (inThread) {
      if (typeof s.keyword !== 'string') throw new MethodError('invalidArguments', `sorting by ${String(s.property)} needs a keyword`);
      let keyword: string;
      try {
        keyword = normalizeKeyword(s.keyword);
      } catch {
        throw new MethodError('invalidArguments', `${s.keyword} is not a keyword`);
      }
      return { keyword, inThread, asc };
    }
    const column = typeof s?.property === 'string' ? SORTS[s.property] : undefined;
    if (!column) throw new MethodError('unsupportedSort', `cannot sort by ${String(s?.property)}`);
    return { column, asc };
  });
}

/** Email/query (RFC 8621 §4.4, RFC 8620 §5.5): filter tree, sort, collapseThreads, position or anchor. */
export async function emailQuery(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const query = toQuery(args.filter, ctx);
  const collapseThreads = readBoolean(args, 'collapseThreads', false);
  const sort = readSort(args);
  const requestedLimit = readOptionalInt(args, 'limit', { min: 0 });
  const limit = Math.min(requestedLimit ?? 256, 1000);
  const anchor = readOptionalId(args, 'anchor');
  const anchorOffset = readOptionalInt(args, 'anchorOffset') ?? 0;
  let position = readOptionalInt(args, 'position') ?? 0;
  const messages = ctx.services.messages;
  if (anchor !== null) {
    const index = await messages.indexOf(accountId, query, { sort, collapseThreads }, anchor);
    if (index < 0) throw new MethodError('anchorNotFound', `${anchor} is not in the results`);
    position = Math.max(0, index + anchorOffset);
  }
  const calculateTotal = readBoolean(args, 'calculateTotal', false);
  let ids: string[];
  let total: number | null = null;
  // The total is needed only when asked for, or to place a negative or out-of-range position.
  if (calculateTotal || position < 0) {
    const result = await messages.queryIds(accountId, query, { sort, position: Math.max(position, 0), limit, collapseThreads });
    total = result.total;
    ids = result.ids;
    if (position < 0) {
      position = Math.max(0, total + position);
      ids = await messages.queryWindow(accountId, query, { sort, position, limit, collapseThreads });
    }
  } else {
    ids = await messages.queryWindow(accountId, query, { sort, position, limit, collapseThreads });
    if (ids.length === 0 && position > 0) total = (await messages.queryIds(accountId, query, { sort, position: 0, limit: 0, collapseThreads })).total;
  }
  return {
    accountId,
    queryState: await stateOf(ctx, accountId),
    canCalculateChanges: true,
    position: total === null ? position : Math.min(position, total),
    ids,
    ...(calculateTotal ? { total } : {}),
    // RFC 8620 §5.5: the limit is returned only when the server chose or changed it.
    ...(limit !== requestedLimit ? { limit } : {}),
  };
}
