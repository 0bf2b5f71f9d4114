/**
 * An OAuth error code (RFC 6749 §4.1.2.1, §5.2; RFC 8628 §3.5). The protocol layer renders it:
 * JSON from the token endpoint, a redirect or a page from the authorization endpoint.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_token'
  | 'insufficient_scope';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}
