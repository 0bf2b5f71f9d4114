import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../../services/errors.ts';
import { OAuthError } from '../../../services/oauth/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { credentialFields, decisionButtons, esc, hidden, notice, scopeList, sendPage } from './pages.ts';
import { signIn } from './sign-in.ts';
import { needs } from '../route-permission.ts';

const Param = Type.Optional(Type.String({ maxLength: 1024 }));

/**
 * The verification page of the device flow (RFC 8628 §3.3): the person types the code their
 * device shows, signs in and approves or denies; the device, polling the token endpoint, then
 * gets its tokens or access_denied.
 */
export function deviceRoutes(app: App, { services }: RouteDeps): void {
  async function form(req: FastifyRequest, reply: FastifyReply, status: number, userCode: string, error?: string, username?: string) {
    const pending = userCode ? await services.oauth.deviceRequest(userCode) : null;
    const about = pending ? `<p><strong>${esc(pending.client.name)}</strong> wants to:</p>${scopeList(pending.scope)}` : '<p>Enter the code your device shows.</p>';
    return sendPage(
      reply,
      status,
      'Connect a device',
      `${about}${notice(error)}<form method="post" action="/oauth/device">${hidden({ csrf: csrfToken(req, reply) })}` +
        `<label>Code <input name="user_code" value="${esc(userCode)}" required maxlength="20" autocomplete="off"></label>` +
        `${credentialFields(username)}${decisionButtons('Allow')}</form>`,
    );
  }

  app.get('/oauth/device', { ...needs('public'), schema: { hide: true, querystring: Type.Object({ user_code: Param }) } }, async (req, reply) => form(req, reply, 200, req.query.user_code ?? ''));

  app.post(
    '/oauth/device',
    { ...needs('public'), schema: { hide: true, body: Type.Object({ csrf: Param, user_code: Param, username: Param, password: Param, totp: Param, decision: Param }) } },
    async (req, reply) => {
      const { csrf, user_code: userCode = '', username = '', decision } = req.body;
      if (!csrfValid(req, csrf)) return sendPage(reply, 403, 'Connect a device', '<p>The form has expired. Reload the page and try again.</p>');
      if (!(await services.oauth.deviceRequest(userCode))) return form(req, reply, 400, userCode, 'That code is unknown or has expired.', username);
      const principal = await signIn(services, req, req.body);
      if ('error' in principal) return form(req, reply, principal.status, userCode, principal.error, username);
      const approve = decision === 'approve';
      try {
        await services.oauth.decideDevice(userCode, principal, approve);
      } catch (err) {
        if (err instanceof OAuthError || (err instanceof ServiceError && err.code === 'notFound')) return form(req, reply, 400, userCode, err.message, username);
        throw err;
      }
      return sendPage(reply, 200, 'Connect a device', approve ? '<p>The device is connected. You can close this window.</p>' : '<p>The request was denied.</p>');
    },
  );
}
