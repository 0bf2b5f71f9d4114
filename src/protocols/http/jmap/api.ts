import type { FastifyError } from 'fastify';
import type { CapabilityEnv } from '../../jmap/core/capabilities.ts';
import { upstreamOf } from '../../jmap/core/forward.ts';
import { processRequest } from '../../jmap/core/process.ts';
import { limitProblem, requestProblem } from '../../jmap/core/problems.ts';
import { sessionState } from '../../jmap/core/session.ts';
import type { MethodRegistry } from '../../jmap/types.ts';
import type { App, RouteDeps } from '../app.ts';
import { ConcurrencyLimit } from './concurrency.ts';
import { poolIds, principalOf, requireUser } from './principal.ts';
import { sendJmapProblem } from './problem.ts';
import { needs } from '../route-permission.ts';

const isJsonType = (header: string | undefined) => header?.split(';')[0].trim().toLowerCase() === 'application/json';

/** POST /jmap (RFC 8620 §3.1), in its own scope so its body handling touches no other route. */
export async function apiRoutes(app: App, { auth, services }: RouteDeps, registry: MethodRegistry, env: CapabilityEnv): Promise<void> {
  const { limits } = env;
  const concurrent = new ConcurrencyLimit(limits.maxConcurrentRequests);

  // The body stays bytes: the engine decides notJSON itself, whatever content type was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxSizeRequest }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendJmapProblem(reply, limitProblem('maxSizeRequest', `the request is larger than the limit of ${limits.maxSizeRequest} bytes`));
    }
    throw err; // the app's handler renders auth and every other failure
  });

  app.post('/jmap', { ...needs('jmap-authenticate'), schema: { hide: true }, onRequest: requireUser(auth) }, async (req, reply) => {
    const principal = principalOf(req);
    if (!isJsonType(req.headers['content-type'])) {
      return sendJmapProblem(reply, requestProblem('notJSON', 'the request must have content type application/json'));
    }
    const release = concurrent.tryAcquire(principal.id);
    if (!release) {
      return sendJmapProblem(reply, limitProblem('maxConcurrentRequests', `at most ${limits.maxConcurrentRequests} API requests may run at once`));
    }
    try {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const upstream = await upstreamOf(principal, services);
      const result = await processRequest(body, { principal, services, accountIds: new Set(poolIds(principal)) }, registry, limits, {
        sessionState: () => sessionState(principal, registry, env, upstream?.accounts),
        log: req.log,
        upstream,
      });
      if (!result.ok) return sendJmapProblem(reply, result.body);
      return reply.type('application/json').send(result.body);
    } finally {
      release();
    }
  });
}
