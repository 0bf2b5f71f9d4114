import { AuthRefused } from '../../../../services/auth/authenticate.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../../../services/directory/directory.ts';
import type { Services } from '../../../../services/index.ts';
import type { App } from '../../app.ts';
import { detail, fieldErrors, FORBIDDEN, type ApiError } from './errors.ts';
import { needs } from '../../route-permission.ts';

/** What a request's Authorization header proved: a user, or the error that answers it. */
type Identity = { principal: Principal } | { error: ApiError };

const identities = new WeakMap<FastifyRequest, Identity>();

const NOT_PROVIDED = 'Authentication credentials were not provided.';

async function check(header: string | undefined, services: Services): Promise<Identity> {
  const words = (header ?? '').trim().split(/\s+/).filter(Boolean);
  // As in DRF's TokenAuthentication, another scheme is no credentials rather than bad ones.
  if (words[0]?.toLowerCase() !== 'token') return { error: detail(401, NOT_PROVIDED) };
  if (words.length === 1) return { error: detail(401, 'Invalid token header. No credentials provided.') };
  if (words.length > 2) return { error: detail(401, 'Invalid token header. Token string should not contain spaces.') };
  const caller = await services.tokens.verify(words[1]!);
  if (!caller) return { error: detail(401, 'Invalid token.') };
  // The admin token has no mail of its own to show here.
  if (caller.kind !== 'user') return { error: detail(403, FORBIDDEN) };
  return { principal: caller.principal };
}

/** Checks `Authorization: Token <key>` once per request: the user, or null for an anonymous one. */
export async function identify(req: FastifyRequest, services: Services): Promise<Principal | null> {
  const identity = await check(req.headers.authorization, services);
  identities.set(req, identity);
  return 'principal' in identity ? identity.principal : null;
}

/** The user making the request, or the authentication error. */
export function requireUser(req: FastifyRequest): Principal {
  const identity = identities.get(req) ?? { error: detail(401, NOT_PROVIDED) };
  if ('error' in identity) throw identity.error;
  return identity.principal;
}

/** DRF's obtain_auth_token: a Gannet user's login (or address) and password for a user token. */
export function tokenRoutes(app: App, services: Services): void {
  app.post(
    '/api-token-auth/',
    { ...needs('public'), schema: { body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }) } },
    async (req) => {
      const outcome = await services.auth.authenticate({ login: req.body.username, secret: req.body.password, protocol: 'api', ip: req.ip, mechanism: 'imap2api token' }).catch((err: unknown) => {
        if (err instanceof AuthRefused) throw fieldErrors({ non_field_errors: ['Unable to log in with provided credentials.'] });
        throw err;
      });
      return { token: (await services.tokens.createUserToken(outcome.principal)).token };
    },
  );
}
