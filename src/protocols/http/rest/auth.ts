import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../../services/errors.ts';
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
          { username: Type.String({ minLength: 1, maxLength: 320, description: 'Login name or any address of the user' }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ token: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }), ...errors(400, 401) },
      },
    },
    async (req, reply) => {
      const principal = await services.directory.authenticate(req.body.username, req.body.password);
      if (!principal) throw new ServiceError('unauthenticated', 'wrong username or password');
      return reply.code(201).send(await services.tokens.createUserToken(principal));
    },
  );
}
