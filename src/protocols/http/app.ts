import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from '../../services/errors.ts';
import type { ListenerContext } from '../shared/listener.ts';
import { HttpAuth } from './auth.ts';
import { problemFor, sendProblem } from './problem.ts';
import { pdpaRoutes } from './pdpa/routes.ts';
import { registerImap2Api } from './compat/imap2api/index.ts';
import { registerStalwart } from './compat/stalwart/index.ts';
import { stalwartOAuthRoutes } from './compat/stalwart/oauth.ts';
import { principalRoutes as stalwartPrincipals } from './compat/stalwart/principals.ts';
import { registerJmap } from './jmap/index.ts';
import { registerOAuth } from './oauth/index.ts';
import { registerRest } from './rest/index.ts';
import { errors, SHARED_SCHEMAS } from './rest/schemas.ts';
import { fieldErrors, validatorCompiler } from './validation.ts';
import { apiGuard, guardRoutes } from './guard.ts';
import { needs, trackRoutePermissions } from './route-permission.ts';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface RouteDeps extends ListenerContext {
  auth: HttpAuth;
}

const JSON_BODY_LIMIT = 1024 * 1024;

/** A Fastify app with what every HTTP listener shares: logging, body limit, validation, request metrics. */
export function httpApp(ctx: ListenerContext, listener: string): App {
  const app = Fastify({
    // Fastify's own info lines ("Server listening at …" per interface) duplicate ours: at the
    // info level keep only its warnings and errors; debug and trace still show everything.
    loggerInstance: ctx.logger.child({ listener }, { level: ctx.logger.level === 'info' ? 'warn' : ctx.logger.level }) as FastifyBaseLogger,
    // Per-request lines would drown the mail logs; metrics carry request counts and latency.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    routerOptions: { maxParamLength: 1024 },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  return app;
}

/** The HTTP API on the main port: REST, JMAP, PDPA and the seed compatibility surfaces. */
export async function buildHttpApp(ctx: ListenerContext): Promise<App> {
  const app = httpApp(ctx, 'http');
  trackRoutePermissions(app);
  const auth = new HttpAuth(ctx.services);
  guardRoutes(app, apiGuard(auth, ctx.config));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  // Raw messages are uploaded as bytes and must reach ingest untouched.
  app.addContentTypeParser(['message/rfc822', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: ctx.config.maxMessageSize + 1 }, (_req, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ServiceError) {
      if (err.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer realm="gannet", Basic realm="gannet", charset="UTF-8"');
      return sendProblem(reply, problemFor(err.code, err.message, err.fields));
    }
    const e = err as Error & { validation?: unknown; validationContext?: string; statusCode?: number; code?: string };
    if (e.validation) {
      const fields = fieldErrors(e.validation as never, e.validationContext);
      return sendProblem(reply, problemFor('invalid', `invalid ${e.validationContext ?? 'request'}: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`, fields));
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, problemFor('tooLarge', e.message));
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, { ...problemFor('invalid', e.message), status: 415, title: 'Unsupported media type' });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendProblem(reply, { ...problemFor('invalid', e.message), status: e.statusCode });
    req.log.error({ err }, 'request failed');
    return sendProblem(reply, { type: 'urn:gannet:problem:internal', title: 'Internal server error', status: 500, detail: 'the server failed to process the request; it has been logged' });
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, problemFor('notFound', `no route ${req.method} ${req.url.split('?')[0]}`)));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gannet API', version: '1', description: 'Native REST API of the Gannet mail server. Errors are RFC 9457 problem details.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Admin token, or a user token from POST /api/v1/auth/token' },
          basic: { type: 'http', scheme: 'basic', description: 'A user\'s login name (or any address) and password' },
        },
      },
      security: [{ bearer: [] }, { basic: [] }],
    },
    // The permission each operation needs, from the same declaration the guard enforces.
    transform: ({ schema, url, route }) => {
      const permission = route.config?.permission;
      if (permission === undefined) return { schema, url };
      // Every guarded operation can also be refused for missing credentials or permission, and each can be rate limited.
      const refusals = errors(...(permission === 'public' ? [429] : [401, 403, 429]));
      const response = schema.response ? { ...refusals, ...(schema.response as object) } : undefined;
      const alternative = route.config?.byType ? { 'x-permission-alternative': `the object type's own permission: ${permission.replace(/^principal-/, '<type>-')}` } : {};
      return { schema: { ...schema, 'x-permission': permission, ...alternative, ...(response ? { response } : {}), ...(permission === 'public' ? { security: [] } : {}) } as unknown as typeof schema, url };
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // The documentation is read before signing in.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, permission: 'public' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { ...needs('public'), schema: { hide: true } }, async () => app.swagger());

  const deps: RouteDeps = { ...ctx, auth };
  await app.register(async (api) => registerRest(api as unknown as App, deps), { prefix: '/api/v1' });
  await app.register(async (j) => registerJmap(j as unknown as App, deps));
  await app.register(async (p) => pdpaRoutes(p as unknown as App, deps));
  await app.register(async (o) => registerOAuth(o as unknown as App, deps));
  await app.register(async (c) => registerImap2Api(c as unknown as App, deps), { prefix: '/compat/imap2api' });
  await app.register(async (c) => registerStalwart(c as unknown as App, deps), { prefix: '/compat/stalwart/api' });
  await app.register(async (c) => stalwartOAuthRoutes(c as unknown as App, deps), { prefix: '/compat/stalwart/api' });
  await app.register(async (c) => stalwartPrincipals(c as unknown as App, deps), { prefix: '/compat/stalwart/api' });
  return app;
}
