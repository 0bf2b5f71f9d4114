/**
 * The SASL mechanisms that carry an OAuth access token, for every mail protocol: OAUTHBEARER
 * (RFC 7628) and Google's XOAUTH2, which most mail clients speak. Parsing and the error
 * challenges only; whether the token is good is the OAuth service's question.
 */

export type OAuthMechanism = 'OAUTHBEARER' | 'XOAUTH2';

export const OAUTH_MECHANISMS: readonly OAuthMechanism[] = ['OAUTHBEARER', 'XOAUTH2'];

export interface OAuthSaslResponse {
  /** The user the client names (OAUTHBEARER's authzid, XOAUTH2's user); null when not given. */
  user: string | null;
  token: string;
}

export class SaslOAuthError extends Error {
  override name = 'SaslOAuthError';
}

const KVSEP = '\x01';
// RFC 6750 §2.1 b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const KEY = /^[A-Za-z]+$/;

/** RFC 5801 §4 saslname: "," and "=" arrive as =2C and =3D; any other "=" is malformed. */
function saslname(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new SaslOAuthError('malformed authorization identity');
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** key=value pairs each ended by ^A, the list ended by one more ^A. */
function pairs(text: string): Map<string, string> {
  if (!text.endsWith(KVSEP + KVSEP) && text !== KVSEP) throw new SaslOAuthError('the message must end with two ^A');
  const out = new Map<string, string>();
  for (const pair of text.slice(0, -2).split(KVSEP)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!KEY.test(key)) throw new SaslOAuthError('malformed key=value pair');
    if (out.has(key.toLowerCase())) throw new SaslOAuthError(`${key} is repeated`);
    out.set(key.toLowerCase(), pair.slice(eq + 1));
  }
  return out;
}

function bearer(value: string | undefined): string {
  const match = value === undefined ? null : BEARER.exec(value);
  if (!match) throw new SaslOAuthError('auth=Bearer <token> is missing or malformed');
  return match[1];
}

/** OAUTHBEARER's client response (RFC 7628 §3.1): gs2-header ^A *(key=value ^A) ^A. */
export function parseOauthBearer(message: Buffer): OAuthSaslResponse {
  const text = message.toString('utf8');
  const first = text.indexOf(KVSEP);
  if (first < 0) throw new SaslOAuthError('missing GS2 header');
  const gs2 = text.slice(0, first);
  // gs2-cb-flag "," [authzid] ",": channel binding ("p=") is not offered, so the flag is n or y.
  const m = /^([ny]),(?:a=([^,]*))?,$/.exec(gs2);
  if (!m) throw new SaslOAuthError(gs2.startsWith('p=') ? 'channel binding is not supported' : 'malformed GS2 header');
  const kv = pairs(text.slice(first));
  return { user: m[2] ? saslname(m[2]) : null, token: bearer(kv.get('auth')) };
}

/** XOAUTH2's client response: user=… ^A auth=Bearer … ^A ^A. */
export function parseXoauth2(message: Buffer): OAuthSaslResponse {
  const kv = pairs(message.toString('utf8'));
  const user = kv.get('user');
  if (!user) throw new SaslOAuthError('user= is missing');
  return { user, token: bearer(kv.get('auth')) };
}

export function parseOAuthResponse(mechanism: OAuthMechanism, message: Buffer): OAuthSaslResponse {
  return mechanism === 'OAUTHBEARER' ? parseOauthBearer(message) : parseXoauth2(message);
}

export type SaslOAuthStatus = 'invalid_token' | 'invalid_request' | 'insufficient_scope';

/**
 * The server's error challenge, sent before the final failure so the client learns why: RFC 7628
 * §3.2.2's JSON for OAUTHBEARER (with where to get a new token when the issuer is known),
 * Google's shape for XOAUTH2.
 */
export function oauthErrorBody(mechanism: OAuthMechanism, p: { status: SaslOAuthStatus; scope: string; issuer: string | null }): Record<string, string> {
  if (mechanism === 'XOAUTH2') return { status: p.status === 'invalid_request' ? '400' : '401', schemes: 'Bearer', scope: p.scope };
  return { status: p.status, scope: p.scope, ...(p.issuer ? { 'openid-configuration': `${p.issuer}/.well-known/openid-configuration` } : {}) };
}

/** The error challenge base64-encoded, ready for a continuation. */
export const oauthErrorChallenge = (mechanism: OAuthMechanism, p: Parameters<typeof oauthErrorBody>[1]): string =>
  Buffer.from(JSON.stringify(oauthErrorBody(mechanism, p))).toString('base64');

export const isOAuthMechanism = (name: string): name is OAuthMechanism => (OAUTH_MECHANISMS as readonly string[]).includes(name);
