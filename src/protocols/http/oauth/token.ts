import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../services/index.ts';
import type { OAuthClient } from '../../../services/oauth/clients.ts';
import { OAuthError } from '../../../services/oauth/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { requestIssuer } from './issuer.ts';
import { needs } from '../route-permission.ts';

export const Param = Type.Optional(Type.String({ maxLength: 8192 }));
export const FORM = ['application/x-www-form-urlencoded'];
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export const OAuthErrorBody = Type.Object(
  { error: Type.String(), error_description: Type.Optional(Type.String()) },
  { description: 'RFC 6749 §5.2 error' },
);

const TokenBody = Type.Object(
  {
    access_token: Type.String({ description: 'A signed JWT (RFC 9068); send it as `Authorization: Bearer`, or with SASL OAUTHBEARER/XOAUTH2' }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer(),
    refresh_token: Type.String({ description: 'Opaque; rotated on every use' }),
    scope: Type.String(),
    id_token: Type.Optional(Type.String({ description: 'With the openid scope' })),
  },
  { description: 'Tokens (RFC 6749 §5.1)' },
);

/** Client credentials (RFC 6749 §2.3.1): HTTP Basic with form-encoded id and secret, or the same in the body, not both. */
function clientCredentials(req: FastifyRequest, body: { client_id?: string; client_secret?: string }): { id: string; secret?: string; basic: boolean } {
  const header = req.headers.authorization;
  if (header && /^basic /i.test(header)) {
    if (body.client_secret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'malformed Basic credentials');
    try {
      const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      if (body.client_id !== undefined && body.client_id !== id) throw new OAuthError('invalid_request', 'client_id does not match the Basic credentials');
      return { id, secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')), basic: true };
    } catch (err) {
      if (err instanceof OAuthError) throw err;
      throw new OAuthError('invalid_client', 'malformed Basic credentials');
    }
  }
  if (!body.client_id) throw new OAuthError('invalid_client', 'client authentication is missing');
  return { id: body.client_id, secret: body.client_secret, basic: false };
}

/** An OAuth error as RFC 6749 §5.2 and RFC 8628 §3.5 want it: JSON, 400, or 401 for a client that failed to authenticate. */
export function sendOAuthError(reply: FastifyReply, err: OAuthError, basic = false): FastifyReply {
  const status = err.error === 'invalid_client' ? 401 : 400;
  if (basic && status === 401) reply.header('www-authenticate', 'Basic realm="gannet"');
  return reply.code(status).header('cache-control', 'no-store').send({ error: err.error, error_description: err.message });
}

/**
 * An endpoint a client calls in its own name: `fn` gets the authenticated client (RFC 6749
 * §2.3.1), and any OAuthError becomes the §5.2 answer.
 */
export async function asClient(
  services: Services,
  req: FastifyRequest,
  reply: FastifyReply,
  body: { client_id?: string; client_secret?: string },
  fn: (client: OAuthClient) => Promise<FastifyReply>,
): Promise<FastifyReply> {
  let basic = false;
  try {
    const credentials = clientCredentials(req, body);
    basic = credentials.basic;
    return await fn(await services.oauth.clients.authenticate(credentials.id, credentials.secret));
  } catch (err) {
    if (err instanceof OAuthError) return sendOAuthError(reply, err, basic);
    throw err;
  }
}

/** The token endpoint (RFC 6749 §3.2) and the device authorization endpoint (RFC 8628 §3.1). */
export function tokenRoutes(app: App, deps: RouteDeps): void {
  const { services } = deps;
  const tags = ['oauth'];

  app.post(
    '/oauth/token',
    {
      ...needs('public', { clientAuth: true }),
      schema: {
        tags,
        summary: 'Exchange a grant for tokens (authorization_code with PKCE, refresh_token, device_code)',
        description: 'Form-encoded (RFC 6749 §4.1.3, §6; RFC 8628 §3.4). Clients authenticate with client_secret_basic or client_secret_post; public clients send only client_id.',
        consumes: FORM,
        security: [],
        body: Type.Object({
          grant_type: Param,
          code: Param,
          redirect_uri: Param,
          code_verifier: Param,
          refresh_token: Param,
          scope: Param,
          device_code: Param,
          client_id: Param,
          client_secret: Param,
        }),
        response: { 200: TokenBody, 400: OAuthErrorBody, 401: OAuthErrorBody },
      },
    },
    async (req, reply) =>
      asClient(services, req, reply, req.body, async (client) => {
        const body = req.body;
        const issuer = requestIssuer(deps, req);
        let tokens;
        if (body.grant_type === 'authorization_code') tokens = await services.oauth.exchangeCode(client, body, issuer);
        else if (body.grant_type === 'refresh_token') tokens = await services.oauth.refresh(client, body, issuer);
        else if (body.grant_type === DEVICE_GRANT) tokens = await services.oauth.pollDevice(client, body.device_code, issuer);
        else throw new OAuthError(body.grant_type ? 'unsupported_grant_type' : 'invalid_request', body.grant_type ? 'unsupported grant_type' : 'grant_type is missing');
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(tokens);
      }),
  );

  app.post(
    '/oauth/device_authorization',
    {
      ...needs('public', { clientAuth: true }),
      schema: {
        tags,
        summary: 'Start a device authorization (RFC 8628 §3.1): a code for the user to enter at verification_uri, and a device_code to poll with',
        consumes: FORM,
        security: [],
        body: Type.Object({ client_id: Param, client_secret: Param, scope: Param }),
        response: {
          200: Type.Object({
            device_code: Type.String(),
            user_code: Type.String(),
            verification_uri: Type.String(),
            verification_uri_complete: Type.String(),
            expires_in: Type.Integer(),
            interval: Type.Integer(),
          }),
          400: OAuthErrorBody,
          401: OAuthErrorBody,
        },
      },
    },
    async (req, reply) =>
      asClient(services, req, reply, req.body, async (client) => {
        const started = await services.oauth.startDevice(client, req.body.scope, `${requestIssuer(deps, req)}/oauth/device`);
        return reply.header('cache-control', 'no-store').send(started);
      }),
  );
}
