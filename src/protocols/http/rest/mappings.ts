import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../app.ts';
import { errors, Page, PageQuery } from './schemas.ts';
import { needs } from '../route-permission.ts';

const MappingRef = Type.Ref('Mapping');

/** Aliases, forwards and groups: addresses that deliver to other addresses. */
export function mappingRoutes(app: App, { services }: RouteDeps): void {
  const tags = ['mappings'];

  app.get(
    '/mappings',
    {
      ...needs('mapping-list'),
      schema: {
        tags,
        summary: 'List aliases, forwards and group memberships',
        querystring: Type.Object({ ...PageQuery, source: Type.Optional(Type.String({ maxLength: 320 })) }, { additionalProperties: false }),
        response: { 200: Page(MappingRef, 'A page of mappings'), ...errors(400, 401, 403) },
      },
    },
    async (req) => services.directory.listMappings(req.query),
  );

  app.post(
    '/mappings',
    {
      ...needs('mapping-create'),
      schema: {
        tags,
        summary: 'Add a mapping: alias (source delivers to target), forward, or group member (one row per member)',
        body: Type.Object(
          {
            source: Type.String({ minLength: 3, maxLength: 320 }),
            kind: Type.Union([Type.Literal('alias'), Type.Literal('forward'), Type.Literal('group')]),
            target: Type.String({ minLength: 3, maxLength: 320 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: MappingRef, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.directory.addMapping(req.body)),
  );

  app.delete(
    '/mappings/:id',
    { ...needs('mapping-delete'), schema: { tags, summary: 'Remove a mapping', params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (req, reply) => {
      await services.directory.removeMapping(req.params.id);
      return reply.code(204).send(null);
    },
  );
}
