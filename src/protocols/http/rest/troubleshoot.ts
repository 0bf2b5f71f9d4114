import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, Nullable } from './schemas.ts';
import { needs } from '../route-permission.ts';

const Step = Type.Object({
  step: Type.Union(['connect', 'greeting', 'ehlo', 'starttls', 'mailFrom', 'rcptTo', 'quit'].map((s) => Type.Literal(s))),
  ok: Type.Boolean(),
  elapsedMs: Type.Integer({ minimum: 0 }),
  response: Type.Optional(Type.String({ description: "The server's reply; multi-line replies joined with newlines" })),
  error: Type.Optional(Type.String({ description: 'Why the step failed when there was no reply (refused, timeout, TLS)' })),
  tls: Type.Optional(
    Type.Object({
      protocol: Nullable(Type.String()),
      cipher: Nullable(Type.String()),
      certificateValid: Type.Boolean({ description: 'Chain trusted and the name matches the host' }),
      certificateError: Nullable(Type.String()),
      subject: Nullable(Type.String({ description: 'Common name of the certificate' })),
      validTo: Nullable(Type.String()),
    }),
  ),
});

const DeliveryReport = Type.Object(
  {
    recipient: Type.String(),
    domain: Type.String(),
    route: Type.Object({
      via: Nullable(Type.Union([Type.Literal('static'), Type.Literal('relay'), Type.Literal('mx')], { description: 'static route, relay host or MX lookup' })),
      mx: Nullable(Type.Array(Type.Object({ host: Type.String(), preference: Type.Integer() }))),
      mtaSts: Nullable(
        Type.Object({ id: Type.String(), mode: Type.Union([Type.Literal('enforce'), Type.Literal('testing'), Type.Literal('none')]), mx: Type.Array(Type.String()), maxAge: Type.Integer() }, { description: 'The MX domain’s MTA-STS policy (RFC 8461)' }),
      ),
      mtaStsError: Nullable(Type.String()),
      error: Nullable(Type.String({ description: 'Why the domain cannot be routed at all' })),
      elapsedMs: Type.Integer({ minimum: 0, description: 'DNS lookups and MTA-STS policy fetch' }),
    }),
    hosts: Type.Array(
      Type.Object({
        host: Type.String(),
        port: Type.Integer(),
        requireTls: Type.Boolean({ description: 'MTA-STS enforce: delivery needs verified TLS here' }),
        result: Type.Union(['accepted', 'refused', 'temporary', 'failed'].map((r) => Type.Literal(r)), { description: 'RCPT answered 2xx, 5xx, 4xx, or not at all' }),
        steps: Type.Array(Step),
      }),
      { description: 'Hosts in delivery order, up to the first that answered RCPT' },
    ),
    elapsedMs: Type.Integer({ minimum: 0 }),
  },
  { description: 'What delivery to a recipient would meet, as far as RCPT (no message is sent)' },
);

/** Delivery troubleshooting. */
export function troubleshootRoutes(app: App, { services }: RouteDeps): void {
  app.get(
    '/troubleshoot/delivery/:recipient',
    {
      ...needs('troubleshoot'),
      schema: {
        tags: ['queue'],
        summary: 'Route a recipient and talk to its hosts as far as RCPT TO (MAIL FROM:<>, never DATA)',
        params: Type.Object({ recipient: Type.String({ minLength: 1, maxLength: 320, description: 'name@domain' }) }),
        response: { 200: DeliveryReport, ...errors(400, 401, 403) },
      },
    },
    async (req) => services.troubleshoot.run(req.params.recipient),
  );
}
