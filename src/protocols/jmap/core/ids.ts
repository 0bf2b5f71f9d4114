import { MethodError, type MethodContext } from '../types.ts';

/**
 * "#creationId" → the id created earlier in this request (or passed in createdIds); any other
 * id is returned as it is. An unknown creation id throws `missingType`: `notFound` suits ids being
 * updated or destroyed (RFC 8620 §5.3); a handler resolving a property passes `invalidProperties`.
 * Per-record callers catch the MethodError and report it as that record's SetError (toSetError).
 */
export function resolveCreationId(id: unknown, ctx: Pick<MethodContext, 'createdIds'>, missingType = 'notFound'): string {
  if (typeof id !== 'string') throw new MethodError('invalidArguments', 'ids must be strings');
  if (!id.startsWith('#')) return id;
  const real = ctx.createdIds.get(id.slice(1));
  if (real === undefined) throw new MethodError(missingType, `${id} does not name a record created in this request`);
  return real;
}

/**
 * The `ids` argument of a /get: null stays null (all records), duplicates are dropped (RFC 8620
 * §5.1 reports each id once), and more than `max` ids is requestTooLarge.
 */
export function checkIds(ids: unknown, max: number, name = 'ids'): string[] | null {
  if (ids === undefined || ids === null) return null;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new MethodError('invalidArguments', `${name} must be an array of ids or null`);
  const unique = [...new Set(ids as string[])];
  if (unique.length > max) throw new MethodError('requestTooLarge', `${unique.length} ids asked for; at most ${max} per call`);
  return unique;
}

/** create + update + destroy of a /set counted together against maxObjectsInSet (RFC 8620 §2). */
export function checkSetSize(args: { create?: unknown; update?: unknown; destroy?: unknown }, max: number): void {
  const count = (v: unknown) => (Array.isArray(v) ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : 0);
  const total = count(args.create) + count(args.update) + count(args.destroy);
  if (total > max) throw new MethodError('requestTooLarge', `${total} objects to create, update or destroy; at most ${max} per call`);
}
