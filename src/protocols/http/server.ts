import type { Listener, ListenerContext } from '../shared/listener.ts';
import { buildHttpApp } from './app.ts';

export async function startHttp(ctx: ListenerContext): Promise<Listener> {
  const app = await buildHttpApp(ctx);
  await app.listen({ host: ctx.config.listenAddress, port: ctx.config.httpPort });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ctx.config.httpPort;
  return { name: 'http', address: ctx.config.listenAddress, port, close: () => app.close() };
}
