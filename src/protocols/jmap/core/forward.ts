import type { Principal } from '../../../services/directory/pool.ts';
import type { Services } from '../../../services/index.ts';
import type { ForwardRequest, ForwardResponse, UpstreamAccount } from '../../../services/remote/jmap/proxy.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { errorObject, methodErrorFor } from './errors.ts';
import { resolveReferences } from './references.ts';
import type { Invocation } from './request.ts';

/** The accounts of a pool that another JMAP server holds (DESIGN.md §6: proxied, not mirrored). */
export interface Upstream {
  accounts: ReadonlyMap<string, UpstreamAccount>;
  /** Runs calls on the account's server, in Gannet's account ids both ways. */
  forward(accountId: string, request: ForwardRequest): Promise<ForwardResponse>;
}

/** The principal's proxied accounts, or undefined when the pool has none (the usual case). */
export async function upstreamOf(principal: Principal, services: Pick<Services, 'jmapProxy'>): Promise<Upstream | undefined> {
  if (!principal.accounts.some((a) => a.kind === 'jmap')) return undefined;
  const accounts = await services.jmapProxy.accounts(principal);
  return accounts.size ? { accounts, forward: (accountId, request) => services.jmapProxy.call(principal, accountId, request) } : undefined;
}

// References that decide where a call goes must be resolved before it can be routed.
const ROUTING_REFS = ['#accountId', '#fromAccountId'];

interface Batch {
  accountId: string;
  calls: Invocation[];
  callIds: Set<string>;
}

/**
 * Sends the calls of proxied accounts upstream. Consecutive calls of one account travel in one
 * request, so references between them and creation ids made among them resolve upstream as
 * they would here. A reference to any other response is resolved here before the call leaves,
 * and every creation id known so far goes along as the request's createdIds; the ones the
 * upstream made come back into ctx.createdIds for the calls after.
 */
export class Forwarder {
  private pending: Batch | null = null;

  constructor(
    private readonly upstream: Upstream,
    private readonly ctx: MethodContext,
    private readonly using: string[],
    /** The request's responses so far; the forwarded calls' responses are appended in order. */
    private readonly responses: Invocation[],
    private readonly log: { error(obj: object, msg: string): void },
  ) {}

  /** Takes the call if it belongs upstream (answering it at once when it cannot go); false for a local call. */
  async take([name, args, callId]: Invocation): Promise<boolean> {
    let routed = args;
    if (ROUTING_REFS.some((k) => Object.hasOwn(args, k))) {
      await this.flush();
      try {
        routed = resolveReferences(args, this.responses);
      } catch {
        return false; // the local engine reports the broken reference, as for any call
      }
    }
    const target = this.targetOf(routed);
    if (target === null) return false;
    if (target instanceof MethodError) return this.answer(callId, target);
    const max = this.upstream.accounts.get(target)!.maxCallsInRequest;
    if (this.pending && (this.pending.accountId !== target || this.pending.calls.length >= max)) await this.flush();
    let resolved: Args;
    try {
      resolved = resolveReferences(routed, this.responses, this.pending?.callIds);
    } catch (err) {
      if (!(err instanceof MethodError)) throw err;
      return this.answer(callId, err);
    }
    this.pending ??= { accountId: target, calls: [], callIds: new Set() };
    this.pending.calls.push([name, resolved, callId]);
    this.pending.callIds.add(callId);
    return true;
  }

  /** Sends the pending calls; a request that fails as a whole answers each of them with the error. */
  async flush(): Promise<void> {
    const batch = this.pending;
    if (!batch) return;
    this.pending = null;
    try {
      const res = await this.upstream.forward(batch.accountId, { using: this.using, methodCalls: batch.calls, createdIds: Object.fromEntries(this.ctx.createdIds) });
      for (const [creationId, id] of Object.entries(res.createdIds)) this.ctx.createdIds.set(creationId, id);
      this.responses.push(...res.methodResponses);
    } catch (err) {
      let error = methodErrorFor(err);
      if (!error) {
        this.log.error({ err, accountId: batch.accountId }, 'JMAP forwarding failed');
        error = new MethodError('serverFail', 'forwarding to the upstream JMAP server failed; the error has been logged');
      }
      for (const [, , callId] of batch.calls) this.responses.push(['error', errorObject(error), callId]);
    }
  }

  /** The proxied account the call is for, null for a local call, or why it can go nowhere. */
  private targetOf(args: Args): string | MethodError | null {
    const named = [args.accountId, args.fromAccountId].filter((v): v is string => typeof v === 'string');
    const proxied = named.find((id) => this.upstream.accounts.has(id));
    if (proxied === undefined) return null;
    if (named.every((id) => id === proxied)) return proxied;
    return new MethodError('invalidArguments', 'cross-server copy is not supported: fromAccountId and accountId are accounts of different servers');
  }

  private async answer(callId: string, err: MethodError): Promise<true> {
    await this.flush();
    this.responses.push(['error', errorObject(err), callId]);
    return true;
  }
}
