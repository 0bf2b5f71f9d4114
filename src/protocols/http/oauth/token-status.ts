import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { needs } from '../route-permission.ts';
import { asClient, FORM, OAuthErrorBody, Param } from './token.ts';

const ClientAuth = { client_id: Param, client_secret: Param };

/** Token revocation (RFC 7009) and introspection (RFC 7662), each called by the client the token was issued to. */
export function tokenStatusRoutes(app: App, deps: RouteDeps): void {
  const { services } = deps;
  const tags = ['oauth'];

  app.post(
    '/oauth/revoke',
    {
      ...needs('public', { clientAuth: true }),
      schema: {
        tags,
        summary: 'Revoke a token (RFC 7009): an access or refresh token ends its whole grant',
        description: 'Form-encoded; the client authenticates as at the token endpoint. An unknown, expired or already revoked token is answered 200 as well (RFC 7009 §2.2).',
        consumes: FORM,
        security: [],
        body: Type.Object({ token: Param, token_type_hint: Param, ...ClientAuth }),
        response: { 200: Type.Object({}, { description: 'Revoked, or nothing to revoke' }), 400: OAuthErrorBody, 401: OAuthErrorBody },
      },
    },
    async (req, reply) =>
      asClient(services, req, reply, req.body, async (client) => {
        await services.oauth.revoke(client, req.body.token);
        return reply.header('cache-control', 'no-store').send({});
      }),
  );

  app.post(
    '/oauth/introspect',
    {
      ...needs('public', { clientAuth: true }),
      schema: {
        tags,
        summary: 'Introspect a token (RFC 7662): whether it is active, and what it grants',
        description: 'Form-encoded; for confidential clients, about tokens issued to them. Anything else is `{"active": false}`.',
        consumes: FORM,
        security: [],
        body: Type.Object({ token: Param, token_type_hint: Param, ...ClientAuth }),
        response: {
          200: Type.Object(
            {
              active: Type.Boolean(),
              token_type: Type.Optional(Type.String()),
              scope: Type.Optional(Type.String()),
              client_id: Type.Optional(Type.String()),
              username: Type.Optional(Type.String()),
              sub: Type.Optional(Type.String()),
              exp: Type.Optional(Type.Integer()),
              iat: Type.Optional(Type.Integer()),
              iss: Type.Optional(Type.String()),
              aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
              jti: Type.Optional(Type.String()),
            },
            { description: 'RFC 7662 §2.2' },
          ),
          400: OAuthErrorBody,
          401: OAuthErrorBody,
        },
      },
    },
    async (req, reply) =>
      asClient(services, req, reply, req.body, async (client) => reply.header('cache-control', 'no-store').send(await services.oauth.introspect(client, req.body.token))),
  );
}
