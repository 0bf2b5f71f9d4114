import type { EmailCopy } from '../../../services/mail/copy.ts';
import { checkSetSize, errorObject, methodErrorFor, readBoolean, readObject, readOptionalString, requireCopyAccounts, resolveCreationId } from '../core/index.ts';
import { MAX_OBJECTS_IN_SET } from '../core/limits.ts';
import { isPlainObject } from '../core/request.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { checkIfInState, stateOf, VISIBLE } from './common.ts';
import { emailSet } from './email.ts';
import { readPlacement } from './email-create.ts';
import { emailBlobId } from './email-view.ts';
import { setError } from './set-errors.ts';

// RFC 8621 §4.7: a copy cannot change the message, only where it is filed and how it is marked.
const SETTABLE = new Set(['id', 'mailboxIds', 'keywords', 'receivedAt']);

function readCopy(value: unknown, ctx: MethodContext): EmailCopy {
  if (!isPlainObject(value)) throw new MethodError('invalidProperties', 'an email to copy must be an object');
  const fixed = Object.keys(value).filter((k) => !SETTABLE.has(k));
  if (fixed.length > 0) throw new MethodError('invalidProperties', 'only mailboxIds, keywords and receivedAt can be set on a copy', { properties: fixed });
  if (typeof value.id !== 'string') throw new MethodError('invalidProperties', 'id (the email to copy) is required', { properties: ['id'] });
  // Without mailboxIds the copy would keep the original's, which belong to the other account.
  return { id: resolveCreationId(value.id, ctx), ...readPlacement(value, ctx) };
}

const orNull = (map: Record<string, unknown>) => (Object.keys(map).length > 0 ? map : null);

/**
 * Email/copy (RFC 8621 §4.7, RFC 8620 §5.4) between two accounts of the pool. The copies share
 * the originals' stored messages. With onSuccessDestroyOriginal, an implicit Email/set in the
 * source account destroys the originals that were copied; its response follows this one.
 */
export async function emailCopy(args: Args, ctx: MethodContext): Promise<[string, Args][]> {
  const { fromAccountId, accountId } = requireCopyAccounts(args, ctx);
  const create = readObject(args, 'create');
  checkSetSize({ create }, MAX_OBJECTS_IN_SET);
  const destroyOriginals = readBoolean(args, 'onSuccessDestroyOriginal', false);
  const destroyFromIfInState = readOptionalString(args, 'destroyFromIfInState');
  await checkIfInState(args, ctx, fromAccountId, 'ifFromInState');
  const oldState = await checkIfInState(args, ctx, accountId);

  const created: Record<string, unknown> = {};
  const notCreated: Record<string, unknown> = {};
  const wanted: [creationId: string, copy: EmailCopy][] = [];
  for (const [cid, value] of Object.entries(create)) {
    try {
      wanted.push([cid, readCopy(value, ctx)]);
    } catch (err) {
      notCreated[cid] = setError(err);
    }
  }
  const results = await ctx.services.messages.copy(fromAccountId, accountId, wanted.map(([, copy]) => copy), VISIBLE);
  const copiedOriginals = new Set<string>();
  results.forEach((result, i) => {
    const [cid, copy] = wanted[i];
    if (result.status === 'rejected') {
      notCreated[cid] = setError(result.reason);
      return;
    }
    const email = result.value;
    ctx.createdIds.set(cid, email.id);
    created[cid] = { id: email.id, blobId: emailBlobId(email.blob_id), threadId: email.thread_id, size: email.size };
    copiedOriginals.add(copy.id);
  });

  const responses: [string, Args][] = [
    ['Email/copy', { fromAccountId, accountId, oldState, newState: await stateOf(ctx, accountId), created: orNull(created), notCreated: orNull(notCreated) }],
  ];
  if (destroyOriginals && copiedOriginals.size > 0) {
    responses.push(await implicitEmailSet({ accountId: fromAccountId, ifInState: destroyFromIfInState, destroy: [...copiedOriginals] }, ctx));
  }
  return responses;
}

/**
 * The Email/set a method makes on success (Email/copy's onSuccessDestroyOriginal, RFC 8620 §5.4;
 * EmailSubmission/set's onSuccess*Email, RFC 8621 §7.5): its refusal is an error response of its own.
 */
export async function implicitEmailSet(args: Args, ctx: MethodContext): Promise<[string, Args]> {
  try {
    return ['Email/set', await emailSet(args, ctx)];
  } catch (err) {
    const known = methodErrorFor(err);
    if (!known) throw err;
    return ['error', errorObject(known)];
  }
}
