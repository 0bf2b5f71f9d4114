import type { FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { baseUrl } from '../jmap/base-url.ts';

/** The issuer URL for a request: `oauthIssuer`, or where this request reached the server (as the JMAP Session does). */
export const requestIssuer = ({ services, config }: Pick<RouteDeps, 'services' | 'config'>, req: FastifyRequest): string =>
  services.oauth.issuer(baseUrl(req, config.hostname));
