import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, IdParam, Page, PageQuery, QueueStatusSchema } from './schemas.ts';
import { needs } from '../route-permission.ts';

const MessageRef = Type.Ref('QueuedMessage');
const StateRef = Type.Ref('QueueState');
const Params = Type.Object({ id: IdParam('Queued message') });
const Address = Type.String({ minLength: 3, maxLength: 320 });
const DomainName = Type.String({ minLength: 1, maxLength: 300 });
const At = Type.String({ format: 'date-time', maxLength: 40, description: 'When to try next; defaults to now' });

/** What the list and the bulk operations filter by. */
const Filter = {
  status: Type.Optional(QueueStatusSchema),
  recipient: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Part of a recipient address' })),
  from: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Part of the reverse path' })),
  domain: Type.Optional(DomainName),
};
const BulkNote = 'Every message the filter matches (all, without one); in each, its waiting recipients, only those matching recipient and domain when given';
const Count = Type.Object({ count: Type.Integer({ minimum: 0, description: 'Messages changed' }) });

/** The outbound queue: what waits, when it is tried next, and the runner. */
export function queueRoutes(app: App, { services }: RouteDeps): void {
  const tags = ['queue'];
  const queue = services.queueAdmin;

  app.get(
    '/queue/messages',
    {
      ...needs('message-queue-list'),
      schema: {
        tags,
        summary: 'List queued messages, oldest first',
        querystring: Type.Object(
          { ...PageQuery, ...Filter },
          { additionalProperties: false, description: 'A message matches when one of its recipients matches status, recipient and domain' },
        ),
        response: { 200: Page(MessageRef, 'A page of queued messages'), ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      return queue.list(filter, { limit, cursor });
    },
  );

  app.post(
    '/queue/messages/reschedule',
    {
      ...needs('message-queue-update'),
      schema: {
        tags,
        summary: 'Reschedule every queued message matching a filter: now, or at a given time',
        body: Type.Object({ ...Filter, at: Type.Optional(At) }, { additionalProperties: false, description: BulkNote }),
        response: { 200: Count, ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const { at, ...filter } = req.body;
      return { count: await queue.rescheduleMatching(filter, at === undefined ? undefined : Date.parse(at)) };
    },
  );

  app.post(
    '/queue/messages/cancel',
    {
      ...needs('message-queue-delete'),
      schema: {
        tags,
        summary: 'Cancel every queued message matching a filter, without bounces',
        body: Type.Object(Filter, { additionalProperties: false, description: BulkNote }),
        response: { 200: Count, ...errors(400, 401, 403) },
      },
    },
    async (req) => ({ count: await queue.cancelMatching(req.body) }),
  );

  app.get(
    '/queue/messages/:id',
    { ...needs('message-queue-get'), schema: { tags, summary: 'Get a queued message with its recipients', params: Params, response: { 200: MessageRef, ...errors(401, 403, 404) } } },
    async (req) => queue.get(req.params.id),
  );

  app.patch(
    '/queue/messages/:id',
    {
      ...needs('message-queue-update'),
      schema: {
        tags,
        summary: 'Reschedule the waiting recipients of a message: now, or at a given time',
        params: Params,
        body: Type.Object(
          {
            at: Type.Optional(At),
            recipients: Type.Optional(Type.Array(Address, { minItems: 1, maxItems: 1000, description: 'Only these recipients' })),
            domain: Type.Optional(Type.String({ ...DomainName, description: 'Only the recipients in this domain' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: MessageRef, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { at, ...selection } = req.body;
      return queue.reschedule(req.params.id, selection, at === undefined ? undefined : Date.parse(at));
    },
  );

  app.delete(
    '/queue/messages/:id',
    { ...needs('message-queue-delete'), schema: { tags, summary: 'Cancel every waiting recipient of a message; it leaves the queue, without a bounce', params: Params, response: { 204: Type.Null(), ...errors(401, 403, 404, 409) } } },
    async (req, reply) => {
      await queue.cancel(req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/queue/messages/:id/recipients/:address',
    {
      ...needs('message-queue-delete'),
      schema: {
        tags,
        summary: 'Cancel one recipient of a queued message, without a bounce',
        params: Type.Object({ id: IdParam('Queued message'), address: Address }),
        response: { 204: Type.Null(), ...errors(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await queue.cancel(req.params.id, { recipients: [req.params.address] });
      return reply.code(204).send(null);
    },
  );

  app.get('/queue/status', { ...needs('message-queue-list'), schema: { tags, summary: "Whether this node's queue runner delivers", response: { 200: StateRef, ...errors(401, 403) } } }, async () => queue.state());

  for (const [action, running] of [['stop', false], ['start', true]] as const) {
    app.post(
      `/queue/status/${action}`,
      {
        ...needs('queue-control'),
        schema: {
          tags,
          summary: running ? "Start this node's queue runner again" : "Stop delivery by this node's queue runner; mail is still accepted and queued",
          response: { 200: StateRef, ...errors(401, 403) },
        },
      },
      async () => {
        queue.setRunning(running);
        return queue.state();
      },
    );
  }
}
