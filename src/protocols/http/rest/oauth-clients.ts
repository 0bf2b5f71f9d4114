import { Type } from '@sinclair/typebox';
import { SCOPES } from '../../../services/oauth/scopes.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors, IdParam, Page, PageQuery } from './schemas.ts';
import { needs } from '../route-permission.ts';

const ScopeName = Type.Unsafe<string>({ type: 'string', enum: [...SCOPES] });

const OAuthClient = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.Unsafe<'confidential' | 'public'>({ type: 'string', enum: ['confidential', 'public'], description: 'Public clients have no secret and must use PKCE' }),
  redirectUris: Type.Array(Type.String()),
  scopes: Type.Array(ScopeName),
  createdAt: Type.String({ format: 'date-time' }),
});

/** OAuth clients, registered by administrators (ADR 0025). */
export function oauthClientRoutes(app: App, { services }: RouteDeps): void {
  const tags = ['oauth'];

  app.get(
    '/oauth/clients',
    {
      ...needs('oauth-client-list'),
      schema: {
        tags,
        summary: 'List registered OAuth clients',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(OAuthClient, 'A page of OAuth clients'), ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      return services.oauth.clients.list(req.query);
    },
  );

  app.post(
    '/oauth/clients',
    {
      ...needs('oauth-client-registration'),
      schema: {
        tags,
        summary: 'Register an OAuth client; a confidential client\'s secret is in the response, once',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            type: Type.Unsafe<'confidential' | 'public'>({ type: 'string', enum: ['confidential', 'public'], default: 'confidential' }),
            redirectUris: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
              minItems: 1,
              maxItems: 10,
              description: 'Exact redirect URIs: https, http only to loopback, or a private-use scheme',
            }),
            scopes: Type.Optional(Type.Array(ScopeName, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true, description: 'Scopes the client may ask for; default all' })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ client: OAuthClient, secret: Type.Union([Type.String(), Type.Null()], { description: 'The client secret (confidential clients), shown only here' }) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (req, reply) => {
      return reply.code(201).send(await services.oauth.clients.register({ ...req.body, type: req.body.type ?? 'confidential' }));
    },
  );

  app.delete(
    '/oauth/clients/:id',
    { ...needs('oauth-client-delete'), schema: { tags, summary: 'Delete an OAuth client with its pending grants and refresh tokens', params: Type.Object({ id: IdParam('OAuth client') }), response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (req, reply) => {
      await services.oauth.clients.remove(req.params.id);
      return reply.code(204).send(null);
    },
  );
}
