import { readIdentityInput } from '../../../services/identities/index.ts';
import { ServiceError } from '../../../services/errors.ts';
import { checkIds, readOptionalStringArray, requireAccount, runSet, SUBMISSION } from '../core/index.ts';
import { checkIfInState, MAX_IDS, standardChanges, stateOf, selectForGet } from '../mail/common.ts';
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
  return { accountId, state, ...selectForGet(all, ids, properties, ctx) };
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
  const outcome = await runSet(args, ctx, {
    create: async (_cid, raw) => {
      const made = await ctx.services.identities.create(owner(ctx, accountId), readIdentityInput(raw, true));
      // Server-set and defaulted properties the client did not send (RFC 8620 §5.3).
      return { id: made.id, mayDelete: made.mayDelete, ...Object.fromEntries(PROPERTIES.filter((p) => !(p in raw)).map((p) => [p, made[p as keyof typeof made]])) };
    },
    update: async (id, patch) => {
      await ctx.services.identities.update(accountId, id, readIdentityInput(patch, false));
      return null;
    },
    destroy: (id) => ctx.services.identities.destroy(accountId, id),
    error: (err, op) => recordError(err, op === 'create'),
  });
  return { accountId, oldState, newState: await stateOf(ctx, accountId), ...outcome };
}

/** RFC 8621 puts Identity under the submission capability. */
export function registerIdentityMethods(registry: MethodRegistry): void {
  registry.set('Identity/get', { capability: SUBMISSION, handler: identityGet });
  registry.set('Identity/changes', { capability: SUBMISSION, handler: identityChanges });
  registry.set('Identity/set', { capability: SUBMISSION, handler: identitySet });
}
