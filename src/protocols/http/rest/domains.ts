import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, Nullable, Page, PageQuery } from './schemas.ts';
import { needs } from '../route-permission.ts';

const DomainRef = Type.Ref('Domain');
export const DomainParam = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300, description: 'Domain id or name' }) });

export function domainRoutes(app: App, { services }: RouteDeps): void {
  const tags = ['domains'];

  app.get(
    '/domains',
    {
      ...needs('domain-list'),
      schema: {
        tags,
        summary: 'List domains',
        querystring: Type.Object({ ...PageQuery, query: Type.Optional(Type.String({ maxLength: 300 })) }, { additionalProperties: false }),
        response: { 200: Page(DomainRef, 'A page of domains'), ...errors(400, 401, 403) },
      },
    },
    async (req) => services.directory.listDomains(req.query),
  );

  app.post(
    '/domains',
    {
      ...needs('domain-create'),
      schema: {
        tags,
        summary: 'Create a domain',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false }),
        response: { 201: DomainRef, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.directory.createDomain(req.body)),
  );

  app.get(
    '/domains/:domain',
    { ...needs('domain-get'), schema: { tags, summary: 'Get a domain', params: DomainParam, response: { 200: DomainRef, ...errors(401, 403, 404) } } },
    async (req) => services.directory.getDomain(req.params.domain),
  );

  app.patch(
    '/domains/:domain',
    {
      ...needs('domain-update'),
      schema: {
        tags,
        summary: 'Change a domain: aliases, catch-all address, disabled',
        params: DomainParam,
        body: Type.Object(
          {
            aliases: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 100, description: 'The complete list of alias domains' })),
            catchAll: Type.Optional(Nullable(Type.String({ maxLength: 320, description: 'Address that receives mail for unknown local parts' }))),
            disabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: DomainRef, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => services.directory.updateDomain(req.params.domain, req.body),
  );

  app.delete(
    '/domains/:domain',
    { ...needs('domain-delete'), schema: { tags, summary: 'Delete a domain that has no addresses left', params: DomainParam, response: { 204: Type.Null(), ...errors(401, 403, 404, 409) } } },
    async (req, reply) => {
      await services.directory.deleteDomain(req.params.domain);
      return reply.code(204).send(null);
    },
  );
}
