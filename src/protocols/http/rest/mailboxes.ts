import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, MailboxParams, Nullable, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const MailboxRef = Type.Ref('Mailbox');

const Body = {
  name: Type.String({ minLength: 1, maxLength: 255 }),
  parentId: Nullable(Type.String({ maxLength: 64, description: 'Parent mailbox id; null for top level' })),
  subscribed: Type.Boolean(),
  sortOrder: Type.Integer({ minimum: 0 }),
  role: Nullable(Type.String({ maxLength: 32 })),
};

export function mailboxRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['mailboxes'];

  app.get(
    '/users/:user/mailboxes',
    {
      ...needs('mail-read'),
      schema: {
        tags,
        summary: 'List mailboxes with message counts',
        params: Type.Object({ user: UserParam }),
        response: { 200: Type.Object({ total: Type.Integer(), results: Type.Array(MailboxRef), next: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      const results = await services.mailboxes.list(accountId);
      return { total: results.length, results, next: null };
    },
  );

  app.post(
    '/users/:user/mailboxes',
    {
      ...needs('mail-write'),
      schema: {
        tags,
        summary: 'Create a mailbox',
        params: Type.Object({ user: UserParam }),
        body: Type.Object(
          { name: Body.name, parentId: Type.Optional(Body.parentId), subscribed: Type.Optional(Body.subscribed), sortOrder: Type.Optional(Body.sortOrder), role: Type.Optional(Body.role) },
          { additionalProperties: false },
        ),
        response: { 201: MailboxRef, ...errors(400, 401, 404, 409) },
      },
    },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      return reply.code(201).send(await services.mailboxes.create(accountId, req.body));
    },
  );

  app.get(
    '/users/:user/mailboxes/:mailbox',
    { ...needs('mail-read'), schema: { tags, summary: 'Get a mailbox', params: MailboxParams, response: { 200: MailboxRef, ...errors(401, 404) } } },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      return services.mailboxes.get(accountId, await services.mailboxes.resolve(accountId, req.params.mailbox));
    },
  );

  app.patch(
    '/users/:user/mailboxes/:mailbox',
    {
      ...needs('mail-write'),
      schema: {
        tags,
        summary: 'Rename, move (parentId), subscribe or reorder a mailbox',
        params: MailboxParams,
        body: Type.Object(
          { name: Type.Optional(Body.name), parentId: Type.Optional(Body.parentId), subscribed: Type.Optional(Body.subscribed), sortOrder: Type.Optional(Body.sortOrder), role: Type.Optional(Body.role) },
          { additionalProperties: false },
        ),
        response: { 200: MailboxRef, ...errors(400, 401, 404, 409) },
      },
    },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      return services.mailboxes.update(accountId, await services.mailboxes.resolve(accountId, req.params.mailbox), req.body);
    },
  );

  app.delete(
    '/users/:user/mailboxes/:mailbox',
    {
      ...needs('mail-write'),
      schema: {
        tags,
        summary: 'Delete a mailbox; messages only in it are deleted, others just leave it',
        params: MailboxParams,
        response: { 204: Type.Null(), ...errors(400, 401, 404, 409) },
      },
    },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      await services.mailboxes.delete(accountId, await services.mailboxes.resolve(accountId, req.params.mailbox));
      return reply.code(204).send(null);
    },
  );
}
