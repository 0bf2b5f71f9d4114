import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

export function threadRoutes(app: App, { services, auth }: RouteDeps): void {
  app.get(
    '/users/:user/threads/:thread',
    {
      ...needs('mail-read'),
      schema: {
        tags: ['messages'],
        summary: 'A conversation: its messages, oldest first',
        params: Type.Object({ user: UserParam, thread: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Type.Object({ id: Type.String(), messages: Type.Array(Type.Ref('MessageSummary')) }), ...errors(401, 404) },
      },
    },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      return services.messages.thread(accountId, req.params.thread);
    },
  );
}
