import { QUOTA } from '../core/capabilities.ts';
import { checkIds, listWindow, parseState, readBoolean, readInt, readOptionalObject, readOptionalString, readOptionalStringArray, requireAccount, resolveCreationId } from '../core/index.ts';
import { MAX_IDS, pick, stateOf } from '../mail/common.ts';
import { MAIL, MethodError, type Args, type MethodContext, type MethodRegistry } from '../types.ts';

/**
 * RFC 9425 Quota: a user's storage limit applies to each account of their pool, so each account
 * has exactly one Quota, its usage counted in that account. An unlimited user (quota 0) gets
 * hardLimit 2^53-1, the largest UnsignedInt (RFC 8620 §1.3): hardLimit is mandatory, and 0 would
 * read as "nothing may be stored".
 */

const PROPERTIES = ['id', 'resourceType', 'used', 'hardLimit', 'scope', 'name', 'types', 'description'];
export const UNLIMITED = Number.MAX_SAFE_INTEGER;

export const quotaId = (accountId: string) => `q-${accountId}-octets`;

/** The primary account is where the user's address receives mail, so its quota goes by that address. */
async function quotaName(ctx: MethodContext, accountId: string): Promise<string> {
  const account = ctx.principal.accounts.find((a) => a.id === accountId);
  if (account && !account.isPrimary) return account.name;
  const user = await ctx.services.directory.getUser(ctx.principal.id);
  return user.address ?? user.username;
}

async function quotasOf(ctx: MethodContext, accountId: string): Promise<Record<string, unknown>[]> {
  // Its only type is Mail; RFC 9425 §4.1 hides quotas whose types the client did not ask for.
  if (!ctx.using.has(MAIL)) return [];
  const [{ used, limit }, name] = await Promise.all([ctx.services.directory.accountQuota(accountId), quotaName(ctx, accountId)]);
  const unlimited = limit === 0;
  return [
    {
      id: quotaId(accountId),
      resourceType: 'octets',
      used,
      hardLimit: unlimited ? UNLIMITED : limit,
      scope: 'account',
      name,
      types: ['Mail'],
      description: unlimited ? 'Mail storage of this account (no limit set)' : 'Mail storage of this account',
    },
  ];
}

export async function quotaGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties');
  for (const p of properties ?? []) if (!PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown property ${p}`);
  const [all, state] = await Promise.all([quotasOf(ctx, accountId), stateOf(ctx, accountId)]);
  const wanted = ids ? ids.map((id) => resolveCreationId(id, ctx)) : all.map((q) => q.id as string);
  const list = all.filter((q) => wanted.includes(q.id as string)).map((q) => pick(q, properties));
  return { accountId, state, list, notFound: wanted.filter((id) => !all.some((q) => q.id === id)) };
}

/**
 * Usage follows every email change, and usage has no change log of its own, so any state older
 * than the current one reports the quota as updated. updatedProperties stays null: an admin's
 * limit change is not told apart from usage (RFC 9425 §4.2 then requires null).
 */
export async function quotaChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const since = parseState(readOptionalString(args, 'sinceState') ?? '');
  readInt(args, 'maxChanges', { min: 1, default: 5000 });
  const current = await ctx.services.changes.current(accountId);
  if (since === null || since > current) throw new MethodError('cannotCalculateChanges', 'sinceState is not a state this server issued');
  const quotas = await quotasOf(ctx, accountId);
  const updated = since < current ? quotas.map((q) => q.id) : [];
  return { accountId, oldState: String(since), newState: String(current), hasMoreChanges: false, updatedProperties: null, created: [], updated, destroyed: [] };
}

const FILTERS = ['name', 'scope', 'resourceType', 'type'];

function matches(q: Record<string, unknown>, filter: Args): boolean {
  if (typeof filter.name === 'string' && !(q.name as string).toLowerCase().includes(filter.name.toLowerCase())) return false;
  if (typeof filter.scope === 'string' && q.scope !== filter.scope) return false;
  if (typeof filter.resourceType === 'string' && q.resourceType !== filter.resourceType) return false;
  if (typeof filter.type === 'string' && !(q.types as string[]).includes(filter.type)) return false;
  return true;
}

function readFilter(args: Args): Args {
  const filter = readOptionalObject(args, 'filter') ?? {};
  if ('operator' in filter) throw new MethodError('unsupportedFilter', 'FilterOperator is not supported for Quota');
  for (const [key, value] of Object.entries(filter)) {
    if (!FILTERS.includes(key)) throw new MethodError('unsupportedFilter', `filter ${key} is not supported`);
    if (typeof value !== 'string') throw new MethodError('invalidArguments', `filter ${key} must be a string`);
  }
  return filter;
}

function readSort(args: Args): { property: 'name' | 'used'; asc: boolean }[] {
  const sort = args.sort ?? [];
  if (!Array.isArray(sort)) throw new MethodError('invalidArguments', 'sort must be an array');
  return sort.map((s: { property?: unknown; isAscending?: unknown }) => {
    if (s?.property !== 'name' && s?.property !== 'used') throw new MethodError('unsupportedSort', `cannot sort by ${String(s?.property)}`);
    return { property: s.property, asc: s.isAscending !== false };
  });
}

async function run(args: Args, ctx: MethodContext, accountId: string): Promise<string[]> {
  const filter = readFilter(args);
  const sort = readSort(args);
  let list = (await quotasOf(ctx, accountId)).filter((q) => matches(q, filter));
  for (const s of [...sort].reverse()) {
    const dir = s.asc ? 1 : -1;
    list = [...list].sort((a, b) => dir * (s.property === 'name' ? (a.name as string).localeCompare(b.name as string) : (a.used as number) - (b.used as number)));
  }
  return list.map((q) => q.id as string);
}

export async function quotaQuery(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const all = await run(args, ctx, accountId);
  return {
    accountId,
    queryState: await stateOf(ctx, accountId),
    // The set of quotas never changes, so queryChanges can always answer (see quotaQueryChanges).
    canCalculateChanges: true,
    ...listWindow(all, args, MAX_IDS),
  };
}

/**
 * An account's quotas are fixed (one, never created or destroyed) and none of the filters reads
 * a mutable property; with a single result even sorting by used cannot reorder. So from any
 * state this server issued, nothing was added or removed.
 */
export async function quotaQueryChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const since = parseState(readOptionalString(args, 'sinceQueryState') ?? '');
  const current = await ctx.services.changes.current(accountId);
  if (since === null || since > current) throw new MethodError('cannotCalculateChanges', 'sinceQueryState is not a state this server issued');
  checkQueryChangesArgs(args);
  const all = await run(args, ctx, accountId);
  return {
    accountId,
    oldQueryState: String(since),
    newQueryState: String(current),
    removed: [],
    added: [],
    ...(readBoolean(args, 'calculateTotal', false) ? { total: all.length } : {}),
  };
}

function checkQueryChangesArgs(args: Args): void {
  if (args.maxChanges !== undefined && args.maxChanges !== null) readInt(args, 'maxChanges', { min: 1 });
  if (args.upToId !== undefined && args.upToId !== null && typeof args.upToId !== 'string') throw new MethodError('invalidArguments', 'upToId must be an Id');
}

export function registerQuotaMethods(registry: MethodRegistry): void {
  registry.set('Quota/get', { capability: QUOTA, handler: quotaGet });
  registry.set('Quota/changes', { capability: QUOTA, handler: quotaChanges });
  registry.set('Quota/query', { capability: QUOTA, handler: quotaQuery });
  registry.set('Quota/queryChanges', { capability: QUOTA, handler: quotaQueryChanges });
}
