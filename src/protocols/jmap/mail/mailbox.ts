import { ServiceError } from '../../../services/errors.ts';
import type { MailboxCounts } from '../../../services/mail/mailboxes.ts';
import type { MailboxView } from '../../../services/mail/views.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { setError } from './set-errors.ts';
import { checkIds, listWindow, readBoolean, readOptionalObject, readOptionalStringArray, requireAccount, resolveCreationId, runSet } from '../core/index.ts';
import { checkCollation, checkIfInState, MAX_IDS, standardChanges, stateOf, selectForGet } from './common.ts';

const PROPERTIES = ['id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights', 'isSubscribed'];

const RIGHTS = {
  mayReadItems: true,
  mayAddItems: true,
  mayRemoveItems: true,
  maySetSeen: true,
  maySetKeywords: true,
  mayCreateChild: true,
  mayRename: true,
  mayDelete: true,
  maySubmit: true,
};

function toJmap(m: MailboxView, counts: MailboxCounts | undefined): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    parentId: m.parentId,
    role: m.role,
    sortOrder: m.sortOrder,
    totalEmails: counts?.emails ?? 0,
    unreadEmails: counts?.unread ?? 0,
    totalThreads: counts?.threads ?? 0,
    unreadThreads: counts?.unreadThreads ?? 0,
    myRights: { ...RIGHTS, mayRename: m.role !== 'inbox', mayDelete: m.role !== 'inbox' },
    isSubscribed: m.subscribed,
  };
}

export async function mailboxGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties');
  for (const p of properties ?? []) if (!PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown property ${p}`);
  // Counting threads reads every membership of the account: only when they are asked for.
  const withThreads = !properties || properties.some((p) => p.endsWith('Threads'));
  const [all, counts, state] = await Promise.all([ctx.services.mailboxes.list(accountId), ctx.services.mailboxes.visibleCounts(accountId, withThreads), stateOf(ctx, accountId)]);
  return { accountId, state, ...selectForGet(all, ids, properties, ctx, (m) => toJmap(m, counts.get(m.id))) };
}

export const mailboxChanges = (args: Args, ctx: MethodContext) =>
  standardChanges('Mailbox', args, ctx).then((r) => ({ ...r, updatedProperties: null }));

/** Ids matching a Mailbox/query filter in sort order: parentId, name, role, hasAnyRole, isSubscribed; sortOrder/name. */
export async function mailboxResults(args: Args, ctx: MethodContext, accountId: string): Promise<string[]> {
  const filter = readOptionalObject(args, 'filter') ?? {};
  const sort = (args.sort as { property: string; isAscending?: boolean; collation?: unknown }[] | undefined) ?? [];
  if (!Array.isArray(sort)) throw new MethodError('invalidArguments', 'sort must be an array');
  for (const key of Object.keys(filter)) {
    if (!['parentId', 'name', 'role', 'hasAnyRole', 'isSubscribed'].includes(key)) throw new MethodError('unsupportedFilter', `filter ${key} is not supported`);
  }
  let list = await ctx.services.mailboxes.list(accountId);
  if ('parentId' in filter) list = list.filter((m) => m.parentId === filter.parentId);
  if (typeof filter.name === 'string') list = list.filter((m) => m.name.toLowerCase().includes((filter.name as string).toLowerCase()));
  if ('role' in filter) list = list.filter((m) => m.role === filter.role);
  if (typeof filter.hasAnyRole === 'boolean') list = list.filter((m) => (m.role !== null) === filter.hasAnyRole);
  if (typeof filter.isSubscribed === 'boolean') list = list.filter((m) => m.subscribed === filter.isSubscribed);
  for (const s of [...sort].reverse()) {
    checkCollation(s);
    if (s.property !== 'sortOrder' && s.property !== 'name') throw new MethodError('unsupportedSort', `cannot sort by ${s.property}`);
    const dir = s.isAscending === false ? -1 : 1;
    list = [...list].sort((a, b) => dir * (s.property === 'name' ? a.name.localeCompare(b.name) : a.sortOrder - b.sortOrder));
  }
  return list.map((m) => m.id);
}

/** Mailbox/query (RFC 8621 §2.3). */
export async function mailboxQuery(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const all = await mailboxResults(args, ctx, accountId);
  return {
    accountId,
    queryState: await stateOf(ctx, accountId),
    canCalculateChanges: true,
    ...listWindow(all, args, MAX_IDS),
  };
}

/** Mailbox/set (RFC 8621 §2.5) over the same MailboxService the REST API uses. */
export async function mailboxSet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  const removeEmails = readBoolean(args, 'onDestroyRemoveEmails', false) ?? false;
  const settable = (o: Args) => {
    const unknown = Object.keys(o).filter((k) => !['name', 'parentId', 'role', 'sortOrder', 'isSubscribed'].includes(k));
    if (unknown.length) throw new ServiceError('invalid', 'unknown or server-set properties', unknown.map((field) => ({ field, message: 'cannot be set' })));
    return o;
  };
  const outcome = await runSet(args, ctx, {
    create: async (_cid, raw) => {
      const m = settable(raw);
      const view = await ctx.services.mailboxes.create(accountId, {
        name: m.name as string,
        parentId: typeof m.parentId === 'string' ? resolveCreationId(m.parentId, ctx) : null,
        role: (m.role as string | null | undefined) ?? null,
        sortOrder: m.sortOrder as number | undefined,
        subscribed: (m.isSubscribed as boolean | undefined) ?? true,
      });
      return { id: view.id, totalEmails: 0, unreadEmails: 0, totalThreads: 0, unreadThreads: 0, myRights: RIGHTS };
    },
    update: async (id, patch) => {
      const p = settable(patch);
      await ctx.services.mailboxes.update(accountId, id, {
        name: p.name as string | undefined,
        parentId: p.parentId === undefined ? undefined : typeof p.parentId === 'string' ? resolveCreationId(p.parentId, ctx) : null,
        role: p.role as string | null | undefined,
        sortOrder: p.sortOrder as number | undefined,
        subscribed: p.isSubscribed as boolean | undefined,
      });
      return null;
    },
    destroy: async (id) => {
      const view = await ctx.services.mailboxes.get(accountId, id);
      // myRights.mayDelete is false for the inbox: that is a permission, whatever it holds.
      if (view.role === 'inbox') throw { type: 'forbidden', description: 'the inbox cannot be destroyed' };
      // Emails awaiting an IMAP EXPUNGE do not exist here, so they go with the mailbox.
      const total = (await ctx.services.mailboxes.visibleCounts(accountId, false)).get(id)?.emails ?? 0;
      if (!removeEmails && total > 0) throw { type: 'mailboxHasEmail', description: `${total} email(s) are in this mailbox` };
      await ctx.services.mailboxes.delete(accountId, id);
    },
    error: (err, op) => {
      const e = setError(err);
      // The only conflict deleting a mailbox can meet is a child mailbox.
      return op === 'destroy' && e.type === 'alreadyExists' ? { type: 'mailboxHasChild', description: e.description } : e;
    },
  });
  return { accountId, oldState, newState: await stateOf(ctx, accountId), ...outcome };
}
