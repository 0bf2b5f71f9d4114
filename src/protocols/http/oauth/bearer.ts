import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../../services/auth/tokens.ts';
import { OAuthError } from '../../../services/oauth/errors.ts';
import type { Services } from '../../../services/index.ts';
import { httpFace } from '../face.ts';

/**
 * The caller behind an OAuth access token, or null when the token is not valid here (expired,
 * revoked, wrong scope); a principal lacking the permission gets the service's 'forbidden'.
 */
export async function oauthCaller(services: Services, req: FastifyRequest, token: string): Promise<Caller | null> {
  try {
    const { principal } = await services.oauth.verifyAccessToken(token, httpFace(req.url));
    return { kind: 'user', principal };
  } catch (err) {
    if (err instanceof OAuthError) return null;
    throw err;
  }
}
