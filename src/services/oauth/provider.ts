import { createHash, randomInt } from 'node:crypto';
import { SignJWT } from 'jose';
import type { OAuthGrantRow } from '../../store/db/schema.ts';
import { oauthRepo } from '../../store/repos/oauth.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../util/ids.ts';
import type { Permission } from '../auth/permissions.ts';
import type { DirectoryService, Principal } from '../directory/directory.ts';
import { ServiceError } from '../errors.ts';
import type { SecretBox } from '../secrets/box.ts';
import { OAuthClients, type OAuthClient } from './clients.ts';
import { accessClaims, looksLikeJwt, type AccessClaims } from './access-tokens.ts';
import { OAuthError } from './errors.ts';
import { randomToken, tokenHash } from './hash.ts';
import { SIGNING_ALG, SigningKeys } from './keys.ts';
import { grantScope, parseScope, type Face } from './scopes.ts';

export interface OAuthSettings {
  /** Configured issuer URL; empty: the URL each request reached the server at. */
  issuer: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  devicePollInterval: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
  id_token?: string;
}

/** A validated authorization request, ready for the consent page. */
export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  nonce: string | null;
}

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** Who a verified access token speaks for. */
/** An introspection answer (RFC 7662 §2.2); only `active` when the token grants nothing. */
export interface TokenIntrospection {
  active: boolean;
  token_type?: 'Bearer';
  scope?: string;
  client_id?: string;
  username?: string;
  sub?: string;
  exp?: number;
  iat?: number;
  iss?: string;
  aud?: string | string[];
  jti?: string;
}

export interface TokenSubject {
  principal: Principal;
  clientId: string;
  scope: string[];
  claims: AccessClaims;
}

// RFC 6749 §4.1.2 recommends at most ten minutes; a client redeems its code at once.
const CODE_TTL_MS = 60_000;
const DEVICE_TTL_MS = 600_000;
// RFC 8628 §6.1: 20 consonants avoid vowels (no words) and look-alikes; 8 of them give 34 bits.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
const SLOW_DOWN_STEP_S = 5;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const FACE_PERMISSION: Record<Face, Permission> = {
  imap: 'imap-authenticate',
  pop3: 'pop3-authenticate',
  smtp: 'smtp-authenticate',
  jmap: 'jmap-authenticate',
  api: 'api-authenticate',
};

/** The user code as people type it: case and separators do not matter. */
export function normalizeUserCode(text: string): string {
  return text.toUpperCase().replace(/[^A-Z]/g, '');
}

const displayUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * Gannet as an OAuth 2.0 authorization server and OpenID provider (ADR 0025): authorization
 * codes bound to client, redirect URI and a PKCE S256 challenge; the device authorization grant
 * (RFC 8628); refresh tokens rotated on every use, where replaying a used one revokes its whole
 * family; access tokens as signed JWTs (RFC 9068) that every face verifies with the published key.
 */
export class OAuthService {
  readonly clients: OAuthClients;
  readonly keys: SigningKeys;

  constructor(
    private readonly store: Store,
    private readonly directory: DirectoryService,
    box: SecretBox,
    readonly settings: OAuthSettings,
  ) {
    this.clients = new OAuthClients(store);
    this.keys = new SigningKeys(store, box);
  }

  /** The issuer: configured, or the URL the client reached this server at. */
  issuer(requestBase: string): string {
    return this.settings.issuer.replace(/\/+$/, '') || requestBase;
  }

  // ---- authorization endpoint

  /**
   * The client and redirect URI of an authorization request. Errors here must not redirect
   * (RFC 6749 §4.1.2.1): the URI is not known to belong to the client.
   */
  async redirectTarget(clientId: string | undefined, redirectUri: string | undefined): Promise<{ client: OAuthClient; redirectUri: string }> {
    const client = clientId ? await this.clients.find(clientId) : null;
    if (!client) throw new OAuthError('invalid_request', 'unknown client_id');
    // RFC 6749 §3.1.2.3: with one registered URI the parameter may be left out.
    const uri = redirectUri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!uri || !client.redirectUris.includes(uri)) throw new OAuthError('invalid_request', 'redirect_uri is not one this client registered');
    return { client, redirectUri: uri };
  }

  /**
   * The rest of the request, checked once the redirect URI is trusted: errors here go back to
   * the client. PKCE is required of public clients and accepted from all; only S256, as RFC 9700
   * §2.1.1 advises, since `plain` protects nothing once the request itself is seen.
   */
  checkAuthorization(
    target: { client: OAuthClient; redirectUri: string },
    params: { response_type?: string; scope?: string; code_challenge?: string; code_challenge_method?: string; nonce?: string },
  ): AuthorizationRequest {
    if (params.response_type !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
    const scope = grantScope(params.scope, target.client.scopes);
    let challenge: string | null = null;
    if (params.code_challenge !== undefined) {
      if ((params.code_challenge_method ?? 'plain') !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
      if (!CHALLENGE.test(params.code_challenge)) throw new OAuthError('invalid_request', 'code_challenge must be a base64url SHA-256 digest');
      challenge = params.code_challenge;
    } else if (!target.client.confidential) {
      throw new OAuthError('invalid_request', 'public clients must send a PKCE code_challenge (S256)');
    }
    if (params.nonce !== undefined && params.nonce.length > 512) throw new OAuthError('invalid_request', 'nonce is too long');
    return { client: target.client, redirectUri: target.redirectUri, scope, codeChallenge: challenge, nonce: params.nonce ?? null };
  }

  /** The authorization code for a request the principal approved. */
  async issueCode(principal: Principal, req: AuthorizationRequest): Promise<string> {
    requireOAuth(principal);
    const code = randomToken();
    const now = Date.now();
    await this.insertGrant({
      kind: 'code',
      code_hash: tokenHash(code),
      user_code: null,
      client_id: req.client.id,
      principal_id: principal.id,
      status: 'approved',
      redirect_uri: req.redirectUri,
      scope: req.scope,
      code_challenge: req.codeChallenge,
      nonce: req.nonce,
      expires_at: now + CODE_TTL_MS,
    });
    return code;
  }

  /**
   * A code for a signed-in caller who asks for it directly (the Stalwart seed's `POST /oauth`):
   * the code travels in the answer to an authenticated request, never through a browser redirect,
   * so no challenge is needed to keep an interceptor from redeeming it.
   */
  async issueDirectCode(principal: Principal, p: { clientId: string; redirectUri: string; nonce?: string | null }): Promise<string> {
    const target = await this.redirectTarget(p.clientId, p.redirectUri);
    return this.issueCode(principal, { ...target, scope: target.client.scopes.join(' '), codeChallenge: null, nonce: p.nonce ?? null });
  }

  // ---- token endpoint

  async exchangeCode(client: OAuthClient, p: { code?: string; redirect_uri?: string; code_verifier?: string }, issuer: string): Promise<TokenResponse> {
    if (!p.code) throw new OAuthError('invalid_request', 'code is missing');
    const grant = await oauthRepo.grantByCode(this.store.db, tokenHash(p.code));
    if (!grant || grant.kind !== 'code' || grant.client_id !== client.id) throw new OAuthError('invalid_grant', 'the code is not valid');
    if (grant.status === 'used') {
      // RFC 6749 §4.1.2: a replayed code revokes what it was exchanged for.
      await this.store.write(async (w) => oauthRepo.revokeFamily(w.trx, grant.id));
      throw new OAuthError('invalid_grant', 'the code was already used');
    }
    if (grant.expires_at < Date.now()) throw new OAuthError('invalid_grant', 'the code has expired');
    if (p.redirect_uri !== undefined && p.redirect_uri !== grant.redirect_uri) {
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    }
    if (grant.code_challenge !== null) {
      if (!p.code_verifier || !VERIFIER.test(p.code_verifier)) throw new OAuthError('invalid_grant', 'code_verifier is missing or malformed');
      if (s256(p.code_verifier) !== grant.code_challenge) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    } else if (p.code_verifier !== undefined) {
      // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
      throw new OAuthError('invalid_grant', 'this code was issued without a code_challenge');
    }
    return this.redeem(grant, 'approved', issuer);
  }

  async refresh(client: OAuthClient, p: { refresh_token?: string; scope?: string }, issuer: string): Promise<TokenResponse> {
    if (!p.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is missing');
    const row = await oauthRepo.refreshByHash(this.store.db, tokenHash(p.refresh_token));
    if (!row || row.client_id !== client.id) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
    const now = Date.now();
    if (row.expires_at < now) throw new OAuthError('invalid_grant', 'the refresh token has expired');
    const granted = parseScope(row.scope);
    const asked = p.scope === undefined ? granted : parseScope(p.scope);
    if (asked.some((s) => !granted.includes(s))) throw new OAuthError('invalid_scope', 'a refresh may not widen the scope');
    const fresh = row.used_at === null && (await this.store.write(async (w) => oauthRepo.useRefresh(w.trx, row.id, now))) === 1;
    if (!fresh) {
      // A rotated token presented again: it leaked, or the client is confused; either way no
      // token of this family may be trusted any longer (RFC 9700 §4.14.2).
      await this.store.write(async (w) => oauthRepo.revokeFamily(w.trx, row.family_id));
      throw new OAuthError('invalid_grant', 'the refresh token was already used; its grant is revoked');
    }
    const principal = await this.directory.principal(row.principal_id);
    if (!principal) throw new OAuthError('invalid_grant', 'the user no longer exists or is disabled');
    // RFC 6749 §6: the access token may be narrower; the new refresh token keeps the grant's scope.
    return this.tokens(principal, client.id, asked.join(' '), row.family_id, issuer, null, row.scope);
  }

  // ---- device authorization grant (RFC 8628)

  async startDevice(client: OAuthClient, scope: string | undefined, verificationUri: string): Promise<DeviceAuthorization> {
    const granted = grantScope(scope, client.scopes);
    const deviceCode = randomToken();
    let userCode = '';
    for (let i = 0; i < USER_CODE_LENGTH; i++) userCode += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
    await this.insertGrant({
      kind: 'device',
      code_hash: tokenHash(deviceCode),
      user_code: userCode,
      client_id: client.id,
      principal_id: null,
      status: 'pending',
      redirect_uri: null,
      scope: granted,
      code_challenge: null,
      nonce: null,
      expires_at: Date.now() + DEVICE_TTL_MS,
    });
    const display = displayUserCode(userCode);
    return {
      device_code: deviceCode,
      user_code: display,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(display)}`,
      expires_in: DEVICE_TTL_MS / 1000,
      interval: this.settings.devicePollInterval,
    };
  }

  /** What the person entering a user code is asked to approve; null for an unknown or finished one. */
  async deviceRequest(userCode: string): Promise<{ client: OAuthClient; scope: string } | null> {
    const grant = await this.pendingDevice(userCode);
    const client = grant && (await this.clients.find(grant.client_id));
    return grant && client ? { client, scope: grant.scope } : null;
  }

  /** The principal approves or denies the device showing this user code. */
  async decideDevice(userCode: string, principal: Principal, approve: boolean): Promise<void> {
    if (approve) requireOAuth(principal);
    const grant = await this.pendingDevice(userCode);
    if (!grant) throw new ServiceError('notFound', 'that code is unknown or has expired');
    const moved = await this.store.write(async (w) =>
      oauthRepo.moveGrant(w.trx, grant.id, 'pending', { status: approve ? 'approved' : 'denied', principal_id: principal.id }),
    );
    if (moved === 0) throw new ServiceError('notFound', 'that code was already used');
  }

  async pollDevice(client: OAuthClient, deviceCode: string | undefined, issuer: string): Promise<TokenResponse> {
    if (!deviceCode) throw new OAuthError('invalid_request', 'device_code is missing');
    const grant = await oauthRepo.grantByCode(this.store.db, tokenHash(deviceCode));
    if (!grant || grant.kind !== 'device' || grant.client_id !== client.id) throw new OAuthError('invalid_grant', 'the device code is not valid');
    const now = Date.now();
    if (grant.expires_at < now) throw new OAuthError('expired_token', 'the device code has expired; start again');
    if (grant.status === 'denied') throw new OAuthError('access_denied', 'the user denied the request');
    if (grant.status === 'used') throw new OAuthError('invalid_grant', 'the device code was already used');
    if (grant.status === 'pending') {
      const tooSoon = grant.last_poll_at !== null && now - grant.last_poll_at < grant.interval_s * 1000;
      const interval = tooSoon ? grant.interval_s + SLOW_DOWN_STEP_S : grant.interval_s;
      await this.store.write(async (w) => oauthRepo.touchPoll(w.trx, grant.id, now, interval));
      if (tooSoon) throw new OAuthError('slow_down', `poll at most every ${interval} seconds`);
      throw new OAuthError('authorization_pending', 'the user has not yet approved the request');
    }
    return this.redeem(grant, 'approved', issuer);
  }

  // ---- access tokens on every face

  /**
   * The principal an access token speaks for on a face: the signature must be ours, the token
   * unexpired, its grant not revoked, its scope must include the face, and the principal must
   * still exist and hold `authenticate-oauth` and the face's login permission now.
   */
  async verifyAccessToken(token: string, face: Face): Promise<TokenSubject> {
    const subject = await this.subject(token);
    if (!subject.scope.includes(face)) throw new OAuthError('insufficient_scope', `the token's scope does not include ${face}`);
    const permission = FACE_PERMISSION[face];
    if (!subject.principal.permissions.has('authenticate-oauth') || !subject.principal.permissions.has(permission)) {
      throw new ServiceError('forbidden', `signing in with OAuth on ${face} needs the authenticate-oauth and ${permission} permissions`);
    }
    return subject;
  }

  /**
   * A mail-protocol login with an access token (SASL OAUTHBEARER or XOAUTH2). The user the client
   * names, by login name or any of its addresses, must be the token's.
   */
  async signIn(token: string, face: Face, user: string | null): Promise<Principal> {
    const { principal } = await this.verifyAccessToken(token, face);
    if (user !== null && user.trim().toLowerCase() !== principal.username.toLowerCase()) {
      const addresses = await this.directory.listAddresses(principal.id);
      if (!addresses.some((a) => a.address === user.trim().toLowerCase())) throw new OAuthError('invalid_token', 'the token was issued to another user');
    }
    return principal;
  }

  /** OpenID Connect UserInfo (Core §5.3): what the token's scope lets the client read. */
  async userinfo(token: string): Promise<Record<string, unknown>> {
    const { principal, scope } = await this.subject(token);
    if (!scope.includes('openid')) throw new OAuthError('insufficient_scope', 'userinfo needs the openid scope');
    return { sub: principal.id, ...(await this.claims(principal, scope)) };
  }

  /**
   * Revocation (RFC 7009): an access or refresh token issued to this client ends its whole grant,
   * every refresh token of the family and so every access token (they check the family). A token
   * that is unknown, expired or already revoked needs nothing done and is no error (§2.2).
   */
  async revoke(client: OAuthClient, token: string | undefined): Promise<void> {
    if (!token) throw new OAuthError('invalid_request', 'token is missing');
    const grant = await this.grantOf(token);
    if (!grant) return;
    if (grant.clientId !== client.id) throw new OAuthError('unauthorized_client', 'the token was issued to another client');
    await this.store.write(async (w) => oauthRepo.revokeFamily(w.trx, grant.familyId));
  }

  /**
   * Introspection (RFC 7662 §2.2) for a confidential client: what a token issued to it grants now.
   * Any other token, and one expired, revoked, used (a rotated refresh token) or whose user is
   * gone, is only `{active: false}`, so the answer tells nothing about tokens of other clients.
   */
  async introspect(client: OAuthClient, token: string | undefined): Promise<TokenIntrospection> {
    if (!client.confidential) throw new OAuthError('invalid_client', 'introspection is for confidential clients, which authenticate with a secret');
    if (!token) throw new OAuthError('invalid_request', 'token is missing');
    const inactive: TokenIntrospection = { active: false };
    if (looksLikeJwt(token)) {
      const subject = await this.subject(token).catch(() => null);
      if (!subject || subject.clientId !== client.id) return inactive;
      const { claims } = subject;
      return { active: true, token_type: 'Bearer', scope: claims.scope, client_id: claims.client_id, username: subject.principal.username, sub: claims.sub, exp: claims.exp, iat: claims.iat, iss: claims.iss, aud: claims.aud, jti: claims.jti };
    }
    const row = await oauthRepo.refreshByHash(this.store.db, tokenHash(token));
    if (!row || row.client_id !== client.id || row.used_at !== null || row.expires_at <= Date.now()) return inactive;
    const principal = await this.directory.principal(row.principal_id);
    if (!principal) return inactive;
    return { active: true, scope: row.scope, client_id: row.client_id, username: principal.username, sub: principal.id, exp: Math.floor(row.expires_at / 1000), iat: Math.floor(row.created_at / 1000) };
  }

  async pruneExpired(): Promise<void> {
    const now = Date.now();
    await this.store.write(async (w) => {
      await oauthRepo.deleteExpiredGrants(w.trx, now);
      await oauthRepo.deleteExpiredRefresh(w.trx, now);
    });
  }

  // ---- internals

  private async subject(token: string): Promise<TokenSubject> {
    const claims = await accessClaims(this.keys, token, this.configuredIssuer());
    if (!(await oauthRepo.familyAlive(this.store.db, claims.sid, Date.now()))) throw new OAuthError('invalid_token', 'the access token has been revoked');
    const principal = await this.directory.principal(claims.sub);
    if (!principal) throw new OAuthError('invalid_token', 'the user no longer exists or is disabled');
    return { principal, clientId: claims.client_id, scope: parseScope(claims.scope), claims };
  }

  /** The grant and client behind an access token we signed (expired or not) or a refresh token we issued. */
  private async grantOf(token: string): Promise<{ familyId: string; clientId: string } | null> {
    if (looksLikeJwt(token)) {
      const claims = await accessClaims(this.keys, token, this.configuredIssuer()).catch(() => null);
      return claims ? { familyId: claims.sid, clientId: claims.client_id } : null;
    }
    const row = await oauthRepo.refreshByHash(this.store.db, tokenHash(token));
    return row ? { familyId: row.family_id, clientId: row.client_id } : null;
  }

  private configuredIssuer(): string | undefined {
    return this.settings.issuer ? this.issuer('') : undefined;
  }

  private async pendingDevice(userCode: string): Promise<OAuthGrantRow | null> {
    const code = normalizeUserCode(userCode);
    if (code.length !== USER_CODE_LENGTH) return null;
    const grant = await oauthRepo.grantByUserCode(this.store.db, code);
    return grant && grant.status === 'pending' && grant.expires_at >= Date.now() ? grant : null;
  }

  private async insertGrant(row: Omit<OAuthGrantRow, 'id' | 'interval_s' | 'last_poll_at' | 'created_at'>): Promise<void> {
    const full: OAuthGrantRow = { ...row, id: newId('f'), interval_s: row.kind === 'device' ? this.settings.devicePollInterval : 0, last_poll_at: null, created_at: Date.now() };
    await this.store.write(async (w) => oauthRepo.insertGrant(w.trx, full));
  }

  /** Marks a grant used (once, even under concurrent requests) and issues its first tokens. */
  private async redeem(grant: OAuthGrantRow, from: OAuthGrantRow['status'], issuer: string): Promise<TokenResponse> {
    const moved = await this.store.write(async (w) => oauthRepo.moveGrant(w.trx, grant.id, from, { status: 'used' }));
    if (moved === 0) throw new OAuthError('invalid_grant', 'the grant was already used');
    const principal = grant.principal_id ? await this.directory.principal(grant.principal_id) : null;
    if (!principal) throw new OAuthError('invalid_grant', 'the user no longer exists or is disabled');
    return this.tokens(principal, grant.client_id, grant.scope, grant.id, issuer, grant.nonce);
  }

  private async tokens(principal: Principal, clientId: string, scope: string, familyId: string, issuer: string, nonce: string | null, refreshScope = scope): Promise<TokenResponse> {
    const key = await this.keys.key();
    const ttl = this.settings.accessTokenTtl;
    const now = Date.now();
    const accessToken = await new SignJWT({ scope, client_id: clientId, sid: familyId })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(principal.id)
      .setAudience(issuer)
      .setJti(newId('k'))
      .setIssuedAt()
      .setExpirationTime(Math.floor(now / 1000) + ttl)
      .sign(key.privateKey);
    const refreshToken = randomToken('grt_');
    await this.store.write(async (w) =>
      oauthRepo.insertRefresh(w.trx, {
        id: newId('h'),
        token_hash: tokenHash(refreshToken),
        family_id: familyId,
        client_id: clientId,
        principal_id: principal.id,
        scope: refreshScope,
        used_at: null,
        expires_at: now + this.settings.refreshTokenTtl * 1000,
        created_at: now,
      }),
    );
    const out: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, refresh_token: refreshToken, scope };
    const scopes = parseScope(scope);
    if (scopes.includes('openid')) {
      out.id_token = await new SignJWT({ ...(nonce ? { nonce } : {}), ...(await this.claims(principal, scopes)) })
        .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(principal.id)
        .setAudience(clientId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(now / 1000) + ttl)
        .sign(key.privateKey);
    }
    return out;
  }

  private async claims(principal: Principal, scope: string[]): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (scope.includes('profile')) out.preferred_username = principal.username;
    if (scope.includes('email')) {
      const addresses = await this.directory.listAddresses(principal.id);
      const main = addresses.find((a) => a.main) ?? addresses[0];
      if (main) Object.assign(out, { email: main.address, email_verified: true });
    }
    return out;
  }
}

function requireOAuth(principal: Principal): void {
  if (!principal.permissions.has('authenticate-oauth')) throw new OAuthError('access_denied', 'this account may not sign in to applications with OAuth');
}
