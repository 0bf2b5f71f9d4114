import type { Listener, ListenerContext } from '../../../shared/listener.ts';
import { httpApp, type App } from '../../app.ts';
import { registerImap2Api } from './index.ts';

/** IMAP2API at the root of its own port, for clients that cannot be told a path prefix. */
export async function startImap2Api(ctx: ListenerContext): Promise<Listener> {
  const app = httpApp(ctx, 'imap2api');
  await app.register(async (scope) => registerImap2Api(scope as unknown as App, ctx));
  await app.listen({ host: ctx.config.listenAddress, port: ctx.config.imap2apiPort });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : ctx.config.imap2apiPort;
  return { name: 'imap2api', address: ctx.config.listenAddress, port, close: () => app.close() };
}
