import { EmailSubmissionRefused, type Envelope } from '../../../services/submission/email-submissions.ts';
import type { SubmissionFilter, SubmissionSortColumn } from '../../../store/repos/email-submissions.ts';
import { checkIds, listWindow, readOptionalObject, readOptionalStringArray, requireAccount, resolveCreationId, runSet, SUBMISSION } from '../core/index.ts';
import { isPlainObject } from '../core/request.ts';
import { checkCollation, checkIfInState, MAX_IDS, standardChanges, stateOf, selectForGet } from '../mail/common.ts';
import { implicitEmailSet } from '../mail/email-copy.ts';
import { listQueryChanges } from '../mail/query-changes.ts';
import { setError } from '../mail/set-errors.ts';
import { VISIBLE } from '../mail/common.ts';
import { MethodError, type Args, type MethodContext, type MethodRegistry } from '../types.ts';

const PROPERTIES = ['id', 'identityId', 'emailId', 'threadId', 'envelope', 'sendAt', 'undoStatus', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds'];
const SORTS: Record<string, SubmissionSortColumn> = { emailId: 'email_id', threadId: 'thread_id', sentAt: 'send_at' };

const invalidProperty = (property: string, description: string) => ({ type: 'invalidProperties', description, properties: [property] });

export async function emailSubmissionGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = checkIds(args.ids, MAX_IDS);
  const properties = readOptionalStringArray(args, 'properties');
  for (const p of properties ?? []) if (!PROPERTIES.includes(p)) throw new MethodError('invalidArguments', `unknown property ${p}`);
  const state = await stateOf(ctx, accountId);
  const all = await ctx.services.emailSubmissions.list(accountId, ids ? ids.map((id) => resolveCreationId(id, ctx)) : null);
  return { accountId, state, ...selectForGet(all, ids, properties, ctx) };
}

export const emailSubmissionChanges = (args: Args, ctx: MethodContext) => standardChanges('EmailSubmission', args, ctx);

function readIdList(filter: Args, name: string): string[] | undefined {
  const v = filter[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new MethodError('invalidArguments', `filter ${name} must be an array of ids`);
  return v as string[];
}

function readDate(filter: Args, name: string): number | undefined {
  const v = filter[name];
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new MethodError('invalidArguments', `filter ${name} must be a UTCDate`);
  return ms;
}

/** The ids an EmailSubmission/query (RFC 8621 §7.3) selects, in order; one condition, no operators. */
async function results(args: Args, ctx: MethodContext, accountId: string): Promise<string[]> {
  const raw = readOptionalObject(args, 'filter') ?? {};
  for (const key of Object.keys(raw)) {
    if (!['identityIds', 'emailIds', 'threadIds', 'undoStatus', 'before', 'after'].includes(key)) throw new MethodError('unsupportedFilter', `filter ${key} is not supported`);
  }
  if (raw.undoStatus !== undefined && typeof raw.undoStatus !== 'string') throw new MethodError('invalidArguments', 'filter undoStatus must be a string');
  const filter: SubmissionFilter = {
    identityIds: readIdList(raw, 'identityIds'),
    emailIds: readIdList(raw, 'emailIds')?.map((id) => resolveCreationId(id, ctx)),
    threadIds: readIdList(raw, 'threadIds'),
    undoStatus: raw.undoStatus as string | undefined,
    before: readDate(raw, 'before'),
    after: readDate(raw, 'after'),
  };
  const sort = args.sort ?? [];
  if (!Array.isArray(sort)) throw new MethodError('invalidArguments', 'sort must be an array');
  const order = sort.map((s: { property?: unknown; isAscending?: unknown; collation?: unknown }) => {
    checkCollation(s);
    const column = typeof s.property === 'string' ? SORTS[s.property] : undefined;
    if (!column) throw new MethodError('unsupportedSort', `cannot sort by ${String(s.property)}`);
    return { column, asc: s.isAscending !== false };
  });
  return ctx.services.emailSubmissions.query(accountId, filter, order);
}

export async function emailSubmissionQuery(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const all = await results(args, ctx, accountId);
  return { accountId, queryState: await stateOf(ctx, accountId), canCalculateChanges: true, ...listWindow(all, args, MAX_IDS) };
}

export async function emailSubmissionQueryChanges(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  return listQueryChanges('EmailSubmission', await results(args, ctx, accountId), args, ctx, accountId);
}

function readAddress(v: unknown, property: string): Envelope['mailFrom'] {
  if (!isPlainObject(v) || typeof v.email !== 'string') throw invalidProperty(property, `${property} must be an Address object with an email`);
  const parameters = v.parameters ?? null;
  if (parameters !== null && (!isPlainObject(parameters) || Object.values(parameters).some((p) => p !== null && typeof p !== 'string'))) {
    throw invalidProperty(property, 'parameters must be null or an object of strings and nulls');
  }
  return { email: v.email, parameters: parameters as Envelope['mailFrom']['parameters'] };
}

function readEnvelope(v: unknown): Envelope | null {
  if (v === undefined || v === null) return null;
  if (!isPlainObject(v) || !Array.isArray(v.rcptTo)) throw invalidProperty('envelope', 'envelope must have mailFrom and rcptTo');
  return { mailFrom: readAddress(v.mailFrom, 'envelope/mailFrom'), rcptTo: v.rcptTo.map((r, i) => readAddress(r, `envelope/rcptTo/${i}`)) };
}

function recordError(err: unknown) {
  if (err instanceof EmailSubmissionRefused) return { type: err.type, description: err.message, ...err.extra };
  return setError(err);
}

/** The Email/set that onSuccessUpdateEmail and onSuccessDestroyEmail ask for (RFC 8621 §7.5). */
function followUp(args: Args, sent: Map<string, string>, created: Record<string, unknown>): { update: Args; destroy: string[] } {
  // Keys are EmailSubmission ids, or "#" and the creation id of one created by this call.
  const submissionId = (key: string) => (key.startsWith('#') ? (created[key.slice(1)] as { id?: string } | undefined)?.id : key);
  const update: Args = {};
  for (const [key, patch] of Object.entries(readOptionalObject(args, 'onSuccessUpdateEmail') ?? {})) {
    const emailId = sent.get(submissionId(key) ?? '');
    if (emailId) update[emailId] = patch;
  }
  const destroy = (readOptionalStringArray(args, 'onSuccessDestroyEmail') ?? []).map((key) => sent.get(submissionId(key) ?? '')).filter((id): id is string => id !== undefined);
  return { update, destroy };
}

export async function emailSubmissionSet(args: Args, ctx: MethodContext): Promise<[string, Args][]> {
  const accountId = requireAccount(args, ctx);
  const oldState = await checkIfInState(args, ctx, accountId);
  // Submissions that succeeded here → their email, for the implicit Email/set.
  const sent = new Map<string, string>();
  const outcome = await runSet(args, ctx, {
    create: async (_cid, raw) => {
      const unknown = Object.keys(raw).filter((k) => !['identityId', 'emailId', 'envelope', 'undoStatus'].includes(k));
      if (unknown.length) throw { type: 'invalidProperties', description: 'unknown or server-set properties', properties: unknown };
      if (typeof raw.identityId !== 'string') throw invalidProperty('identityId', 'identityId is required');
      if (typeof raw.emailId !== 'string') throw invalidProperty('emailId', 'emailId is required');
      // Gannet sends at once (maxDelayedSend 0): a pending submission cannot be made.
      if (raw.undoStatus !== undefined && raw.undoStatus !== 'final') throw invalidProperty('undoStatus', 'only final submissions can be made');
      const envelope = readEnvelope(raw.envelope);
      const made = await ctx.services.emailSubmissions.create(
        ctx.principal,
        accountId,
        { identityId: resolveCreationId(raw.identityId, ctx), emailId: resolveCreationId(raw.emailId, ctx), envelope },
        VISIBLE,
      );
      sent.set(made.id, made.emailId);
      const { id, threadId, sendAt, undoStatus, deliveryStatus, dsnBlobIds, mdnBlobIds } = made;
      return { id, threadId, sendAt, deliveryStatus, dsnBlobIds, mdnBlobIds, ...('undoStatus' in raw ? {} : { undoStatus }), ...(envelope ? {} : { envelope: made.envelope }) };
    },
    update: async (id, patch) => {
      const unknown = Object.keys(patch).filter((k) => k !== 'undoStatus');
      if (unknown.length) throw { type: 'invalidProperties', description: 'only undoStatus can be changed', properties: unknown };
      await ctx.services.emailSubmissions.update(accountId, id, patch.undoStatus as string | undefined);
      const [record] = await ctx.services.emailSubmissions.list(accountId, [id]);
      sent.set(id, record.emailId);
      return null;
    },
    destroy: (id) => ctx.services.emailSubmissions.destroy(accountId, id),
    error: recordError,
  });
  const responses: [string, Args][] = [['EmailSubmission/set', { accountId, oldState, newState: await stateOf(ctx, accountId), ...outcome }]];
  const { update, destroy } = followUp(args, sent, outcome.created);
  if (Object.keys(update).length > 0 || destroy.length > 0) responses.push(await implicitEmailSet({ accountId, update, destroy }, ctx));
  return responses;
}

export function registerSubmissionMethods(registry: MethodRegistry): void {
  registry.set('EmailSubmission/get', { capability: SUBMISSION, handler: emailSubmissionGet });
  registry.set('EmailSubmission/changes', { capability: SUBMISSION, handler: emailSubmissionChanges });
  registry.set('EmailSubmission/query', { capability: SUBMISSION, handler: emailSubmissionQuery });
  registry.set('EmailSubmission/queryChanges', { capability: SUBMISSION, handler: emailSubmissionQueryChanges });
  registry.set('EmailSubmission/set', { capability: SUBMISSION, handler: emailSubmissionSet });
}
