import { errors as joseErrors, jwtVerify } from 'jose';
import { OAuthError } from './errors.ts';
import { SIGNING_ALG, type SigningKeys } from './keys.ts';

// Three base64url parts: an access token from /oauth/token. Opaque tokens (gnt_…, grt_…) have no dots.
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export const looksLikeJwt = (value: string): boolean => value.length <= 8192 && JWT.test(value);

/** What an access token (RFC 9068) carries: `sid` names its grant, whose refresh tokens keep it alive. */
export interface AccessClaims {
  sub: string;
  sid: string;
  client_id: string;
  scope: string;
  exp: number;
  iat: number;
  jti?: string;
  iss?: string;
  aud?: string | string[];
}

/**
 * The claims of an access token this server signed, checked for signature, type, expiry and,
 * when the issuer is configured, issuer. Whether its grant is still alive is the caller's check.
 */
export async function accessClaims(keys: SigningKeys, token: string, issuer: string | undefined): Promise<AccessClaims> {
  const key = await keys.key();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, { algorithms: [SIGNING_ALG], typ: 'at+jwt', issuer }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new OAuthError('invalid_token', 'the access token has expired');
    throw new OAuthError('invalid_token', 'the access token is not valid');
  }
  const { sub, sid, client_id: clientId, scope, exp, iat } = payload;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof clientId !== 'string' || typeof scope !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
    throw new OAuthError('invalid_token', 'the access token lacks required claims');
  }
  return payload as unknown as AccessClaims;
}
