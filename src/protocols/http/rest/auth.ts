import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors } from './schemas.ts';
import { needs } from '../route-permission.ts';

export function authRoutes(app: App, { services }: RouteDeps): void {
  app.post(
    '/auth/token',
    {
      ...needs('public'),
      schema: {
        tags: ['auth'],
        summary: 'Exchange a user\'s login and password for a bearer token',
        security: [],
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 320, description: 'Login name or any address of the user' }),
            password: Type.String({ minLength: 1, maxLength: 1024, description: 'The master password, or an application-specific password with scope api or *' }),
            totp: Type.Optional(Type.String({ maxLength: 64, description: 'With 2FA on and the master password: the current TOTP code or a recovery code' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ token: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }), ...errors(400, 401, 503) },
      },
    },
    async (req, reply) => {
      const { principal } = await services.auth.authenticate({ login: req.body.username, secret: req.body.password, totp: req.body.totp, protocol: 'api', ip: req.ip, mechanism: 'token' });
      return reply.code(201).send(await services.tokens.createUserToken(principal));
    },
  );
}
