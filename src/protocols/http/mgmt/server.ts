import Fastify from 'fastify';
import type { Listener, ListenerContext } from '../../shared/listener.ts';

/**
 * The management listener (loopback by default): liveness/readiness and Prometheus metrics.
 * Kept apart from the public port so scraping and health checks need no credentials.
 */
export async function startMgmt(ctx: ListenerContext): Promise<Listener> {
  const app = Fastify({ logger: false });
  const started = Date.now();
  app.get('/healthz', async (_req, reply) => {
    try {
      await ctx.services.changes.current('');
      return { status: 'ok', uptime: Math.round((Date.now() - started) / 1000), pid: process.pid };
    } catch (err) {
      return reply.code(503).send({ status: 'error', detail: (err as Error).message });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  await app.listen({ host: ctx.config.mgmtAddress, port: ctx.config.mgmtPort });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ctx.config.mgmtPort;
  return { name: 'mgmt', address: ctx.config.mgmtAddress, port, close: () => app.close() };
}
