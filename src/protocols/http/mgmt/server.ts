import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { Listener, ListenerContext } from '../../shared/listener.ts';
import type { App } from '../app.ts';
import { proxyAccountRoutes } from '../compat/jmap-proxy/accounts.ts';
import { registerProxyMetrics } from '../compat/jmap-proxy/metrics.ts';
import { validatorCompiler } from '../validation.ts';

/**
 * The management listener (loopback by default): liveness, Prometheus metrics and the JMAP
 * proxy's accounts API. Kept apart from the public port so scraping and health checks need no
 * credentials.
 */
export async function startMgmt(ctx: ListenerContext): Promise<Listener> {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  const started = Date.now();
  registerProxyMetrics(ctx, started);
  // The JMAP proxy's shape (seed 000): children are the live sync workers of mirrored accounts.
  app.get('/healthz', async (_req, reply) => {
    try {
      await ctx.services.changes.current('');
      return { status: 'ok', uptime: Math.round((Date.now() - started) / 1000), children: ctx.services.mirrors.active, pid: process.pid };
    } catch (err) {
      return reply.code(503).send({ status: 'error', detail: (err as Error).message });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  await app.register(async (api) => proxyAccountRoutes(api as unknown as App, ctx));
  await app.listen({ host: ctx.config.mgmtAddress, port: ctx.config.mgmtPort });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ctx.config.mgmtPort;
  return { name: 'mgmt', address: ctx.config.mgmtAddress, port, close: () => app.close() };
}
