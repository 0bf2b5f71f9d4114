import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Permission } from '../../services/auth/permissions.ts';
import type { Caller } from '../../services/auth/tokens.ts';
import type { Principal } from '../../services/directory/directory.ts';
import { ServiceError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { looksLikeJwt } from '../../services/oauth/access-tokens.ts';
import { oauthCaller } from './oauth/bearer.ts';
import { httpFace } from './face.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Whether the caller holds the permission: the admin token holds every one. */
export const holds = (caller: Caller, permission: Permission): boolean =>
  caller.kind === 'admin' || (caller.kind === 'key' ? caller.permissions : caller.principal.permissions).has(permission);

const BASIC_CACHE_MS = 60_000;
const BASIC_CACHE_MAX = 1000;


/**
 * HTTP authentication: `Authorization: Bearer <token>` (admin or user token, or an apiKey's
 * secret) or HTTP Basic with a user's login and password (or an apiKey's name and secret). Basic results are cached briefly by a hash of the
 * credentials so a client sending Basic on every request does not pay argon2 every time; the
 * cache keeps only who matched (and with which app password, whose deletion ends the match),
 * so the account pool and the disabled flag are read fresh. Only verifications that reach
 * AuthService are counted and logged: a cached credential is not a new login.
 */
export class HttpAuth {
  private readonly basicCache = new Map<string, { principalId: string; aspId: string | null; until: number }>();

  constructor(private readonly services: Services) {}

  async authenticate(req: FastifyRequest): Promise<Caller> {
    if (req.caller) return req.caller;
    const header = req.headers.authorization;
    if (!header) throw new ServiceError('unauthenticated', 'send a bearer token or HTTP Basic credentials');
    const [scheme, ...rest] = header.split(' ');
    const value = rest.join(' ').trim();
    let caller: Caller | null = null;
    if (/^bearer$/i.test(scheme)) caller = (looksLikeJwt(value) ? await oauthCaller(this.services, req, value) : null) ?? (await this.services.tokens.verify(value));
    // An apiKey's secret is checked first: a cheap lookup, and never counted as a failed password login.
    else if (/^basic$/i.test(scheme)) caller = (await this.basicKey(value)) ?? (await this.basic(req, value));
    if (!caller) throw new ServiceError('unauthenticated', 'the credentials are not valid');
    req.caller = caller;
    return caller;
  }

  private async basic(req: FastifyRequest, value: string): Promise<Caller | null> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return null;
    const protocol = httpFace(req.url);
    const key = createHash('sha256').update(`${protocol}\0${decoded}`).digest('hex');
    const cached = this.basicCache.get(key);
    if (cached && cached.until > Date.now() && (cached.aspId === null || (await this.services.auth.asps.exists(cached.aspId)))) {
      const principal = await this.services.directory.principal(cached.principalId);
      // Read fresh, like the principal: a login permission taken away ends cached logins too.
      return principal?.permissions.has(`${protocol}-authenticate`) ? { kind: 'user', principal } : null;
    }
    // With 2FA on, the master password alone is refused here: Basic has no place for a code.
    const { principal, credential } = await this.services.auth.authenticate({ login: decoded.slice(0, colon), secret: decoded.slice(colon + 1), protocol, ip: req.ip, mechanism: 'basic' });
    if (this.basicCache.size >= BASIC_CACHE_MAX) this.basicCache.delete(this.basicCache.keys().next().value!);
    this.basicCache.set(key, { principalId: principal.id, aspId: credential.kind === 'asp' ? credential.id : null, until: Date.now() + BASIC_CACHE_MS });
    return { kind: 'user', principal };
  }

  /** Basic with an apiKey's name and one of its secrets; the secret is the bearer credential, so no password hash is involved. */
  private async basicKey(value: string): Promise<Caller | null> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return null;
    const caller = await this.services.tokens.verify(decoded.slice(colon + 1));
    return caller?.kind === 'key' && caller.name === decoded.slice(0, colon).trim().toLowerCase() ? caller : null;
  }

  /** The caller, if it holds the permission: the admin token holds every one. */
  async require(req: FastifyRequest, permission: Permission): Promise<Caller> {
    const caller = await this.authenticate(req);
    if (!holds(caller, permission)) throw new ServiceError('forbidden', `this needs the ${permission} permission`);
    return caller;
  }

  /**
   * The account a `{user}` path segment names: `me` or the caller's own id, or, for a caller
   * holding `impersonate` (the admin token does), any user of its tenant (any user at all
   * outside tenants). Without it another user is reported as not found, so ids leak nothing.
   */
  async account(req: FastifyRequest, userRef: string): Promise<Principal> {
    const caller = await this.authenticate(req);
    if (caller.kind === 'user' && (userRef === 'me' || userRef === caller.principal.id)) return caller.principal;
    if (!holds(caller, 'impersonate')) throw new ServiceError('notFound', `user ${userRef} not found`);
    if (userRef === 'me') throw new ServiceError('notFound', `the ${caller.kind === 'key' ? 'API key' : 'admin token'} has no mailbox of its own: name a user id`);
    const principal = await this.services.directory.accountOfUser(userRef);
    // Whoever acts within a tenant reaches only that tenant's users.
    const tenant = caller.kind === 'key' ? caller.tenantId : caller.kind === 'user' ? caller.principal.tenantId : null;
    if (tenant && principal.tenantId !== tenant) throw new ServiceError('notFound', `user ${userRef} not found`);
    return principal;
  }

  forget(): void {
    this.basicCache.clear();
  }
}
