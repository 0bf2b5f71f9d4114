import type { FastifyRequest } from 'fastify';

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * scheme://host[:port] as the client reached us, for the absolute URLs of the Session. A Host
 * header that is not a plain host name falls back to the configured one rather than being echoed.
 */
export function baseUrl(req: FastifyRequest, fallbackHost: string): string {
  const host = HOST.test(req.host) ? req.host : fallbackHost;
  return `${req.protocol}://${host}`;
}
