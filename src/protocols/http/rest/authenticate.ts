import { Type } from '@sinclair/typebox';
import type { AuthProtocol } from '../../../services/auth/authenticate.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors } from './schemas.ts';
import { needs } from '../route-permission.ts';

const SCOPES = ['master', 'imap', 'pop3', 'smtp', 'jmap', 'api'] as const;

/**
 * WildDuck's POST /authenticate: a trusted front end (webmail, an SSO bridge) checks a user's
 * password on the user's behalf. It reveals who a password belongs to, so it needs
 * `principal-get` (ADR 0024); failures are logged and throttled against the `ip` it names.
 */
export function authenticateRoutes(app: App, { services }: RouteDeps): void {
  app.post(
    '/authenticate',
    {
      ...needs('principal-get'),
      schema: {
        tags: ['auth'],
        summary: 'Check a user\'s credentials on their behalf (WildDuck POST /authenticate)',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 320, description: 'Login name or any address of the user' }),
            password: Type.String({ minLength: 1, maxLength: 1024, description: 'The master password, or an application-specific password (not with scope master)' }),
            scope: Type.Optional(Type.Union(SCOPES.map((s) => Type.Literal(s)), { default: 'master', description: 'What the authentication is for; master accepts only the master password' })),
            protocol: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'The client\'s protocol, recorded in the auth log (e.g. IMAP, API)' })),
            ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The end user\'s address: counted and logged instead of the caller\'s' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            id: Type.String(),
            username: Type.String(),
            scope: Type.String(),
            require2fa: Type.Boolean({ description: 'The master password matched and the user has 2FA: check a code before letting them in' }),
          }),
          ...errors(400, 401, 403, 503),
        },
      },
    },
    async (req) => {
      const scope = req.body.scope ?? 'master';
      const outcome = await services.auth.authenticate({
        login: req.body.username,
        secret: req.body.password,
        protocol: scope === 'master' ? 'api' : (scope as AuthProtocol),
        scope: scope === 'master' ? 'master' : undefined,
        ip: req.body.ip ?? req.ip,
        mechanism: 'authenticate',
        logProtocol: req.body.protocol?.toLowerCase(),
      });
      return { success: true as const, id: outcome.principal.id, username: outcome.principal.username, scope, require2fa: outcome.require2fa };
    },
  );
}
