import { reverse } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { SMTPServerResolver } from 'smtp-server';

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
