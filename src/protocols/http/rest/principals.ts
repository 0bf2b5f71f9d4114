import { Type } from '@sinclair/typebox';
import { PRINCIPAL_TYPES } from '../../../services/directory/principal-views.ts';
import { opsOfObject } from '../../../services/directory/principal-patch.ts';
import { actorOf } from '../../../services/directory/principals.ts';
import type { App, RouteDeps } from '../app.ts';
import { errors, Nullable, Page, PageQuery } from './schemas.ts';
import { needs } from '../route-permission.ts';

const PrincipalRef = Type.Ref('Principal');
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 320, description: 'Principal id or name' }) });
const TypeName = Type.Union(PRINCIPAL_TYPES.map((t) => Type.Literal(t)));
const Names = Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 10000 });

/** The writable fields; each is also a `field` of the action-list form of PATCH. */
export const PrincipalFields = {
  name: Type.String({ minLength: 1, maxLength: 253 }),
  description: Nullable(Type.String({ maxLength: 256 })),
  quota: Type.Integer({ minimum: 0, description: 'Bytes; 0 means unlimited' }),
  emails: Names,
  secrets: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 16, description: "An individual's password, or an apiKey's secrets (32+ characters); never returned" }),
  urls: Names,
  memberOf: Names,
  roles: Names,
  lists: Names,
  members: Names,
  enabledPermissions: Names,
  disabledPermissions: Names,
  externalMembers: Names,
  tenant: Nullable(Type.String({ maxLength: 320 })),
  disabled: Type.Boolean(),
};

const { name, ...optional } = PrincipalFields;
export const CreateBody = Type.Composite([Type.Object({ type: TypeName, name }), Type.Partial(Type.Object(optional))], { additionalProperties: false });

export const PatchActions = Type.Array(
  Type.Object(
    {
      action: Type.Union([Type.Literal('set'), Type.Literal('addItem'), Type.Literal('removeItem')]),
      field: Type.String({ minLength: 1, maxLength: 64 }),
      value: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
  { maxItems: 1000 },
);

const PatchObject = Type.Partial(Type.Object(PrincipalFields, { additionalProperties: false }));

export function principalRoutes(app: App, { services, auth }: RouteDeps): void {
  const tags = ['principals'];

  app.get(
    '/principals',
    {
      ...needs('principal-list', { byType: true }),
      schema: {
        tags,
        summary: 'List principals (principal-list, or the type-specific list permission)',
        querystring: Type.Object(
          {
            ...PageQuery,
            type: Type.Optional(Type.String({ maxLength: 200, description: 'Comma-separated types: ' + PRINCIPAL_TYPES.join(', ') })),
            query: Type.Optional(Type.String({ maxLength: 320, description: 'Matches name, description or address' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(PrincipalRef, 'A page of principals'), ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const actor = actorOf(await auth.authenticate(req));
      const types = req.query.type?.split(',').map((t) => t.trim()).filter(Boolean);
      return services.principals.list(actor, { limit: req.query.limit, cursor: req.query.cursor, query: req.query.query, types });
    },
  );

  app.post(
    '/principals',
    {
      ...needs('principal-create', { byType: true }),
      schema: {
        tags,
        summary: 'Create a principal of any type (an individual gets its mail account, as with POST /users)',
        body: CreateBody,
        response: { 201: PrincipalRef, ...errors(400, 401, 403, 409, 507) },
      },
    },
    async (req, reply) => reply.code(201).send(await services.principals.create(actorOf(await auth.authenticate(req)), req.body)),
  );

  app.get(
    '/principals/:id',
    { ...needs('principal-get', { byType: true }), schema: { tags, summary: 'Get a principal', params: Params, response: { 200: PrincipalRef, ...errors(401, 403, 404) } } },
    async (req) => services.principals.get(actorOf(await auth.authenticate(req)), req.params.id),
  );

  app.patch(
    '/principals/:id',
    {
      ...needs('principal-update', { byType: true }),
      schema: {
        tags,
        summary: 'Change a principal: a partial object (each field replaced), or a list of {action: set|addItem|removeItem, field, value}',
        params: Params,
        body: Type.Union([PatchObject, PatchActions]),
        response: { 200: PrincipalRef, ...errors(400, 401, 403, 404, 409, 507) },
      },
    },
    async (req) => {
      const ops = Array.isArray(req.body) ? req.body : opsOfObject(req.body);
      const principal = await services.principals.update(actorOf(await auth.authenticate(req)), req.params.id, ops);
      // Cached HTTP Basic logins must not outlive a changed password or a disabled flag.
      auth.forget();
      return principal;
    },
  );

  app.delete(
    '/principals/:id',
    { ...needs('principal-delete', { byType: true }), schema: { tags, summary: 'Delete a principal (an individual with all its mail)', params: Params, response: { 204: Type.Null(), ...errors(401, 403, 404, 409) } } },
    async (req, reply) => {
      await services.principals.delete(actorOf(await auth.authenticate(req)), req.params.id);
      auth.forget();
      return reply.code(204).send(null);
    },
  );
}
