import type { EmailSortColumn } from '../../../store/repos/mail.ts';
import type { EmailQuery, MessagePatch } from '../../../services/mail/messages.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { ALL_EMAIL_PROPERTIES, bodyOptions, DEFAULT_EMAIL_PROPERTIES, emailObject, RAW_PROPERTIES } from './email-view.ts';
import { setError } from './set-errors.ts';
import { checkIds, readBoolean, readOptionalInt, readOptionalObject, readOptionalStringArray, requireAccount, resolveCreationId } from '../core/index.ts';
import { checkIfInState, MAX_IDS, standardChanges, stateOf } from './common.ts';

export async function emailGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const requested = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties') ?? DEFAULT_EMAIL_PROPERTIES;
  for (const p of properties) {
    if (!ALL_EMAIL_PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown or unsupported property ${p}`);
  }
  const body = bodyOptions(
    readOptionalStringArray(args, 'bodyProperties'),
    readBoolean(args, 'fetchTextBodyValues', false) ?? false,
    readBoolean(args, 'fetchHTMLBodyValues', false) ?? false,
    readBoolean(args, 'fetchAllBodyValues', false) ?? false,
    readOptionalInt(args, 'maxBodyValueBytes', { min: 0 }) ?? 0,
  );
  const state = await stateOf(ctx, accountId);
  // Without ids, /get returns every object; for email that is capped like any id list.
  const ids = requested ? requested.map((id) => resolveCreationId(id, ctx)) : (await ctx.services.messages.queryIds(accountId, {}, [{ column: 'received_at', asc: false }], 0, 1000)).ids;
  const records = await ctx.services.messages.records(accountId, ids);
  const byId = new Map(records.map((r) => [r.id, r]));
  const needRaw = properties.some((p) => RAW_PROPERTIES.has(p));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    const rec = byId.get(id);
    if (!rec) {
      notFound.push(id);
      continue;
    }
    const raw = needRaw ? await ctx.services.messages.rawBytes(rec.blob_id) : null;
    list.push(emailObject(rec, properties, raw, body));
  }
  return { accountId, state, list, notFound };
}

export const emailChanges = (args: Args, ctx: MethodContext) => standardChanges('Email', args, ctx);

const SORTS: Record<string, EmailSortColumn> = {
  receivedAt: 'received_at',
  sentAt: 'sent_at',
  size: 'size',
  subject: 'subject_norm',
  from: 'from_json',
  to: 'to_json',
};

/** RFC 8621 §4.4.1 conditions, ANDed; OR and NOT are refused for now. */
function toQuery(filter: Record<string, unknown> | null, ctx: MethodContext, into: EmailQuery = {}): EmailQuery {
  if (!filter) return into;
  if ('operator' in filter) {
    if (filter.operator !== 'AND') throw new MethodError('unsupportedFilter', `operator ${String(filter.operator)} is not supported yet`);
    for (const c of (filter.conditions as Record<string, unknown>[]) ?? []) toQuery(c, ctx, into);
    return into;
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const date = (v: unknown, name: string) => {
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) throw new MethodError('invalidArguments', `${name} must be a UTCDate`);
    return ms;
  };
  for (const [key, v] of Object.entries(filter)) {
    switch (key) {
      case 'inMailbox': into.mailboxId = resolveCreationId(String(v), ctx); break;
      case 'inMailboxOtherThan': into.notInMailboxIds = (v as string[]).map((id) => resolveCreationId(id, ctx)); break;
      case 'before': into.before = date(v, key); break;
      case 'after': into.after = date(v, key); break;
      case 'minSize': into.minSize = Number(v); break;
      case 'maxSize': into.maxSize = Number(v); break;
      case 'hasKeyword': into.hasKeywords = [...(into.hasKeywords ?? []), String(v).toLowerCase()]; break;
      case 'notKeyword': into.notKeywords = [...(into.notKeywords ?? []), String(v).toLowerCase()]; break;
      case 'hasAttachment': into.hasAttachment = Boolean(v); break;
      case 'text': into.text = text(v); break;
      case 'from': into.from = text(v); break;
      case 'to': case 'cc': case 'bcc': into.to = [into.to, text(v)].filter(Boolean).join(' '); break;
      case 'subject': into.subject = text(v); break;
      case 'body': into.body = text(v); break;
      default: throw new MethodError('unsupportedFilter', `filter condition ${key} is not supported yet`);
    }
  }
  return into;
}

export async function emailQuery(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const query = toQuery(readOptionalObject(args, 'filter'), ctx);
  if (readBoolean(args, 'collapseThreads', false)) throw new MethodError('invalidArguments', 'collapseThreads is not supported yet');
  if (args.anchor !== undefined && args.anchor !== null) throw new MethodError('invalidArguments', 'anchor is not supported yet; use position');
  const sortArg = (args.sort ?? [{ property: 'receivedAt', isAscending: false }]) as { property: string; isAscending?: boolean }[];
  if (!Array.isArray(sortArg)) throw new MethodError('invalidArguments', 'sort must be an array');
  const sort = sortArg.map((s) => {
    const column = SORTS[s.property];
    if (!column) throw new MethodError('unsupportedSort', `cannot sort by ${s.property}`);
    return { column, asc: s.isAscending !== false };
  });
  const limit = Math.min(readOptionalInt(args, 'limit', { min: 0 }) ?? 256, 1000);
  let position = typeof args.position === 'number' ? args.position : 0;
  if (!Number.isInteger(position)) throw new MethodError('invalidArguments', 'position must be an integer');
  let result = await ctx.services.messages.queryIds(accountId, query, sort, Math.max(position, 0), limit);
  if (position < 0) {
    position = Math.max(0, result.total + position);
    result = await ctx.services.messages.queryIds(accountId, query, sort, position, limit);
  }
  return {
    accountId,
    queryState: await stateOf(ctx, accountId),
    canCalculateChanges: false,
    position: Math.min(position, result.total),
    ids: result.ids,
    ...(readBoolean(args, 'calculateTotal', false) ? { total: result.total } : {}),
    limit,
  };
}

/** An Email/set patch (full values or JSON-pointer paths) as a REST-style message patch. */
function toPatch(patch: Record<string, unknown>, ctx: MethodContext): MessagePatch {
  const out: Required<Pick<MessagePatch, 'addKeywords' | 'removeKeywords' | 'addMailboxIds' | 'removeMailboxIds'>> & MessagePatch = {
    addKeywords: [],
    removeKeywords: [],
    addMailboxIds: [],
    removeMailboxIds: [],
  };
  for (const [path, value] of Object.entries(patch)) {
    if (path === 'keywords') out.keywords = Object.keys(value as object);
    else if (path === 'mailboxIds') out.mailboxIds = Object.keys(value as object).map((id) => resolveCreationId(id, ctx));
    else if (path.startsWith('keywords/')) (value ? out.addKeywords : out.removeKeywords).push(path.slice(9));
    else if (path.startsWith('mailboxIds/')) (value ? out.addMailboxIds : out.removeMailboxIds).push(resolveCreationId(path.slice(11), ctx));
    else throw new MethodError('invalidProperties', `${path} cannot be changed`, { properties: [path] });
  }
  return out;
}

export async function emailSet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  const create = readOptionalObject(args, 'create') ?? {};
  const update = readOptionalObject(args, 'update') ?? {};
  const destroy = readOptionalStringArray(args, 'destroy') ?? [];
  if (Object.keys(create).length + Object.keys(update).length + destroy.length > 1000) throw new MethodError('requestTooLarge', 'at most 1000 objects per call');
  const res: Args = { accountId, oldState, created: {}, updated: {}, destroyed: [], notCreated: {}, notUpdated: {}, notDestroyed: {} };
  for (const cid of Object.keys(create)) {
    (res.notCreated as Record<string, unknown>)[cid] = { type: 'forbidden', description: 'creating emails from properties is not available yet; store raw messages with the REST API' };
  }
  for (const [rawId, patch] of Object.entries(update)) {
    const id = resolveCreationId(rawId, ctx);
    try {
      await ctx.services.messages.update(accountId, id, toPatch(patch as Record<string, unknown>, ctx));
      (res.updated as Record<string, unknown>)[id] = null;
    } catch (err) {
      (res.notUpdated as Record<string, unknown>)[id] = setError(err);
    }
  }
  for (const rawId of destroy) {
    const id = resolveCreationId(rawId, ctx);
    try {
      await ctx.services.messages.delete(accountId, id);
      (res.destroyed as string[]).push(id);
    } catch (err) {
      (res.notDestroyed as Record<string, unknown>)[id] = setError(err);
    }
  }
  res.newState = await stateOf(ctx, accountId);
  return res;
}
