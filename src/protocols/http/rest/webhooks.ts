import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, IdParam, Nullable, Page, PageQuery, WebhookEventType } from './schemas.ts';
import { needs } from '../route-permission.ts';

const WebhookRef = Type.Ref('Webhook');
const DeliveryRef = Type.Ref('WebhookDelivery');
const Params = Type.Object({ id: IdParam('Webhook') });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https://, without credentials; redirects are not followed' });
const Events = Type.Array(WebhookEventType, { minItems: 1, maxItems: 32, uniqueItems: true });

/**
 * Webhooks, one path for everyone: a user token sees and makes only its own (they see only that
 * user's accounts), the admin token sees all and may make global ones. The rule is the service's.
 */
export function webhookRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['webhooks'];

  app.get(
    '/webhooks',
    {
      ...needs('webhook-list'),
      schema: {
        tags,
        summary: 'List webhooks (a user sees their own; the admin sees all)',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(WebhookRef, 'A page of webhooks'), ...errors(400, 401) },
      },
    },
    async (req) => services.webhooks.list(await auth.authenticate(req), req.query),
  );

  app.post(
    '/webhooks',
    {
      ...needs('webhook-manage'),
      schema: {
        tags,
        summary: 'Create a webhook; the response shows its signing secret, once',
        description:
          'Each event is POSTed as JSON `{id, type, createdAt, accountId, userId, data}` with headers `X-Gannet-Event`, `X-Gannet-Delivery`, ' +
          '`X-Gannet-Timestamp` and `X-Gannet-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`. ' +
          'A delivery without a 2xx answer is retried with the same event id.',
        body: Type.Object(
          {
            url: Url,
            events: Type.Optional(Events),
            enabled: Type.Optional(Type.Boolean({ default: true })),
            userId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 320, description: 'Admin only: the user (id or login) it belongs to; omit or null for a global webhook' }))),
          },
          { additionalProperties: false },
        ),
        response: { 201: WebhookRef, ...errors(400, 401, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.webhooks.create(await auth.authenticate(req), req.body)),
  );

  app.get(
    '/webhooks/:id',
    { ...needs('webhook-list'), schema: { tags, summary: 'Get a webhook', params: Params, response: { 200: WebhookRef, ...errors(401, 404) } } },
    async (req) => services.webhooks.get(await auth.authenticate(req), req.params.id),
  );

  app.patch(
    '/webhooks/:id',
    {
      ...needs('webhook-manage'),
      schema: {
        tags,
        summary: 'Change a webhook; rotateSecret returns a new secret, once',
        params: Params,
        body: Type.Object(
          { url: Type.Optional(Url), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()), rotateSecret: Type.Optional(Type.Boolean()) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: WebhookRef, ...errors(400, 401, 404) },
      },
    },
    async (req) => services.webhooks.update(await auth.authenticate(req), req.params.id, req.body),
  );

  app.delete(
    '/webhooks/:id',
    { ...needs('webhook-manage'), schema: { tags, summary: 'Delete a webhook and its delivery log', params: Params, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (req, reply) => {
      await services.webhooks.remove(await auth.authenticate(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      ...needs('webhook-list'),
      schema: {
        tags,
        summary: 'The delivery log of a webhook, newest first',
        params: Params,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(DeliveryRef, 'A page of deliveries'), ...errors(400, 401, 404) },
      },
    },
    async (req) => services.webhooks.deliveries(await auth.authenticate(req), req.params.id, req.query),
  );

  app.post(
    '/webhooks/:id/test',
    {
      ...needs('webhook-manage'),
      schema: {
        tags,
        summary: 'Queue a `ping` event to the webhook',
        params: Params,
        response: { 202: DeliveryRef, ...errors(401, 404, 409) },
      },
    },
    async (req, reply) => reply.code(202).send(await services.webhooks.test(await auth.authenticate(req), req.params.id)),
  );
}
