import { Type } from '@sinclair/typebox';
import { ASP_SCOPES } from '../../../services/auth/app-passwords.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors, IdParam, Nullable, Page, PageQuery, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const Params = Type.Object({ user: UserParam });
const Scope = Type.Union(ASP_SCOPES.map((s) => Type.Literal(s)));

const AppPassword = Type.Object(
  {
    id: Type.String(),
    description: Type.String(),
    scopes: Type.Array(Scope),
    created: Type.String({ format: 'date-time' }),
    lastUse: Nullable(Type.Object({ time: Type.String({ format: 'date-time' }), ip: Nullable(Type.String()) })),
  },
  { description: 'An application-specific password; its secret is shown only when it is created' },
);

const AuthLogEntry = Type.Object({
  id: Type.String(),
  action: Type.String({ description: '`authenticate`, `create asp`, `delete asp`, `enable 2fa`, `disable 2fa` or `check 2fa`' }),
  result: Type.String({ description: '`success` or `fail`' }),
  reason: Nullable(Type.String({ description: 'Why it failed (badCredentials, throttled, scope, aspRequired, totpRequired, totpInvalid, …); `require2fa` on a success still needing the second factor' })),
  protocol: Type.String({ description: 'imap, smtp, pop3, jmap, api, or what the client of POST /authenticate named' }),
  mechanism: Nullable(Type.String()),
  scope: Nullable(Type.String()),
  asp: Nullable(Type.String({ description: 'Id of the application-specific password used' })),
  ip: Nullable(Type.String()),
  login: Type.String({ description: 'The login name as sent' }),
  created: Type.String({ format: 'date-time' }),
});

const Token = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64, description: 'A 6-digit TOTP code (or, for check, a recovery code)' }) }, { additionalProperties: false });

/** A user's application-specific passwords, TOTP second factor and auth log (issue 7 §7). */
export function credentialRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['credentials'];

  app.get(
    '/users/:user/asps',
    { ...needs('manage-app-passwords'), schema: { tags, summary: 'List application-specific passwords', params: Params, response: { 200: Type.Object({ results: Type.Array(AppPassword) }), ...errors(401, 403, 404) } } },
    async (req) => {
      return { results: await services.credentials.listAppPasswords(await auth.account(req, req.params.user)) };
    },
  );

  app.post(
    '/users/:user/asps',
    {
      ...needs('manage-app-passwords'),
      schema: {
        tags,
        summary: 'Create an application-specific password (the password is shown only in this response)',
        params: Params,
        body: Type.Object(
          { description: Type.String({ minLength: 1, maxLength: 256 }), scopes: Type.Array(Scope, { minItems: 1, maxItems: 6, description: 'Protocols it works on; `*` for all' }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String(), password: Type.String({ description: '16 lowercase letters; shown once' }) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const principal = await auth.account(req, req.params.user);
      return reply.code(201).send(await services.credentials.createAppPassword(principal, req.body, req.ip));
    },
  );

  app.delete(
    '/users/:user/asps/:asp',
    { ...needs('manage-app-passwords'), schema: { tags, summary: 'Delete an application-specific password', params: Type.Object({ user: UserParam, asp: IdParam('Application-specific password') }), response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (req, reply) => {
      await services.credentials.deleteAppPassword(await auth.account(req, req.params.user), req.params.asp, req.ip);
      auth.forget();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:user/2fa/totp',
    {
      ...needs('manage-2fa'),
      schema: {
        tags,
        summary: 'Start setting up TOTP: a new secret, its otpauth URL and a QR code (enabled only after verify)',
        params: Params,
        body: Type.Optional(Type.Object({ issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Name the authenticator app shows' })) }, { additionalProperties: false })),
        response: {
          200: Type.Object({ secret: Type.String({ description: 'Base32' }), otpauthUrl: Type.String(), qrcode: Type.String({ description: 'PNG data URL of otpauthUrl' }) }),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => {
      return services.credentials.setupTotp(await auth.account(req, req.params.user), req.body?.issuer);
    },
  );

  app.post(
    '/users/:user/2fa/totp/verify',
    {
      ...needs('manage-2fa'),
      schema: {
        tags,
        summary: 'Enable TOTP with a code from the new secret; returns the recovery codes, shown only here',
        params: Params,
        body: Token,
        response: { 200: Type.Object({ enabled: Type.Literal(true), recoveryCodes: Type.Array(Type.String(), { description: 'Each works once in place of a TOTP code' }) }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const codes = await services.credentials.enableTotp(await auth.account(req, req.params.user), req.body.token, req.ip);
      auth.forget();
      return { enabled: true as const, recoveryCodes: codes };
    },
  );

  app.post(
    '/users/:user/2fa/totp/check',
    {
      ...needs('manage-2fa'),
      schema: {
        tags,
        summary: 'Check (and use up) a TOTP or recovery code: 200 when valid, 403 when not or already used, 409 when 2FA is off',
        params: Params,
        body: Token,
        response: { 200: Type.Object({ valid: Type.Literal(true), kind: Type.Union([Type.Literal('totp'), Type.Literal('recovery')]) }), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      return { valid: true as const, kind: await services.credentials.checkTotp(await auth.account(req, req.params.user), req.body.token, req.ip) };
    },
  );

  app.delete(
    '/users/:user/2fa/totp',
    { ...needs('manage-2fa'), schema: { tags, summary: 'Disable TOTP: the master password works on IMAP, POP3 and SMTP again', params: Params, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (req, reply) => {
      await services.credentials.disableTotp(await auth.account(req, req.params.user), req.ip);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:user/authlog',
    {
      ...needs('authlog-view'),
      schema: {
        tags,
        summary: 'The auth log: every login attempt on every protocol and every credential change, newest first',
        params: Params,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(AuthLogEntry, 'A page of auth log entries'), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      return services.auth.log.list((await auth.account(req, req.params.user)).id, req.query);
    },
  );
}
