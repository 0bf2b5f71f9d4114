import { isDeepStrictEqual } from 'node:util';
import { notFound } from '../../../services/errors.ts';
import type { MessagePatch } from '../../../services/mail/messages.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { ALL_EMAIL_PROPERTIES, bodyOptions, DEFAULT_EMAIL_PROPERTIES, emailObject, RAW_PROPERTIES } from './email-view.ts';
import { parseHeaderProperty } from './header-forms.ts';
import { setError } from './set-errors.ts';
import { createEmail } from './email-create.ts';
import { checkIds, readBoolean, readOptionalInt, readOptionalStringArray, requireAccount, resolveCreationId, runSet } from '../core/index.ts';
import { checkIfInState, MAX_IDS, refuseDeletedKeyword, standardChanges, stateOf, VISIBLE } from './common.ts';

export async function emailGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const requested = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties') ?? DEFAULT_EMAIL_PROPERTIES;
  for (const p of properties) {
    if (!ALL_EMAIL_PROPERTIES.includes(p) && !parseHeaderProperty(p)) throw new MethodError('invalidArguments', `unknown or unsupported property ${p}`);
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
  const ids = requested ? requested.map((id) => resolveCreationId(id, ctx)) : (await ctx.services.messages.queryIds(accountId, VISIBLE, { sort: [{ column: 'received_at', asc: false }], position: 0, limit: 1000 })).ids;
  const records = await ctx.services.messages.records(accountId, ids, VISIBLE);
  const byId = new Map(records.map((r) => [r.id, r]));
  const needRaw = properties.some((p) => RAW_PROPERTIES.has(p) || p.startsWith('header:'));
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

/** An Email/set patch (full values or JSON-pointer paths) as a REST-style message patch. */
function toPatch(patch: Record<string, unknown>, ctx: MethodContext): MessagePatch {
  const out: Required<Pick<MessagePatch, 'addKeywords' | 'removeKeywords' | 'addMailboxIds' | 'removeMailboxIds'>> & MessagePatch = {
    addKeywords: [],
    removeKeywords: [],
    addMailboxIds: [],
    removeMailboxIds: [],
  };
  for (const [path, value] of Object.entries(patch)) {
    if (path === 'keywords') {
      out.keywords = Object.keys(value as object);
      refuseDeletedKeyword(out.keywords, path);
    } else if (path === 'mailboxIds') out.mailboxIds = Object.keys(value as object).map((id) => resolveCreationId(id, ctx));
    else if (path.startsWith('keywords/')) {
      if (value) refuseDeletedKeyword([path.slice(9)], path);
      (value ? out.addKeywords : out.removeKeywords).push(path.slice(9));
    } else if (path.startsWith('mailboxIds/')) (value ? out.addMailboxIds : out.removeMailboxIds).push(resolveCreationId(path.slice(11), ctx));
    else throw new MethodError('invalidProperties', `${path} cannot be changed`, { properties: [path] });
  }
  return out;
}

const MUTABLE = /^(keywords|mailboxIds)(\/|$)/;

/**
 * RFC 8620 §5.3 lets a patch carry properties the client may not change, as long as they keep
 * their current value, so a client can send a whole Email object back. Those are checked here
 * and left out of the patch; a different value is invalidProperties.
 */
async function withoutUnchanged(accountId: string, id: string, patch: Args, ctx: MethodContext): Promise<Args> {
  const others = Object.keys(patch).filter((k) => !MUTABLE.test(k));
  if (others.length === 0) return patch;
  const [rec] = await ctx.services.messages.records(accountId, [id], VISIBLE);
  if (!rec) throw notFound(`email ${id}`);
  const readable = others.filter((k) => ALL_EMAIL_PROPERTIES.includes(k));
  const raw = readable.some((p) => RAW_PROPERTIES.has(p)) ? await ctx.services.messages.rawBytes(rec.blob_id) : null;
  const current = emailObject(rec, readable, raw, bodyOptions(null, false, false, false, 0));
  const changed = others.filter((k) => !readable.includes(k) || !isDeepStrictEqual(current[k], patch[k]));
  if (changed.length) throw new MethodError('invalidProperties', `${changed.join(', ')} cannot be changed`, { properties: changed });
  return Object.fromEntries(Object.entries(patch).filter(([k]) => MUTABLE.test(k)));
}

export async function emailSet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  const outcome = await runSet(args, ctx, {
    create: async (_cid, props) => (await createEmail(props, accountId, ctx)) as Args & { id: string },
    update: async (id, patch) => {
      await ctx.services.messages.update(accountId, id, toPatch(await withoutUnchanged(accountId, id, patch, ctx), ctx), VISIBLE);
      return null;
    },
    destroy: (id) => ctx.services.messages.delete(accountId, id, VISIBLE),
    error: (err) => setError(err),
  });
  return { accountId, oldState, newState: await stateOf(ctx, accountId), ...outcome };
}
