import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ServiceError } from '../../../../services/errors.ts';
import type { ImapRemoteView, RemoteAccountInput, RemoteAccountView } from '../../../../services/remote/accounts.ts';
import type { SyncLimitType } from '../../../../services/remote/settings.ts';
import type { ListenerContext } from '../../../shared/listener.ts';
import type { App } from '../../app.ts';
import { requireUser } from './auth.ts';
import { detail, fromService, NOT_FOUND } from './errors.ts';
import { pageWindow, paginated, type PageQuery } from './pages.ts';
import { needs } from '../../route-permission.ts';

/** An IMAP server as IMAP2API shows it: a mirrored account, by its integer number. */
export function serverView(v: ImapRemoteView) {
  return {
    id: v.num,
    name: v.name,
    host: v.imap.host,
    port: v.imap.port,
    username: v.username,
    // STARTTLS (set through the native API) is encrypted too.
    use_ssl: v.imap.tls !== 0,
    sync_limit_type: v.sync.limitType,
    sync_limit_value: v.sync.limitValue,
    folders_to_sync: (v.sync.folders ?? []).join(','),
    exclude_trash: v.sync.excludeTrash,
    last_sync: v.lastSyncAt === null ? null : new Date(v.lastSyncAt).toISOString(),
  };
}

// Unknown fields are ignored, as a DRF serializer does: a client may PUT back what it got.
const ServerBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  host: Type.String({ minLength: 1, maxLength: 253 }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  username: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 4096 }),
  use_ssl: Type.Optional(Type.Boolean()),
  sync_limit_type: Type.Optional(Type.Unsafe<SyncLimitType>({ type: 'string', enum: ['days', 'weeks', 'messages', 'all'] })),
  sync_limit_value: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 1 })),
  folders_to_sync: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 100_000 })),
  exclude_trash: Type.Optional(Type.Boolean()),
});
type ServerFields = Partial<Static<typeof ServerBody>>;

const Params = Type.Object({ id: Type.String({ maxLength: 32 }) });

/** The services name the fields of a mirrored account their own way. */
const FIELD_NAMES = { 'imap.host': 'host', 'imap.port': 'port', 'imap.tls': 'use_ssl', email: 'username' };

const PORTS = { ssl: 993, plain: 143 };

/** The account's address: the login when it is one, else login@host (it names the account and its sender). */
const addressOf = (username: string, host: string) => (username.includes('@') ? username : `${username}@${host}`);

const folderList = (v: string | null) => {
  const names = (v ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  return names.length ? names : null;
};

/**
 * The fields given, as a change to a mirrored account. use_ssl true is implicit TLS and false
 * plain IMAP, as IMAP2API connects; asking for what an account already has changes nothing, so a
 * STARTTLS account keeps STARTTLS through a PUT of its own view.
 */
function toInput(f: ServerFields, current?: ImapRemoteView): RemoteAccountInput {
  const input: RemoteAccountInput = {};
  const host = f.host ?? current?.imap.host ?? '';
  if (f.name !== undefined) input.name = f.name;
  if (f.username !== undefined) {
    input.username = f.username;
    input.email = addressOf(f.username, host);
  }
  if (f.password !== undefined) input.password = f.password;
  const imap: NonNullable<RemoteAccountInput['imap']> = {};
  if (f.host !== undefined) imap.host = f.host;
  if (f.port !== undefined) imap.port = f.port;
  if (f.use_ssl !== undefined && (!current || f.use_ssl !== (current.imap.tls !== 0))) imap.tls = f.use_ssl ? 2 : 0;
  if (!current) imap.port ??= f.use_ssl === false ? PORTS.plain : PORTS.ssl;
  if (Object.keys(imap).length) input.imap = imap;
  const sync: NonNullable<RemoteAccountInput['sync']> = {};
  if (f.sync_limit_type !== undefined) sync.limitType = f.sync_limit_type;
  if (f.sync_limit_value !== undefined) sync.limitValue = f.sync_limit_value;
  if (f.folders_to_sync !== undefined) sync.folders = folderList(f.folders_to_sync);
  if (f.exclude_trash !== undefined) sync.excludeTrash = f.exclude_trash;
  if (Object.keys(sync).length) input.sync = sync;
  return input;
}

/** IMAP2API knows IMAP servers only: proxied JMAP accounts are not among them. */
const imapOnly = (all: RemoteAccountView[]) => all.filter((r): r is ImapRemoteView => r.protocol === 'imap');
const asImap = (v: RemoteAccountView): ImapRemoteView => {
  if (v.protocol !== 'imap') throw detail(404, NOT_FOUND);
  return v;
};

const named = (err: unknown) => (err instanceof ServiceError ? fromService(err, FIELD_NAMES) : err);

/** `/imap-servers/`: the user's mirrored IMAP accounts. */
export function serverRoutes(app: App, { services, config }: ListenerContext): void {
  const owned = async (req: FastifyRequest, id: string) => {
    const principal = requireUser(req);
    const server = /^\d{1,15}$/.test(id) ? imapOnly(await services.remotes.list(principal.id)).find((r) => r.num === Number(id)) : undefined;
    if (!server) throw detail(404, NOT_FOUND);
    return server;
  };

  app.get('/imap-servers/', needs('remote-account-list'), async (req) => {
    const principal = requireUser(req);
    const w = pageWindow(req.query as PageQuery);
    const all = imapOnly(await services.remotes.list(principal.id));
    return paginated(req, config.hostname, w, all.length, all.slice(w.offset, w.offset + w.size).map(serverView));
  });

  app.post('/imap-servers/', { ...needs('remote-account-manage'), schema: { body: ServerBody } }, async (req, reply) => {
    const principal = requireUser(req);
    const created = await services.remotes.create({ userRef: principal.id }, toInput(req.body)).catch((err) => Promise.reject(named(err)));
    return reply.code(201).send(serverView(asImap(created)));
  });

  app.get('/imap-servers/:id/', { ...needs('remote-account-list'), schema: { params: Params } }, async (req) => serverView(await owned(req, req.params.id)));

  const update = async (req: FastifyRequest<{ Params: Static<typeof Params>; Body: ServerFields }>) => {
    const server = await owned(req, req.params.id);
    return serverView(asImap(await services.remotes.update(server.id, toInput(req.body, server)).catch((err) => Promise.reject(named(err)))));
  };
  // PUT is partial too: the seed's own example sends three fields.
  app.put('/imap-servers/:id/', { ...needs('remote-account-manage'), schema: { params: Params, body: Type.Partial(ServerBody) } }, update);
  app.patch('/imap-servers/:id/', { ...needs('remote-account-manage'), schema: { params: Params, body: Type.Partial(ServerBody) } }, update);

  app.delete('/imap-servers/:id/', { ...needs('remote-account-manage'), schema: { params: Params } }, async (req, reply) => {
    const server = await owned(req, req.params.id);
    await services.remotes.remove(server.id);
    return reply.code(204).send();
  });

  app.post('/imap-servers/:id/sync/', { ...needs('remote-account-manage'), schema: { params: Params } }, async (req) => {
    const server = await owned(req, req.params.id);
    try {
      await services.remotes.sync(server.id);
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'upstream') throw detail(502, `Email sync failed: ${err.message}`);
      throw err;
    }
    return { status: 'success', message: 'Email sync completed' };
  });
}
