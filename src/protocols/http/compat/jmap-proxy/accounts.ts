import { Type, type Static } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import { createHash, timingSafeEqual } from 'node:crypto';
import { normalizeUsername } from '../../../../services/directory/names.ts';
import { ServiceError } from '../../../../services/errors.ts';
import type { RemoteAccountInput, RemoteAccountView } from '../../../../services/remote/accounts.ts';
import type { ListenerContext } from '../../../shared/listener.ts';
import type { App } from '../../app.ts';
import { problemFor } from '../../problem.ts';
import { fieldErrors } from '../../validation.ts';

const Ssl = Type.Union([Type.Literal(0), Type.Literal(2), Type.Literal(3)], { description: '0 plain, 2 TLS, 3 STARTTLS' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Url = Type.String({ maxLength: 2048 });

// Every field the seed documents for either account type; its JMAP fields (sessionUrl, authType)
// are accepted here so that type can be switched on without touching the schema.
const CreateBody = Type.Object(
  {
    accountid: Type.String({ minLength: 1, maxLength: 128 }),
    email: Type.String({ maxLength: 320 }),
    type: Type.Optional(Type.Union([Type.Literal('imap'), Type.Literal('jmap')])),
    username: Type.Optional(Type.String({ maxLength: 320 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    imapHost: Type.Optional(Type.String({ maxLength: 253 })),
    imapPort: Type.Optional(Port),
    imapSSL: Type.Optional(Ssl),
    smtpHost: Type.Optional(Type.String({ maxLength: 253 })),
    smtpPort: Type.Optional(Port),
    smtpSSL: Type.Optional(Ssl),
    caldavURL: Type.Optional(Url),
    carddavURL: Type.Optional(Url),
    sessionUrl: Type.Optional(Url),
    authType: Type.Optional(Type.Union([Type.Literal('basic'), Type.Literal('bearer')])),
  },
  { additionalProperties: false },
);
type CreateBody = Static<typeof CreateBody>;
type AccountType = NonNullable<CreateBody['type']>;

/**
 * How each seed account type becomes the mirrored-account service's input; a type missing here
 * is refused. caldavURL and carddavURL are accepted and dropped: Gannet mirrors no calendars or
 * contacts yet.
 */
const INPUTS: Partial<Record<AccountType, (b: CreateBody) => RemoteAccountInput>> = {
  imap: (b) => ({
    email: b.email,
    username: b.username,
    password: b.password,
    // Without a host the service discovers the servers from the address.
    imap: b.imapHost ? { host: b.imapHost, port: b.imapPort, tls: b.imapSSL } : undefined,
    smtp: b.smtpHost ? { host: b.smtpHost, port: b.smtpPort, tls: b.smtpSSL } : undefined,
  }),
  jmap: (b) => ({ protocol: 'jmap', email: b.email, username: b.username, password: b.password, sessionUrl: b.sessionUrl, authType: b.authType }),
};

const Params = Type.Object({ accountid: Type.String({ minLength: 1, maxLength: 320 }) });

/** The seed's account id: the one given when the account was made here, else Gannet's own id. */
export const accountidOf = (v: Pick<RemoteAccountView, 'id' | 'externalId'>): string => v.externalId ?? v.id;

const render = (v: RemoteAccountView) => ({
  accountid: accountidOf(v),
  email: v.email,
  type: v.protocol,
  // A proxied JMAP account has no server of its own and stores nothing here.
  ...(v.protocol === 'imap' ? { imapHost: v.imap.host, imapPort: v.imap.port, folders: v.folders, messages: v.messages } : { folders: 0, messages: 0 }),
});

// The seed answers every error as {"error": "..."}; its statuses are 400, 404 and 500, so an
// upstream or availability failure is a 500 here rather than the native API's 502/503.
function statusOf(err: ServiceError): number {
  const status = problemFor(err.code, err.message).status;
  return status >= 500 ? 500 : status;
}

/** The first schema error in the seed's words: "accountid required". */
function validationMessage(errors: ErrorObject[], part: string | undefined): string {
  const [first] = errors;
  const [{ field, message }] = fieldErrors([first], part);
  const missing = first.keyword === 'required' || (first.keyword === 'minLength' && (first.params as { limit: number }).limit === 1);
  return missing ? `${field} required` : `${field} ${message}`;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The JMAP proxy's management API (seed 000, "Accounts") on the management listener. Each
 * account made here is a new Gannet user whose login is the accountid, whose password is the
 * account's password, and whose primary account mirrors the upstream mailbox.
 */
export function proxyAccountRoutes(app: App, { services, config, logger }: ListenerContext): void {
  // Bodies are JSON whatever the Content-Type says (curl -d sends form encoding); an empty one
  // is no body, so a sync or delete sent with a JSON Content-Type is not refused.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => (body === '' ? done(null, undefined) : json(req, body as string, done)));

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ServiceError) return reply.code(statusOf(err)).send({ error: err.code === 'notFound' ? 'not found' : err.message });
    const e = err as Error & { validation?: ErrorObject[]; validationContext?: string; statusCode?: number; code?: string };
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return reply.code(400).send({ error: 'invalid JSON' });
    if (e.validation) {
      // No body at all reaches the schema as undefined: to the seed that is not JSON either.
      const missing = e.validationContext === 'body' && req.body === undefined;
      return reply.code(400).send({ error: missing ? 'invalid JSON' : validationMessage(e.validation, e.validationContext) });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message });
    logger.error({ err, url: req.url }, 'management request failed');
    return reply.code(500).send({ error: 'internal error; see the server log' });
  });

  if (config.mgmtToken) {
    const expected = digest(`Bearer ${config.mgmtToken}`);
    app.addHook('onRequest', async (req, reply) => {
      if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="gannet-mgmt"').send({ error: 'unauthorized' });
      }
    });
  }

  const find = (accountid: string): Promise<RemoteAccountView> =>
    services.remotes.byExternalId(accountid).catch((err: unknown) => {
      if (err instanceof ServiceError && err.code === 'notFound') return services.remotes.get(accountid);
      throw err;
    });

  app.get('/api/accounts', async () => (await services.remotes.list()).map(render));

  app.get('/api/accounts/:accountid', { schema: { params: Params } }, async (req) => render(await find(req.params.accountid)));

  app.post('/api/accounts', { schema: { body: CreateBody } }, async (req, reply) => {
    const body = req.body;
    const type: AccountType = body.type ?? (body.sessionUrl === undefined ? 'imap' : 'jmap');
    const input = INPUTS[type];
    if (!input) return reply.code(400).send({ error: `type ${type} is not supported yet` });
    // The accountid becomes the login: checked here so the error names the seed's field.
    normalizeUsername(body.accountid, 'accountid');
    const created = await services.remotes.create({ newUser: { username: body.accountid, password: body.password ?? '' } }, input(body), body.accountid);
    // The seed answers once the account is initialised; a failed first sync leaves it in place.
    const failure = await services.remotes.sync(created.id).then(
      () => null,
      (err: Error) => err.message,
    );
    // For a JMAP account the canonical id is the one its (proxied) account has in the session.
    if (created.protocol === 'jmap') return reply.code(201).send({ accountid: created.id, type, email: created.email });
    return reply.code(201).send({ accountid: accountidOf(created), type, ...(failure === null ? {} : { warning: `setup failed: ${failure}` }) });
  });

  app.delete('/api/accounts/:accountid', { schema: { params: Params } }, async (req) => {
    await services.remotes.remove((await find(req.params.accountid)).id);
    return { deleted: true };
  });

  app.post('/api/accounts/:accountid/sync', { schema: { params: Params } }, async (req) => {
    const account = await find(req.params.accountid);
    await services.remotes.sync(account.id);
    return { synced: accountidOf(account) };
  });
}
