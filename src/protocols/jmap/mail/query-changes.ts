import { parseState, readBoolean, readOptionalId, readOptionalInt, readOptionalString, requireAccount, stateString } from '../core/index.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { toQuery } from './email-filter.ts';
import { readSort } from './email-query.ts';
import { mailboxResults } from './mailbox.ts';
import { VISIBLE } from './common.ts';

/**
 * Foo/queryChanges (RFC 8620 §5.6) from the change log: every object changed since the old
 * state is reported removed, and those in the results now are added back at their index. That
 * over-reports removals, which §5.6 allows, and stays exact for mutable sort and filter properties.
 * When an email's place depends on its thread (collapseThreads picks one email per thread, a
 * thread keyword condition looks at siblings), every email of a changed thread counts as changed.
 */

// Beyond these the client is better served by re-running the query.
const MAX_CHANGED = 1000;
const MAX_SCAN = 50_000;

const cannot = (why: string) => new MethodError('cannotCalculateChanges', why);

/** Whether other emails of its thread decide if, or where, an email is in the results. */
const threadDependent = (args: Args) => args.collapseThreads === true || JSON.stringify(args.filter ?? null).includes('InThreadHaveKeyword');

async function changedIds(type: string, since: number, ctx: MethodContext, accountId: string) {
  const changes = await ctx.services.changes.changesOf(accountId, type, since, MAX_CHANGED);
  if (!changes) throw cannot('the change log no longer reaches back to that state');
  if (changes.hasMoreChanges) throw cannot('too many changes since that state');
  return { ids: [...changes.created, ...changes.updated, ...changes.destroyed], newState: changes.newState };
}

async function changedSince(type: string, args: Args, ctx: MethodContext, accountId: string, withThreads = false) {
  const since = parseState(readOptionalString(args, 'sinceQueryState') ?? '');
  if (since === null) throw cannot('sinceQueryState is not a state this server issued');
  const maxChanges = readOptionalInt(args, 'maxChanges', { min: 1 });
  const { ids, newState } = await changedIds(type, since, ctx, accountId);
  const removed = new Set(ids);
  if (withThreads) {
    // The threads to expand: those whose email lists changed (the Thread log) and those of the
    // changed emails, whose keywords may move their siblings (a keyword change is no Thread change).
    const threads = new Set([...(await changedIds('Thread', since, ctx, accountId)).ids, ...(await ctx.services.messages.threadsOf(accountId, ids))]);
    for (const members of (await ctx.services.messages.threadMembers(accountId, [...threads], VISIBLE)).values()) for (const id of members) removed.add(id);
    if (removed.size > MAX_CHANGED) throw cannot('too many changes since that state');
  }
  if (maxChanges !== null && removed.size > maxChanges) throw new MethodError('tooManyChanges', `${removed.size} changes; more than maxChanges`);
  return { oldQueryState: stateString(since), newQueryState: stateString(newState), removed: [...removed] };
}

function added(removed: string[], positions: Map<string, number>) {
  return removed.filter((id) => positions.has(id)).map((id) => ({ id, index: positions.get(id)! })).sort((a, b) => a.index - b.index);
}

export async function emailQueryChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const query = toQuery(args.filter, ctx);
  const sort = readSort(args);
  const collapseThreads = readBoolean(args, 'collapseThreads', false);
  const upToId = readOptionalId(args, 'upToId');
  const { removed, ...states } = await changedSince('Email', args, ctx, accountId, threadDependent(args));
  const messages = ctx.services.messages;
  // Uncollapsed, this is a superset of the changed emails in the results; positions() then collapses.
  const matching = removed.length ? (await messages.queryIds(accountId, { ...query, ids: removed }, { sort, position: 0, limit: MAX_CHANGED })).ids : [];
  const positions = matching.length ? await messages.positions(accountId, query, { sort, collapseThreads }, new Set(matching), upToId, MAX_SCAN) : new Map<string, number>();
  if (!positions) throw cannot('the results are too long to place the changes');
  const total = readBoolean(args, 'calculateTotal', false) ? { total: (await messages.queryIds(accountId, query, { sort, position: 0, limit: 0, collapseThreads })).total } : {};
  return { accountId, ...states, removed, added: added(removed, positions), ...total };
}

export async function mailboxQueryChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  return listQueryChanges('Mailbox', await mailboxResults(args, ctx, accountId), args, ctx, accountId);
}

/** Foo/queryChanges for a type whose whole result list (`results`, in order) is cheap to compute. */
export async function listQueryChanges(type: string, results: string[], args: Args, ctx: MethodContext, accountId: string): Promise<Args> {
  const upToId = readOptionalId(args, 'upToId');
  const { removed, ...states } = await changedSince(type, args, ctx, accountId);
  const end = upToId && results.includes(upToId) ? results.indexOf(upToId) + 1 : results.length;
  const positions = new Map(results.slice(0, end).map((id, i) => [id, i]));
  return { accountId, ...states, removed, added: added(removed, positions), ...(readBoolean(args, 'calculateTotal', false) ? { total: results.length } : {}) };
}
