import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Config } from '../../config/schema.ts';
import type { Caller } from '../../services/auth/tokens.ts';
import { ServiceError } from '../../services/errors.ts';
import { holds, type HttpAuth } from './auth.ts';
import { sendProblem } from './problem.ts';
import { RateLimiter, type RateState } from './rate-limit.ts';

/**
 * Whose budget a request spends: a bearer token by its hash (each token its own budget, so a
 * leaked one can be throttled without the owner's others), a Basic login by its principal.
 */
function credentialKey(req: FastifyRequest, caller: Caller): string {
  const [scheme, ...rest] = (req.headers.authorization ?? '').split(' ');
  if (/^bearer$/i.test(scheme)) return 'token:' + createHash('sha256').update(rest.join(' ').trim()).digest('hex');
  return caller.kind === 'user' ? `principal:${caller.principal.id}` : caller.kind === 'key' ? `key:${caller.id}` : 'admin';
}

function setHeaders(reply: FastifyReply, state: RateState, windowSeconds: number, now: number): void {
  const resetIn = Math.max(0, Math.ceil((state.resetAt - now) / 1000));
  reply.header('ratelimit-limit', String(state.limit));
  reply.header('ratelimit-remaining', String(Math.max(0, state.remaining)));
  reply.header('ratelimit-reset', String(resetIn));
  reply.header('ratelimit-policy', `${state.limit};w=${windowSeconds}`);
  reply.header('x-ratelimit-limit', String(state.limit));
  reply.header('x-ratelimit-remaining', String(Math.max(0, state.remaining)));
  reply.header('x-ratelimit-reset', String(Math.ceil(state.resetAt / 1000)));
}

/**
 * Puts the guard first among each route's own onRequest hooks. Route hooks run after the
 * scope's, so plugins that prepare a request in an onRequest hook (the WebSocket plugin marks
 * upgrades there, and closes a refused upgrade's socket only if it did) see every request the
 * guard refuses.
 */
export function guardRoutes(app: FastifyInstance, guard: onRequestHookHandler): void {
  app.addHook('onRoute', (route) => {
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [guard, ...own];
  });
}

/**
 * The onRequest hook of every route of the HTTP API (ADR 0027): it identifies the caller, spends
 * one request of the caller's budget, then checks the permission the route declares. It runs
 * before the body is read, so neither an over-budget client nor one without the permission
 * gets to upload anything. Credentials that fail count against the client's address: trying
 * made-up tokens does not buy fresh budgets.
 */
export function apiGuard(auth: HttpAuth, config: Pick<Config, 'apiRateLimit' | 'apiAnonRateLimit' | 'apiRateLimitWindowSeconds'>) {
  const windowSeconds = config.apiRateLimitWindowSeconds;
  const limiter = new RateLimiter(windowSeconds * 1000);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    const { permission, ownAuth, byType, clientAuth } = req.routeOptions.config;
    if (ownAuth) return;
    let caller: Caller | null = null;
    let failure: unknown = null;
    if (req.headers.authorization && !clientAuth) {
      try {
        caller = await auth.authenticate(req);
      } catch (err) {
        failure = err;
      }
    }
    if (!caller || !holds(caller, 'unlimited-requests')) {
      const [key, limit] = caller ? [credentialKey(req, caller), config.apiRateLimit] : [`ip:${req.ip}`, config.apiAnonRateLimit];
      if (limit > 0) {
        const now = Date.now();
        const state = limiter.hit(key, limit, now);
        setHeaders(reply, state, windowSeconds, now);
        if (!state.allowed) {
          const wait = Math.max(1, Math.ceil((state.resetAt - now) / 1000));
          reply.header('retry-after', String(wait));
          sendProblem(reply, {
            type: 'urn:gannet:problem:rate-limited',
            title: 'Too many requests',
            status: 429,
            detail: `at most ${limit} requests per ${windowSeconds} s ${caller ? 'with these credentials' : 'from this address without valid credentials'}; try again in ${wait} s`,
          });
          return reply;
        }
      }
    }
    if (permission === 'public') return;
    // trackRoutePermissions keeps such a route from starting; should one slip through, it is closed.
    if (permission === undefined) throw new ServiceError('forbidden', 'this route declares no permission');
    if (failure) throw failure;
    if (byType) await auth.authenticate(req);
    else await auth.require(req, permission);
  };
}
