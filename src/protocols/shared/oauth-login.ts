import type { Principal } from '../../services/directory/pool.ts';
import { ServiceError } from '../../services/errors.ts';
import { OAuthError } from '../../services/oauth/errors.ts';
import type { Face } from '../../services/oauth/scopes.ts';
import type { Services } from '../../services/index.ts';
import { SaslOAuthError, type SaslOAuthStatus } from './sasl-oauth.ts';

export type OAuthLogin = { principal: Principal } | { principal: null; status: SaslOAuthStatus; reason: string };

/**
 * A mail-protocol login with a token, as each protocol needs it: the principal, or the RFC 7628
 * status for the error challenge. A token valid elsewhere but not here (scope, permission) is
 * insufficient_scope; a bad or expired one invalid_token; an unreadable message invalid_request.
 */
export async function oauthLogin(services: Services, face: Face, parse: () => { user: string | null; token: string }): Promise<OAuthLogin> {
  try {
    const { user, token } = parse();
    return { principal: await services.oauth.signIn(token, face, user) };
  } catch (err) {
    if (err instanceof SaslOAuthError) return { principal: null, status: 'invalid_request', reason: err.message };
    if (err instanceof OAuthError) return { principal: null, status: err.error === 'insufficient_scope' ? 'insufficient_scope' : 'invalid_token', reason: err.message };
    if (err instanceof ServiceError && err.code === 'forbidden') return { principal: null, status: 'insufficient_scope', reason: err.message };
    throw err;
  }
}
