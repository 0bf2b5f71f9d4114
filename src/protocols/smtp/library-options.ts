import { reverse } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { SMTPServer, SMTPServerResolver } from 'smtp-server';
import type { Config } from '../../config/schema.ts';
import type { Listener } from '../shared/listener.ts';

/** Loopback peers have no useful reverse name; asking DNS for one only delays the greeting. */
export const skipLoopback: SMTPServerResolver = {
  reverse(ip, callback) {
    if (ip === '::1' || (isIP(ip) === 4 && ip.startsWith('127.'))) return callback(null, []);
    reverse(ip, callback);
  },
};

/**
 * smtp-server logs every connection and command; at our levels that is debug/trace detail,
 * and its "errors" are mostly clients hanging up.
 */
export function libraryLogger(log: Logger) {
  const l = log.child({ component: 'smtp-server' });
  return {
    trace: l.trace.bind(l),
    debug: l.trace.bind(l),
    info: l.debug.bind(l),
    warn: l.info.bind(l),
    error: l.info.bind(l),
    fatal: l.warn.bind(l),
  };
}

/** What every Gannet SMTP-family listener sets the same way, MX, LMTP and submission. */
export function commonOptions(config: Config, log: Logger) {
  return {
    name: config.hostname,
    size: config.maxMessageSize,
    hideENHANCEDSTATUSCODES: false,
    heloResponse: '%s Hello %s',
    closeTimeout: 5000,
    // RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command.
    socketTimeout: 5 * 60 * 1000,
    resolver: skipLoopback,
    logger: libraryLogger(log),
  };
}

/** Binds a server and describes it as a Listener (port 0 picks a free one). */
export async function listen(server: SMTPServer, name: string, port: number, address: string, log: Logger): Promise<Listener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After startup, errors are per connection (a client resetting mid-transaction).
  server.on('error', (err: Error) => log.info({ err: err.message }, 'connection error'));
  const bound = server.server.address();
  return {
    name,
    address,
    port: typeof bound === 'object' && bound ? bound.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
