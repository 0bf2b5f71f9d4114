import type { ListenerContext } from '../../../shared/listener.ts';
import type { App } from '../../app.ts';
import { Cors } from '../../cors.ts';
import { RateLimiter } from '../../rate-limit.ts';
import { needs } from '../../route-permission.ts';
import { identify, requireUser, tokenRoutes } from './auth.ts';
import { emailRoutes } from './emails.ts';
import { detail, FORBIDDEN, handleError, NOT_FOUND, sendError } from './errors.ts';
import { serverRoutes } from './servers.ts';

const HOUR_MS = 3_600_000;

// One set of counters per running server, shared by the /compat mount and the own listener.
const limiters = new WeakMap<object, RateLimiter>();

/**
 * The Simple IMAP2API REST API (seed 004) over the user's mirrored accounts: its paths and
 * shapes, token authentication, hourly rate limits and CORS. Mounted under /compat/imap2api and,
 * with imap2apiPort, at the root of its own listener. The routes are served under /api/ as the
 * seed lists them and under /api/v1/, the versioned form it also promises.
 */
export async function registerImap2Api(app: App, ctx: ListenerContext): Promise<void> {
  const { services, config } = ctx;
  const limiter = limiters.get(services) ?? new RateLimiter(HOUR_MS);
  limiters.set(services, limiter);
  const cors = new Cors({
    origins: config.imap2apiCorsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    headers: ['accept', 'authorization', 'content-type', 'x-requested-with'],
    expose: ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
    maxAgeSeconds: 86_400,
  });

  // The seed's document is this API's reference; Gannet's OpenAPI describes the native API.
  // Its errors are DRF's, so it checks each route's permission itself (ADR 0027).
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
    route.config = { ...route.config, ownAuth: true };
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_req, reply) => sendError(reply, detail(404, NOT_FOUND)));
  // DRF parses form posts as well as JSON (curl -d 'username=…&password=…').
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.addHook('onRequest', async (req, reply) => {
    cors.decorate(req, reply);
    const principal = await identify(req, services);
    const [key, limit] = principal ? [`user:${principal.id}`, config.imap2apiUserRateLimit] : [`ip:${req.ip}`, config.imap2apiAnonRateLimit];
    if (limit === 0) return;
    // A preflight carries no credentials: it is answered without spending anyone's budget.
    const state = req.method === 'OPTIONS' ? limiter.peek(key, limit) : limiter.hit(key, limit);
    reply.header('x-ratelimit-limit', String(limit));
    reply.header('x-ratelimit-remaining', String(state.remaining));
    reply.header('x-ratelimit-reset', String(Math.ceil(state.resetAt / 1000)));
    if (!state.allowed) {
      const wait = Math.max(1, Math.ceil((state.resetAt - Date.now()) / 1000));
      reply.header('retry-after', String(wait));
      return sendError(reply, detail(429, `Request was throttled. Expected available in ${wait} seconds.`));
    }
    const { permission } = req.routeOptions.config;
    if (permission === undefined || permission === 'public') return;
    if (!requireUser(req).permissions.has(permission)) throw detail(403, FORBIDDEN);
  });
  app.options('/*', needs('public'), async (_req, reply) => reply.code(204).send());

  tokenRoutes(app, services);
  for (const prefix of ['/api', '/api/v1']) {
    await app.register(
      async (api) => {
        serverRoutes(api as unknown as App, ctx);
        emailRoutes(api as unknown as App, ctx);
      },
      { prefix },
    );
  }
}
