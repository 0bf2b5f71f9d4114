import { OAuthError } from './errors.ts';

/**
 * Scopes a token may carry: the OpenID Connect ones, and one per face a token may be used on,
 * matching the app-password scopes (issue 7), so a client that only reads mail over IMAP gets a
 * token useless for the REST API.
 */
export const SCOPES = ['openid', 'profile', 'email', 'offline_access', 'imap', 'pop3', 'smtp', 'jmap', 'api'] as const;
export type Scope = (typeof SCOPES)[number];

/** The faces a token can open; each is also the scope that allows it. */
export type Face = 'imap' | 'pop3' | 'smtp' | 'jmap' | 'api';

const KNOWN: ReadonlySet<string> = new Set(SCOPES);

export function parseScope(text: string): string[] {
  return [...new Set(text.split(' ').filter(Boolean))];
}

/**
 * The scope granted for a request: what was asked, every part of it known and allowed for the
 * client, or the client's whole allowance when nothing was asked (RFC 6749 §3.3).
 */
export function grantScope(requested: string | undefined, allowed: readonly string[]): string {
  const asked = parseScope(requested ?? '');
  if (asked.length === 0) return allowed.join(' ');
  for (const s of asked) {
    if (!KNOWN.has(s)) throw new OAuthError('invalid_scope', `unknown scope ${s.slice(0, 40)}`);
    if (!allowed.includes(s)) throw new OAuthError('invalid_scope', `this client may not ask for ${s}`);
  }
  return asked.join(' ');
}

export function validScopes(scopes: readonly string[]): boolean {
  return scopes.every((s) => KNOWN.has(s));
}
