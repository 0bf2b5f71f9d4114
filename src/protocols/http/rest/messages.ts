import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { invalid } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { contentDisposition } from './content-disposition.ts';
import { errors, MailboxParams, Page, PageQuery, UserParam } from './schemas.ts';
import { needs } from '../route-permission.ts';

const Summary = Type.Ref('MessageSummary');
const Detail = Type.Ref('MessageDetail');
const MessageParams = Type.Object({ user: UserParam, message: Type.String({ minLength: 1, maxLength: 64, description: 'Message id' }) });
// Binary bodies are documented as strings in OpenAPI but sent as streams or buffers.
const Binary = Type.Unsafe<Buffer | Readable>({ type: 'string', contentEncoding: 'binary' });
const Keyword = Type.String({ minLength: 1, maxLength: 100 });
const Keywords = Type.Array(Keyword, { maxItems: 100 });
const MailboxIds = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 });

export function messageRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['messages'];

  app.get(
    '/users/:user/mailboxes/:mailbox/messages',
    {
      ...needs('mail-read'),
      schema: {
        tags,
        summary: 'List the messages of a mailbox, newest first by default',
        params: MailboxParams,
        querystring: Type.Object(
          {
            ...PageQuery,
            order: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' })),
            unseen: Type.Optional(Type.Boolean({ description: 'Only messages without $seen' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Summary, 'A page of messages'), ...errors(400, 401, 404) },
      },
    },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      return services.messages.list(accountId, await services.mailboxes.resolve(accountId, req.params.mailbox), req.query);
    },
  );

  app.post(
    '/users/:user/mailboxes/:mailbox/messages',
    {
      ...needs('mail-write'),
      schema: {
        tags,
        summary: 'Store a raw RFC 5322 message (Content-Type message/rfc822) in a mailbox',
        description: 'The bytes are stored exactly as sent and go through the same ingest and quota checks as delivered mail.',
        params: MailboxParams,
        querystring: Type.Object(
          {
            keywords: Type.Optional(Type.String({ maxLength: 2000, description: 'Comma-separated keywords, e.g. $seen,$flagged' })),
            receivedAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Defaults to now' })),
          },
          { additionalProperties: false },
        ),
        consumes: ['message/rfc822', 'application/octet-stream'],
        response: { 201: Detail, ...errors(400, 401, 404, 413, 415, 507) },
      },
    },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      if (!Buffer.isBuffer(req.body)) throw invalid('body', 'send the raw message with Content-Type: message/rfc822');
      let receivedAt: number | undefined;
      if (req.query.receivedAt !== undefined) {
        receivedAt = Date.parse(req.query.receivedAt);
        if (Number.isNaN(receivedAt)) throw invalid('receivedAt', 'must be an RFC 3339 date-time');
      }
      const keywords = req.query.keywords ? req.query.keywords.split(',').map((k) => k.trim()).filter(Boolean) : [];
      const mailboxId = await services.mailboxes.resolve(accountId, req.params.mailbox);
      const stored = await services.ingest.ingest({ accountId, raw: req.body, mailboxId, keywords, receivedAt });
      return reply.code(201).header('location', `/api/v1/users/${req.params.user}/messages/${stored.id}`).send(await services.messages.get(accountId, stored.id));
    },
  );

  app.get(
    '/users/:user/messages/:message',
    { ...needs('mail-read'), schema: { tags, summary: 'Get a message with its bodies and attachment list', params: MessageParams, response: { 200: Detail, ...errors(401, 404) } } },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      return services.messages.get(accountId, req.params.message);
    },
  );

  app.patch(
    '/users/:user/messages/:message',
    {
      ...needs('mail-write'),
      schema: {
        tags,
        summary: 'Change keywords/flags or mailboxes (move, copy-to, remove-from)',
        params: MessageParams,
        body: Type.Object(
          {
            keywords: Type.Optional(Keywords),
            addKeywords: Type.Optional(Keywords),
            removeKeywords: Type.Optional(Keywords),
            seen: Type.Optional(Type.Boolean()),
            flagged: Type.Optional(Type.Boolean()),
            mailboxIds: Type.Optional(MailboxIds),
            addMailboxIds: Type.Optional(MailboxIds),
            removeMailboxIds: Type.Optional(MailboxIds),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Detail, ...errors(400, 401, 404) },
      },
    },
    async (req) => {
      const { accountId } = await auth.account(req, req.params.user);
      return services.messages.update(accountId, req.params.message, req.body);
    },
  );

  app.delete(
    '/users/:user/messages/:message',
    { ...needs('mail-write'), schema: { tags, summary: 'Delete a message from every mailbox', params: MessageParams, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      await services.messages.delete(accountId, req.params.message);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:user/messages/:message/raw',
    {
      ...needs('mail-read'),
      schema: {
        tags,
        summary: 'The message exactly as stored (message/rfc822)',
        params: MessageParams,
        produces: ['message/rfc822'],
        response: { 200: { description: 'The raw message', content: { 'message/rfc822': { schema: Binary } } }, ...errors(401, 404) },
      },
    },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      const { size, stream } = await services.messages.raw(accountId, req.params.message);
      return reply.type('message/rfc822').header('content-length', size).header('content-disposition', contentDisposition('attachment', `${req.params.message}.eml`)).send(stream);
    },
  );

  app.get(
    '/users/:user/messages/:message/attachments/:attachment',
    {
      ...needs('mail-read'),
      schema: {
        tags,
        summary: 'Download an attachment, decoded',
        params: Type.Object({ user: UserParam, message: Type.String({ maxLength: 64 }), attachment: Type.String({ maxLength: 200, description: 'Attachment id from the message detail' }) }),
        response: { 200: { description: 'The decoded content', content: { 'application/octet-stream': { schema: Binary } } }, ...errors(401, 404) },
      },
    },
    async (req, reply) => {
      const { accountId } = await auth.account(req, req.params.user);
      const att = await services.messages.attachment(accountId, req.params.message, req.params.attachment);
      return reply
        .type(/^[\w.+-]+\/[\w.+-]+$/.test(att.contentType) ? att.contentType : 'application/octet-stream')
        .header('content-disposition', contentDisposition('attachment', att.filename))
        .header('x-content-type-options', 'nosniff')
        .send(att.content);
    },
  );
}
