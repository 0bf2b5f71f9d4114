import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../../../services/errors.ts';
import { OAuthError } from '../../../../services/oauth/errors.ts';
import type { App, RouteDeps } from '../../app.ts';
import { needs } from '../../route-permission.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The seed's `POST /oauth`: a signed-in user (HTTP Basic or a bearer token, not the admin token,
 * which has no account) asks for an authorization code for a registered client, as Stalwart's
 * web admin does, and redeems it at /oauth/token. Unlike the rest of this module it needs a
 * user rather than the admin token, so it is mounted on its own.
 */
export function stalwartOAuthRoutes(app: App, { services, auth }: RouteDeps): void {
  app.post(
    '/oauth',
    {
      ...needs('authenticate-oauth'),
      schema: {
        hide: true,
        body: Type.Object({
          type: Type.Literal('code'),
          client_id: Type.String({ minLength: 1, maxLength: 100 }),
          redirect_uri: Type.String({ minLength: 1, maxLength: 2048 }),
          nonce: Type.Optional(Type.String({ maxLength: 512 })),
        }),
      },
    },
    async (req) => {
      const caller = await auth.authenticate(req);
      if (caller.kind !== 'user') throw new ServiceError('forbidden', 'the admin token has no account to authorize: authenticate as a user');
      try {
        const code = await services.oauth.issueDirectCode(caller.principal, { clientId: req.body.client_id, redirectUri: req.body.redirect_uri, nonce: req.body.nonce });
        return { data: { code, permissions: [...caller.principal.permissions].sort(), version: VERSION, isEnterprise: false } };
      } catch (err) {
        if (err instanceof OAuthError) throw new ServiceError(err.error === 'access_denied' ? 'forbidden' : 'invalid', err.message);
        throw err;
      }
    },
  );
}
