import { readVacationPatch } from '../../../services/vacation/settings.ts';
import { checkIds, readOptionalStringArray, requireAccount, runSet, VACATION_RESPONSE } from '../core/index.ts';
import { checkIfInState, MAX_IDS, pick, stateOf } from '../mail/common.ts';
import { setError } from '../mail/set-errors.ts';
import { MethodError, type Args, type MethodContext, type MethodRegistry } from '../types.ts';

const PROPERTIES = ['id', 'isEnabled', 'fromDate', 'toDate', 'subject', 'textBody', 'htmlBody'];
const ID = 'singleton';
const singleton = { type: 'singleton', description: 'there is exactly one VacationResponse, "singleton"; it can only be updated' };

/** VacationResponse/get (RFC 8621 §8.1): the one object, id "singleton". */
export async function vacationGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties');
  for (const p of properties ?? []) if (!PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown property ${p}`);
  const state = await stateOf(ctx, accountId);
  const view = await ctx.services.vacation.get(accountId);
  const wanted = ids ?? [ID];
  return {
    accountId,
    state,
    list: wanted.includes(ID) ? [pick({ ...view }, properties)] : [],
    notFound: [...new Set(wanted.filter((id) => id !== ID))],
  };
}

/** VacationResponse/set (RFC 8621 §8.2): only an update of "singleton"; create and destroy get `singleton`. */
export async function vacationSet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  const outcome = await runSet(args, ctx, {
    create: async () => {
      throw singleton;
    },
    update: async (id, patch) => {
      if (id !== ID) throw { type: 'notFound', description: `no VacationResponse ${id}; its id is "singleton"` };
      await ctx.services.vacation.update(accountId, readVacationPatch(patch));
      return null;
    },
    destroy: async () => {
      throw singleton;
    },
    error: (err) => setError(err),
  });
  return { accountId, oldState, newState: await stateOf(ctx, accountId), ...outcome };
}

export function registerVacationMethods(registry: MethodRegistry): void {
  registry.set('VacationResponse/get', { capability: VACATION_RESPONSE, handler: vacationGet });
  registry.set('VacationResponse/set', { capability: VACATION_RESPONSE, handler: vacationSet });
}
