import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { holds } from '../auth.ts';
import { errors, Nullable, Page, PageQuery, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const UserRef = Type.Ref('User');
const Params = Type.Object({ user: UserParam });

export function userRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['users'];

  app.get(
    '/users',
    {
      ...needs('individual-list'),
      schema: {
        tags,
        summary: 'List users',
        querystring: Type.Object({ ...PageQuery, query: Type.Optional(Type.String({ maxLength: 320, description: 'Matches login, name or address' })) }, { additionalProperties: false }),
        response: { 200: Page(UserRef, 'A page of users'), ...errors(400, 401, 403) },
      },
    },
    async (req) => services.directory.listUsers(req.query),
  );

  app.post(
    '/users',
    {
      ...needs('individual-create'),
      schema: {
        tags,
        summary: 'Create a user with a mail account and the default mailboxes',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 128 }),
            password: Type.String({ minLength: 8, maxLength: 1024 }),
            name: Type.Optional(Type.String({ maxLength: 256 })),
            address: Type.Optional(Type.String({ maxLength: 320, description: 'Main address; defaults to username@<first domain>' })),
            quota: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes; 0 means unlimited' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserRef, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.directory.createUser(req.body)),
  );

  app.get(
    '/users/:user',
    { ...needs('account-view'), schema: { tags, summary: 'Get a user', params: Params, response: { 200: UserRef, ...errors(401, 404) } } },
    async (req) => services.directory.getUser((await auth.account(req, req.params.user)).id),
  );

  app.patch(
    '/users/:user',
    {
      ...needs('account-update'),
      schema: {
        tags,
        summary: 'Change a user (their own password and name; quota and disabled also need individual-update)',
        params: Params,
        body: Type.Object(
          {
            password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
            name: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
            quota: Type.Optional(Type.Integer({ minimum: 0 })),
            disabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserRef, ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const principal = await auth.account(req, req.params.user);
      // What a user may set for themselves is the route's permission; limits are the administrator's.
      if ((req.body.quota !== undefined || req.body.disabled !== undefined) && !holds(req.caller!, 'individual-update')) {
        throw new ServiceError('forbidden', 'changing quota or disabled needs the individual-update permission');
      }
      const user = await services.directory.updateUser(principal.id, req.body);
      auth.forget();
      return user;
    },
  );

  app.delete(
    '/users/:user',
    { ...needs('individual-delete'), schema: { tags, summary: 'Delete a user and all their mail', params: Params, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (req, reply) => {
      await services.directory.deleteUser(req.params.user);
      auth.forget();
      return reply.code(204).send(null);
    },
  );
}
