import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../../services/oauth/errors.ts';
import { SIGNING_ALG } from '../../../services/oauth/keys.ts';
import { SCOPES } from '../../../services/oauth/scopes.ts';
import type { App, RouteDeps } from '../app.ts';
import { looksLikeJwt } from '../../../services/oauth/access-tokens.ts';
import { requestIssuer } from './issuer.ts';
import { DEVICE_GRANT } from './token.ts';
import { needs } from '../route-permission.ts';

/** Authorization server metadata (RFC 8414 §2), which is also the OpenID Provider metadata (OIDC Discovery §3). */
export function providerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    device_authorization_endpoint: `${issuer}/oauth/device_authorization`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint: `${issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    jwks_uri: `${issuer}/oauth/jwks`,
    scopes_supported: [...SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALG],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'preferred_username', 'email', 'email_verified'],
    authorization_response_iss_parameter_supported: true,
  };
}

const Metadata = Type.Object({ issuer: Type.String() }, { additionalProperties: true, description: 'RFC 8414 metadata' });
const JwkSet = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }, { description: 'RFC 7517 JWK Set' });

/** The discovery documents, the signing keys and the UserInfo endpoint. */
export function metadataRoutes(app: App, deps: RouteDeps): void {
  const { services } = deps;
  const tags = ['oauth'];
  // Public documents that browser-based clients read from other origins.
  const open = (reply: FastifyReply) => reply.header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=300');
  const metadata = async (req: FastifyRequest, reply: FastifyReply) => open(reply).send(providerMetadata(requestIssuer(deps, req)));

  // Their shapes are the RFCs' (8414, 7517), which is where clients look, so they stay out of the OpenAPI document.
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, { ...needs('public'), schema: { hide: true, response: { 200: Metadata } } }, metadata);
  }

  app.get('/oauth/jwks', { ...needs('public'), schema: { hide: true, response: { 200: JwkSet } } }, async (_req, reply) =>
    open(reply).send(await services.oauth.keys.jwks()),
  );

  const userinfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const match = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const failed = (err: OAuthError) =>
      reply
        .code(err.error === 'insufficient_scope' ? 403 : 401)
        .header('www-authenticate', `Bearer error="${err.error}", error_description="${err.message.replace(/["\\]/g, '')}"`)
        .send({ error: err.error, error_description: err.message });
    if (!match || !looksLikeJwt(match[1])) return failed(new OAuthError('invalid_token', 'send an access token as Authorization: Bearer'));
    try {
      return reply.header('cache-control', 'no-store').send(await services.oauth.userinfo(match[1]));
    } catch (err) {
      if (err instanceof OAuthError) return failed(err);
      throw err;
    }
  };
  const UserInfo = Type.Object({ sub: Type.String() }, { additionalProperties: true, description: 'OpenID Connect UserInfo claims' });
  const OAuthBearerError = Type.Object({ error: Type.String(), error_description: Type.String() }, { description: 'RFC 6750 §3.1 error' });
  const schema = {
    tags,
    summary: 'OpenID Connect UserInfo for an access token with the openid scope',
    security: [{ bearer: [] }],
    response: { 200: UserInfo, 401: OAuthBearerError, 403: OAuthBearerError },
  };
  app.get('/oauth/userinfo', { ...needs('public'), schema }, userinfo);
  app.post('/oauth/userinfo', { ...needs('public'), schema: { ...schema, hide: true } }, userinfo);
}
