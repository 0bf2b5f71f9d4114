import { readPushInput, type PushOwner } from '../../../services/push/index.ts';
import { checkIds, readOptionalStringArray, runSet } from '../core/index.ts';
import { MAX_IDS, selectForGet } from '../mail/common.ts';
import { setError } from '../mail/set-errors.ts';
import { CORE, MethodError, type Args, type MethodContext, type MethodRegistry } from '../types.ts';

/** RFC 8620 §7.2.1: the default properties, which leave out url and keys. */
const PROPERTIES = ['id', 'deviceClientId', 'verificationCode', 'expires', 'types'];
const PRIVATE = ['url', 'keys'];

const owner = (ctx: MethodContext): PushOwner => ({ id: ctx.principal.id, accountId: ctx.principal.accountId });

// Not tied to an account, so there is no accountId, state or ifInState (RFC 8620 §7.2.1, §7.2.2).
function refuseAccountArgs(args: Args, names: string[]): void {
  const bad = names.filter((n) => n in args);
  if (bad.length) throw new MethodError('invalidArguments', `PushSubscription methods do not take ${bad.join(', ')}`);
}

export async function pushSubscriptionGet(args: Args, ctx: MethodContext): Promise<Args> {
  refuseAccountArgs(args, ['accountId']);
  const ids = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties');
  for (const p of properties ?? []) {
    if (PRIVATE.includes(p)) throw new MethodError('forbidden', `${p} is never returned`);
    if (!PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown property ${p}`);
  }
  const all = await ctx.services.push.list(owner(ctx));
  return selectForGet(all, ids, properties, ctx);
}

export async function pushSubscriptionSet(args: Args, ctx: MethodContext): Promise<Args> {
  refuseAccountArgs(args, ['accountId', 'ifInState']);
  return { ...(await runSet(args, ctx, {
    create: async (_cid, input) => {
      const made = await ctx.services.push.create(owner(ctx), readPushInput(input, true));
      // The server sets id and may shorten expires; report those and defaults the client left out.
      return {
        id: made.id,
        expires: made.expires,
        ...(input.types === undefined ? { types: made.types } : {}),
        ...(input.verificationCode === undefined ? { verificationCode: null } : {}),
        ...(input.keys === undefined ? { keys: null } : {}),
      };
    },
    update: async (id, patch) => {
      const input = readPushInput(patch, false);
      const after = await ctx.services.push.update(owner(ctx), id, input);
      // Only a changed expiry is worth telling: the client knows what else it sent.
      return input.expires !== undefined && after.expires !== patch.expires ? { expires: after.expires } : null;
    },
    destroy: (id) => ctx.services.push.destroy(owner(ctx), id),
    error: (err) => setError(err),
  })) };
}

export function registerPushMethods(registry: MethodRegistry): void {
  registry.set('PushSubscription/get', { capability: CORE, handler: pushSubscriptionGet });
  registry.set('PushSubscription/set', { capability: CORE, handler: pushSubscriptionSet });
}
