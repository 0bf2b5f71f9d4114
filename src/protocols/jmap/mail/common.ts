import { isDeletedKeyword } from '../../../services/mail/keywords.ts';
import type { Visibility } from '../../../services/mail/messages.ts';
import { COLLATION_ALGORITHMS, MAX_OBJECTS_IN_GET } from '../core/limits.ts';
import { parseState, readOptionalInt, readOptionalString, requireAccount, resolveCreationId, stateString } from '../core/index.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';

/** What every mail method shares: the account state, /changes, property selection and ifInState. */

export const MAX_IDS = MAX_OBJECTS_IN_GET;

/** JMAP has no delete+expunge: an email carrying IMAP's \Deleted does not exist here (RFC 8621 §4.1.1). */
export const VISIBLE: Visibility = { hideDeleted: true };

/**
 * Nor can a JMAP client give an email that keyword: the email would vanish from its view while
 * still there for IMAP, with no JMAP way back (ADR 0015). Destroying it is the JMAP way.
 */
export function refuseDeletedKeyword(keywords: Iterable<string>, property: string): void {
  for (const k of keywords) {
    if (isDeletedKeyword(k)) throw new MethodError('invalidProperties', `${k} is IMAP's \\Deleted, which JMAP does not have: destroy the email instead`, { properties: [property] });
  }
}

export async function stateOf(ctx: MethodContext, accountId: string): Promise<string> {
  return stateString(await ctx.services.changes.current(accountId));
}

/**
 * /set, /import and /copy refuse to run against a state the client did not expect (RFC 8620
 * §5.3, §5.4): `name` is the argument holding it. Returns the current state.
 */
export async function checkIfInState(args: Args, ctx: MethodContext, accountId: string, name = 'ifInState'): Promise<string> {
  const current = await stateOf(ctx, accountId);
  const ifInState = readOptionalString(args, name);
  if (ifInState !== null && ifInState !== current) throw new MethodError('stateMismatch', `the state is ${current}, not ${ifInState}`);
  return current;
}

/** Foo/changes (RFC 8620 §5.2) for any type recorded in the change log. */
export async function standardChanges(type: string, args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const since = parseState(readOptionalString(args, 'sinceState') ?? '');
  if (since === null) throw new MethodError('cannotCalculateChanges', 'sinceState is not a state this server issued');
  const maxChanges = readOptionalInt(args, 'maxChanges', { min: 1 }) ?? 5000;
  const changes = await ctx.services.changes.changesOf(accountId, type, since, maxChanges);
  if (!changes) throw new MethodError('cannotCalculateChanges', 'the change log no longer reaches back to that state');
  return {
    accountId,
    oldState: stateString(changes.oldState),
    newState: stateString(changes.newState),
    hasMoreChanges: changes.hasMoreChanges,
    created: changes.created,
    updated: changes.updated,
    destroyed: changes.destroyed,
  };
}

/** Keeps only the requested properties (always with id), or all when none were asked for. */
export function pick(obj: Record<string, unknown>, properties: string[] | null): Record<string, unknown> {
  if (!properties) return obj;
  const out: Record<string, unknown> = { id: obj.id };
  for (const p of properties) if (p in obj) out[p] = obj[p];
  return out;
}

/**
 * The list and notFound of a /get over records already loaded (RFC 8620 §5.1): the ids asked for
 * (creation ids resolved) or every record, each shown as `render` makes it, cut to `properties`.
 */
export function selectForGet<T extends { id: string }>(
  all: T[],
  ids: string[] | null,
  properties: string[] | null,
  ctx: MethodContext,
  render: (record: T) => Record<string, unknown> = (r) => ({ ...r }),
): { list: Record<string, unknown>[]; notFound: string[] } {
  const byId = new Map(all.map((r) => [r.id, r]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ? ids.map((i) => resolveCreationId(i, ctx)) : all.map((r) => r.id)) {
    const found = byId.get(id);
    if (found) list.push(pick(render(found), properties));
    else notFound.push(id);
  }
  return { list, notFound };
}

/** RFC 8620 §5.5: a Comparator naming a collation the server does not know is unsupportedSort. */
export function checkCollation(comparator: { collation?: unknown }): void {
  const c = comparator.collation;
  if (c !== undefined && (typeof c !== 'string' || !COLLATION_ALGORITHMS.includes(c))) throw new MethodError('unsupportedSort', `unknown collation ${String(c)}`);
}
