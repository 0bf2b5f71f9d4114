import { MAX_OBJECTS_IN_SET } from './limits.ts';
import { readOptionalObject, readOptionalStringArray } from './args.ts';
import { checkSetSize, resolveCreationId } from './ids.ts';
import type { Args, MethodContext } from '../types.ts';

export interface SetOutcome {
  created: Record<string, unknown>;
  notCreated: Record<string, unknown>;
  updated: Record<string, unknown>;
  notUpdated: Record<string, unknown>;
  destroyed: string[];
  notDestroyed: Record<string, unknown>;
}

export interface SetHandlers {
  /** Makes one object; returns what the response reports for it (with its id). */
  create(creationId: string, value: Args): Promise<Args & { id: string }>;
  /** Changes one object; returns what the response reports (null when nothing the client did not send). */
  update(id: string, patch: Args): Promise<Args | null>;
  destroy(id: string): Promise<void>;
  /** A failure as a SetError (RFC 8620 §5.3); `op` lets creation errors differ from the others. */
  error(err: unknown, op: 'create' | 'update' | 'destroy'): unknown;
}

const asObject = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The create, update, destroy loop every /set shares (RFC 8620 §5.3): sizes bounded, creation
 * ids recorded for later calls and resolved in update/destroy keys, each object succeeding or
 * failing on its own.
 */
export async function runSet(args: Args, ctx: MethodContext, h: SetHandlers): Promise<SetOutcome> {
  const create = readOptionalObject(args, 'create') ?? {};
  const update = readOptionalObject(args, 'update') ?? {};
  const destroy = readOptionalStringArray(args, 'destroy') ?? [];
  checkSetSize({ create, update, destroy }, MAX_OBJECTS_IN_SET);
  const out: SetOutcome = { created: {}, notCreated: {}, updated: {}, notUpdated: {}, destroyed: [], notDestroyed: {} };
  for (const [cid, value] of Object.entries(create)) {
    try {
      if (!asObject(value)) throw { type: 'invalidProperties', description: 'an object to create must be a JSON object' };
      const made = await h.create(cid, value);
      ctx.createdIds.set(cid, made.id);
      out.created[cid] = made;
    } catch (err) {
      out.notCreated[cid] = isSetError(err) ? err : h.error(err, 'create');
    }
  }
  for (const [rawId, patch] of Object.entries(update)) {
    let id = rawId;
    try {
      id = resolveCreationId(rawId, ctx);
      if (!asObject(patch)) throw { type: 'invalidPatch', description: 'a patch must be an object' };
      out.updated[id] = await h.update(id, patch);
    } catch (err) {
      out.notUpdated[id] = isSetError(err) ? err : h.error(err, 'update');
    }
  }
  for (const rawId of destroy) {
    let id = rawId;
    try {
      id = resolveCreationId(rawId, ctx);
      await h.destroy(id);
      out.destroyed.push(id);
    } catch (err) {
      out.notDestroyed[id] = isSetError(err) ? err : h.error(err, 'destroy');
    }
  }
  return out;
}

/** A SetError object thrown as is (not an Error instance). */
function isSetError(err: unknown): boolean {
  return asObject(err) && !(err instanceof Error) && typeof err.type === 'string';
}
