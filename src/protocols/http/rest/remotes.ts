import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { RemoteAccountInput, RemoteAccountView } from '../../../services/remote/accounts.ts';
import { notFound } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors, IdParam, Nullable, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const Server = (port: number, tls: number) =>
  Type.Object(
    {
      host: Type.String({ minLength: 1, maxLength: 253 }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: `Default ${port}` })),
      tls: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(2), Type.Literal(3)], { description: `0 plain, 2 implicit TLS, 3 STARTTLS; default ${tls}` })),
    },
    { additionalProperties: false },
  );

const Sync = Type.Object(
  {
    limitType: Type.Optional(Type.Union(['all', 'days', 'weeks', 'messages'].map((t) => Type.Literal(t)), { description: 'Mirror everything, or the newest N days, weeks or messages of each folder' })),
    limitValue: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    folders: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { maxItems: 1000, description: 'Upstream folders to mirror; null: all' }))),
    excludeTrash: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);


const Jmap = {
  sessionUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2048, description: 'JMAP: the upstream Session URL, or its /.well-known/jmap' })),
  authType: Type.Optional(Type.Union([Type.Literal('basic'), Type.Literal('bearer')], { description: 'JMAP: how the password authenticates upstream; default basic' })),
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const render = (v: RemoteAccountView) => {
  const { num: _num, externalId: _external, ...rest } = v;
  return { ...rest, lastSyncAt: iso(v.lastSyncAt), lastErrorAt: iso(v.lastErrorAt) };
};

const Params = Type.Object({ user: UserParam, remote: IdParam('Remote account') });

/** Remote accounts in a user's pool, mirrored or proxied (DESIGN.md §6). */
export function remoteRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['remotes'];
  const Ref = Type.Ref('RemoteAccount');
  const List = Type.Object({ total: Type.Integer(), results: Type.Array(Ref), next: Type.Null() });
  const listOf = (remotes: RemoteAccountView[]) => ({ total: remotes.length, results: remotes.map(render), next: null });

  /** The remote account, if it belongs to the user the caller may act for. */
  const owned = async (req: FastifyRequest, userRef: string, id: string) => {
    const principal = await auth.account(req, userRef);
    const remote = await services.remotes.get(id).catch(() => null);
    if (!remote || remote.userId !== principal.id) throw notFound(`remote account ${id}`);
    return remote;
  };

  app.get(
    '/remotes',
    { ...needs('remote-account-admin'), schema: { tags, summary: 'List every mirrored account of every user (admin)', response: { 200: List, ...errors(401, 403) } } },
    async () => listOf(await services.remotes.list()),
  );

  app.get(
    '/users/:user/remotes',
    { ...needs('remote-account-list'), schema: { tags, summary: 'List the remote (mirrored and proxied) accounts of a user', params: Type.Object({ user: UserParam }), response: { 200: List, ...errors(401, 404) } } },
    async (req) => listOf(await services.remotes.list((await auth.account(req, req.params.user)).id)),
  );

  app.post(
    '/users/:user/remotes',
    {
      ...needs('remote-account-manage'),
      schema: {
        tags,
        summary: 'Add a remote account to a user: mirrored IMAP (servers discovered when imap is omitted) or proxied JMAP (checked against its upstream Session)',
        params: Type.Object({ user: UserParam }),
        body: Type.Object(
          {
            protocol: Type.Optional(Type.Union([Type.Literal('imap'), Type.Literal('jmap')], { description: 'imap (default): mirror the account; jmap: proxy it' })),
            email: Type.String({ minLength: 3, maxLength: 320 }),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            username: Type.Optional(Type.String({ maxLength: 320, description: 'Upstream login; defaults to email' })),
            password: Type.String({ minLength: 1, maxLength: 4096, description: 'Upstream password, or the bearer token with authType bearer' }),
            imap: Type.Optional(Server(993, 2)),
            smtp: Type.Optional(Nullable(Server(587, 3))),
            sync: Type.Optional(Sync),
            ...Jmap,
          },
          { additionalProperties: false },
        ),
        response: { 201: Ref, ...errors(400, 401, 404, 409, 502, 503) },
      },
    },
    async (req, reply) => {
      const principal = await auth.account(req, req.params.user);
      return reply.code(201).send(render(await services.remotes.create({ userRef: principal.id }, req.body as RemoteAccountInput)));
    },
  );

  app.get('/users/:user/remotes/:remote', { ...needs('remote-account-list'), schema: { tags, summary: 'Get a remote account, with its sync state when mirrored', params: Params, response: { 200: Ref, ...errors(401, 404) } } }, async (req) =>
    render(await owned(req, req.params.user, req.params.remote)),
  );

  app.patch(
    '/users/:user/remotes/:remote',
    {
      ...needs('remote-account-manage'),
      schema: {
        tags,
        summary: 'Change a remote account (a new server, login or folder choice reconnects a mirror; a JMAP account is checked upstream again)',
        params: Params,
        body: Type.Object(
          {
            email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            username: Type.Optional(Type.String({ maxLength: 320 })),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
            imap: Type.Optional(Type.Partial(Server(993, 2))),
            smtp: Type.Optional(Nullable(Type.Partial(Server(587, 3)))),
            sync: Type.Optional(Sync),
            ...Jmap,
          },
          { additionalProperties: false },
        ),
        response: { 200: Ref, ...errors(400, 401, 404, 502, 503) },
      },
    },
    async (req) => {
      const remote = await owned(req, req.params.user, req.params.remote);
      return render(await services.remotes.update(remote.id, req.body as RemoteAccountInput));
    },
  );

  app.delete(
    '/users/:user/remotes/:remote',
    { ...needs('remote-account-manage'), schema: { tags, summary: 'Remove a remote account and any local copy (the upstream mailbox is not touched)', params: Params, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (req, reply) => {
      const remote = await owned(req, req.params.user, req.params.remote);
      await services.remotes.remove(remote.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:user/remotes/:remote/sync',
    { ...needs('remote-account-manage'), schema: { tags, summary: 'Sync now; answers when the pass is done (a proxied JMAP account has nothing to sync)', params: Params, response: { 200: Ref, ...errors(401, 404, 502) } } },
    async (req) => {
      const remote = await owned(req, req.params.user, req.params.remote);
      await services.remotes.sync(remote.id);
      return render(await services.remotes.get(remote.id));
    },
  );
}
