import { readIdentityInput } from '../../../services/identities/index.ts';
import { ServiceError } from '../../../services/errors.ts';
import { checkIds, checkSetSize, readOptionalObject, readOptionalStringArray, requireAccount, resolveCreationId, SUBMISSION } from '../core/index.ts';
import { MAX_OBJECTS_IN_SET } from '../core/limits.ts';
import { checkIfInState, MAX_IDS, pick, standardChanges, stateOf } from '../mail/common.ts';
import { setError } from '../mail/set-errors.ts';
import { MethodError, type Args, type MethodContext, type MethodRegistry } from '../types.ts';

const PROPERTIES = ['id', 'name', 'email', 'replyTo', 'bcc', 'textSignature', 'htmlSignature', 'mayDelete'];

const owner = (ctx: MethodContext, accountId: string) => ({ id: ctx.principal.id, accountId });

export async function identityGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties');
  for (const p of properties ?? []) if (!PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown property ${p}`);
  // The list may create the default identity, so the state is read after it.
  const all = await ctx.services.identities.list(owner(ctx, accountId));
  const state = await stateOf(ctx, accountId);
  const byId = new Map(all.map((i) => [i.id, i]));
  const wanted = ids ? ids.map((id) => resolveCreationId(id, ctx)) : [...byId.keys()];
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of wanted) {
    const found = byId.get(id);
    if (found) list.push(pick({ ...found }, properties));
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
}

export const identityChanges = (args: Args, ctx: MethodContext) => standardChanges('Identity', args, ctx);

/** A SetError for one record; a refused From address on create is RFC 8621's forbiddenFrom. */
function recordError(err: unknown, creating: boolean) {
  if (creating && err instanceof ServiceError && err.code === 'forbidden') return { type: 'forbiddenFrom', description: err.message };
  return setError(err);
}

export async function identitySet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  const create = readOptionalObject(args, 'create') ?? {};
  const update = readOptionalObject(args, 'update') ?? {};
  const destroy = readOptionalStringArray(args, 'destroy') ?? [];
  checkSetSize({ create, update, destroy }, MAX_OBJECTS_IN_SET);
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, unknown> = {};
  const updated: Record<string, unknown> = {};
  const notUpdated: Record<string, unknown> = {};
  const destroyed: string[] = [];
  const notDestroyed: Record<string, unknown> = {};

  for (const [cid, raw] of Object.entries(create)) {
    try {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MethodError('invalidProperties', 'an Identity must be an object');
      const made = await ctx.services.identities.create(owner(ctx, accountId), readIdentityInput(raw as Record<string, unknown>, true));
      ctx.createdIds.set(cid, made.id);
      // Server-set and defaulted properties the client did not send (RFC 8620 §5.3).
      created[cid] = { id: made.id, mayDelete: made.mayDelete, ...Object.fromEntries(PROPERTIES.filter((p) => !(p in raw)).map((p) => [p, made[p as keyof typeof made]])) };
    } catch (err) {
      notCreated[cid] = recordError(err, true);
    }
  }
  for (const [rawId, patch] of Object.entries(update)) {
    let id = rawId;
    try {
      id = resolveCreationId(rawId, ctx);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new MethodError('invalidPatch', 'a patch must be an object');
      await ctx.services.identities.update(accountId, id, readIdentityInput(patch as Record<string, unknown>, false));
      updated[id] = null;
    } catch (err) {
      notUpdated[id] = recordError(err, false);
    }
  }
  for (const rawId of destroy) {
    let id = rawId;
    try {
      id = resolveCreationId(rawId, ctx);
      await ctx.services.identities.destroy(accountId, id);
      destroyed.push(id);
    } catch (err) {
      notDestroyed[id] = recordError(err, false);
    }
  }
  return { accountId, oldState, newState: await stateOf(ctx, accountId), created, updated, destroyed, notCreated, notUpdated, notDestroyed };
}

/** RFC 8621 puts Identity under the submission capability. */
export function registerIdentityMethods(registry: MethodRegistry): void {
  registry.set('Identity/get', { capability: SUBMISSION, handler: identityGet });
  registry.set('Identity/changes', { capability: SUBMISSION, handler: identityChanges });
  registry.set('Identity/set', { capability: SUBMISSION, handler: identitySet });
}
