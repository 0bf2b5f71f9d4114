import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { TlsMaterial } from '../../tls.ts';
import type { Listener, ListenerContext } from '../shared/listener.ts';
import { ImapConnection } from './connection.ts';

/**
 * The IMAP listeners: imapPort (clear text, STARTTLS offered) and imapsPort (TLS from the first
 * byte, RFC 8314). Closing a listener says BYE to every client still connected.
 */
export async function startImap(ctx: ListenerContext, tls: TlsMaterial): Promise<Listener[]> {
  const secureContext = createSecureContext({ key: tls.key, cert: tls.cert });
  const start = async (name: string, port: number, implicit: boolean): Promise<Listener> => {
    const open = new Set<ImapConnection>();
    const server: Server = createServer((raw: Socket) => {
      raw.setNoDelay(true);
      const socket = implicit ? new TLSSocket(raw, { isServer: true, secureContext }) : raw;
      socket.on('error', () => socket.destroy());
      const conn = new ImapConnection(socket, ctx, secureContext, () => open.delete(conn));
      open.add(conn);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, ctx.config.listenAddress, () => resolve());
    });
    const address = server.address();
    return {
      name,
      address: ctx.config.listenAddress,
      port: typeof address === 'object' && address ? address.port : port,
      async close() {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of open) c.shutdown();
        await closed;
      },
    };
  };
  return [await start('imap', ctx.config.imapPort, false), await start('imaps', ctx.config.imapsPort, true)];
}
