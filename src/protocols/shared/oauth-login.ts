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
export async function oauthLogin(services: Services, face: Face, ip: string, mechanism: string, parse: () => { user: string | null; token: string }): Promise<OAuthLogin> {
  let user: string | null = null;
  let result: OAuthLogin;
  try {
    const parsed = parse();
    user = parsed.user;
    result = { principal: await services.oauth.signIn(parsed.token, face, user) };
  } catch (err) {
    if (err instanceof SaslOAuthError) result = { principal: null, status: 'invalid_request', reason: err.message };
    else if (err instanceof OAuthError) result = { principal: null, status: err.error === 'insufficient_scope' ? 'insufficient_scope' : 'invalid_token', reason: err.message };
    else if (err instanceof ServiceError && err.code === 'forbidden') result = { principal: null, status: 'insufficient_scope', reason: err.message };
    else throw err;
  }
  await services.auth.recordLogin({
    principalId: result.principal?.id ?? null,
    login: result.principal?.username ?? user ?? '',
    result: result.principal ? 'success' : 'fail',
    reason: result.principal ? null : result.status,
    protocol: face,
    mechanism,
    scope: face,
    ip,
  });
  return result;
}
