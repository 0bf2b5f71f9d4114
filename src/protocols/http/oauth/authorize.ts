import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../../services/oauth/errors.ts';
import type { AuthorizationRequest } from '../../../services/oauth/provider.ts';
import type { App, RouteDeps } from '../app.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { requestIssuer } from './issuer.ts';
import { credentialFields, decisionButtons, esc, hidden, notice, scopeList, sendPage } from './pages.ts';
import { signIn } from './sign-in.ts';
import { needs } from '../route-permission.ts';

const Param = Type.Optional(Type.String({ maxLength: 2048 }));

const AuthorizeParams = Type.Object({
  response_type: Param,
  client_id: Param,
  redirect_uri: Param,
  scope: Param,
  state: Param,
  code_challenge: Param,
  code_challenge_method: Param,
  nonce: Param,
});
type AuthorizeParams = Static<typeof AuthorizeParams>;

const ConsentForm = Type.Object({
  ...AuthorizeParams.properties,
  csrf: Param,
  username: Param,
  password: Param,
  totp: Param,
  decision: Param,
});

const redirectWith = (reply: FastifyReply, uri: string, params: Record<string, string | undefined>) => {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return reply.header('cache-control', 'no-store').redirect(url.toString(), 302);
};

/**
 * The authorization endpoint (RFC 6749 §4.1.1) and its consent page: the user signs in with
 * their password and approves the client's scopes; the browser then goes back to the client
 * with the code. Until the redirect URI is known to be the client's, errors are shown as a page;
 * after that they go back to the client (§4.1.2.1).
 */
export function authorizeRoutes(app: App, deps: RouteDeps): void {
  const { services } = deps;
  const schema = { hide: true };
  const issuer = (req: FastifyRequest) => requestIssuer(deps, req);

  /** The validated request, or null when an error page or redirect was sent instead. */
  async function validate(req: FastifyRequest, reply: FastifyReply, p: AuthorizeParams): Promise<AuthorizationRequest | null> {
    let target;
    try {
      target = await services.oauth.redirectTarget(p.client_id, p.redirect_uri);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      await sendPage(reply, 400, 'Cannot sign in', `<p>The application's request is not valid: ${esc(err.message)}.</p>`);
      return null;
    }
    try {
      return services.oauth.checkAuthorization(target, p);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      await redirectWith(reply, target.redirectUri, { error: err.error, error_description: err.message, state: p.state, iss: issuer(req) });
      return null;
    }
  }

  function consent(req: FastifyRequest, reply: FastifyReply, status: number, request: AuthorizationRequest, p: AuthorizeParams, error?: string, username?: string) {
    const fields = hidden({
      csrf: csrfToken(req, reply),
      response_type: 'code',
      client_id: request.client.id,
      redirect_uri: request.redirectUri,
      scope: request.scope,
      state: p.state,
      code_challenge: p.code_challenge,
      code_challenge_method: p.code_challenge_method,
      nonce: p.nonce,
    });
    return sendPage(
      reply,
      status,
      'Sign in',
      `<p><strong>${esc(request.client.name)}</strong> wants to:</p>${scopeList(request.scope)}${notice(error)}` +
        `<form method="post" action="/oauth/authorize">${fields}${credentialFields(username)}${decisionButtons('Allow')}</form>`,
    );
  }

  app.get('/oauth/authorize', { ...needs('public'), schema: { ...schema, querystring: AuthorizeParams } }, async (req, reply) => {
    const request = await validate(req, reply, req.query);
    if (request) return consent(req, reply, 200, request, req.query);
    return reply;
  });

  app.post('/oauth/authorize', { ...needs('public'), schema: { ...schema, body: ConsentForm } }, async (req, reply) => {
    const form = req.body;
    if (!csrfValid(req, form.csrf)) return sendPage(reply, 403, 'Cannot sign in', '<p>The form has expired. Go back to the application and start again.</p>');
    const request = await validate(req, reply, form);
    if (!request) return reply;
    const back = (params: Record<string, string>) => redirectWith(reply, request.redirectUri, { ...params, state: form.state, iss: issuer(req) });
    if (form.decision !== 'approve') return back({ error: 'access_denied', error_description: 'the user denied the request' });
    const principal = await signIn(services, req, form);
    if ('error' in principal) return consent(req, reply, principal.status, request, form, principal.error, form.username);
    try {
      return back({ code: await services.oauth.issueCode(principal, request) });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      return back({ error: err.error, error_description: err.message });
    }
  });
}
