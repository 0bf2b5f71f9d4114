import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { DomainParam } from './domains.ts';
import { errors, Nullable } from './schemas.ts';
import { needs } from '../route-permission.ts';

const Selector = Type.String({ minLength: 1, maxLength: 63, description: 'DNS label(s); published as <selector>._domainkey.<domain>' });

const DkimKey = Type.Object(
  {
    domain: Type.String(),
    selector: Type.String(),
    algorithm: Type.Union([Type.Literal('ed25519'), Type.Literal('rsa')]),
    dnsName: Type.String({ description: 'Name of the TXT record to publish' }),
    dnsRecord: Type.String({ description: 'Content of that TXT record' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A DKIM signing key; its private half never leaves the server' },
);

const DnsRecord = Type.Object({
  type: Type.Union(['MX', 'TXT', 'SRV', 'CNAME'].map((t) => Type.Literal(t))),
  name: Type.String({ description: 'Fully qualified, with the trailing dot' }),
  content: Type.String(),
});

/** DKIM keys of a domain and the DNS records to publish for it. */
export function dkimRoutes(app: App, { services }: RouteDeps): void {
  const tags = ['domains'];

  app.post(
    '/domains/:domain/dkim',
    {
      ...needs('dkim-signature-create'),
      schema: {
        tags,
        summary: 'Create a DKIM key; mail for the domain is signed with it from then on',
        params: DomainParam,
        body: Type.Object(
          {
            algorithm: Type.Union([Type.Literal('ed25519'), Type.Literal('rsa')], { description: 'ed25519 (RFC 8463) or rsa (2048 bits)' }),
            selector: Type.Optional(Nullable({ ...Selector, description: 'Default: year, month and e or r (202611e)' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: DkimKey, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.dkim.create(req.params.domain, req.body)),
  );

  app.get(
    '/domains/:domain/dkim',
    {
      ...needs('dkim-signature-get'),
      schema: {
        tags,
        summary: 'List the DKIM keys of a domain (at most 10, so in one page)',
        params: DomainParam,
        response: { 200: Type.Object({ total: Type.Integer(), results: Type.Array(DkimKey), next: Type.Null() }), ...errors(401, 403, 404) },
      },
    },
    async (req) => {
      const results = await services.dkim.list(req.params.domain);
      return { total: results.length, results, next: null };
    },
  );

  app.delete(
    '/domains/:domain/dkim/:selector',
    {
      ...needs('dkim-signature-delete'),
      schema: {
        tags,
        summary: 'Delete a DKIM key; remove its DNS record after mail signed with it has been delivered',
        params: Type.Object({ ...DomainParam.properties, selector: Selector }),
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await services.dkim.remove(req.params.domain, req.params.selector);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/domains/:domain/dns',
    {
      ...needs('dns-records-get'),
      schema: {
        tags,
        summary: 'The DNS records to publish for a domain: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV, autoconfig',
        params: DomainParam,
        response: { 200: Type.Object({ domain: Type.String(), records: Type.Array(DnsRecord) }), ...errors(401, 403, 404) },
      },
    },
    async (req) => services.dns.records(req.params.domain),
  );
}
