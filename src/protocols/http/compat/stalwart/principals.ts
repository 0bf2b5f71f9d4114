import { Type } from '@sinclair/typebox';
import { actorOf } from '../../../../services/directory/principals.ts';
import type { App, RouteDeps } from '../../app.ts';
import { CreateBody, PatchActions } from '../../rest/principals.ts';
import { needs } from '../../route-permission.ts';

const Params = Type.Object({ principal_id: Type.String({ minLength: 1, maxLength: 320 }) });

/**
 * The seed's /principal routes over PrincipalService, in `{data: …}` envelopes: numbered pages
 * (`page` from 1) and comma-separated `types` on the list, the new id as POST's data, and PATCH
 * as the seed's list of set/addItem/removeItem actions. Each route authorizes by the caller's
 * permissions in the service, so a tenant administrator can use this face too.
 */
export function principalRoutes(app: App, { services, auth }: RouteDeps): void {
  const hide = { hide: true };
  app.get(
    '/principal',
    {
      ...needs('principal-list', { byType: true }),
      schema: {
        ...hide,
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250 })),
          types: Type.Optional(Type.String({ maxLength: 200 })),
          filter: Type.Optional(Type.String({ maxLength: 320 })),
        }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const page = await services.principals.list(actorOf(await auth.authenticate(req)), {
        limit,
        offset: ((req.query.page ?? 1) - 1) * limit,
        types: req.query.types?.split(',').map((t) => t.trim()).filter(Boolean),
        query: req.query.filter,
      });
      return { data: { items: page.results, total: page.total } };
    },
  );

  app.post('/principal', { ...needs('principal-create', { byType: true }), schema: { ...hide, body: CreateBody } }, async (req) => ({
    data: (await services.principals.create(actorOf(await auth.authenticate(req)), req.body)).id,
  }));

  app.get('/principal/:principal_id', { ...needs('principal-get', { byType: true }), schema: { ...hide, params: Params } }, async (req) => ({
    data: await services.principals.get(actorOf(await auth.authenticate(req)), req.params.principal_id),
  }));

  app.patch('/principal/:principal_id', { ...needs('principal-update', { byType: true }), schema: { ...hide, params: Params, body: PatchActions } }, async (req) => {
    await services.principals.update(actorOf(await auth.authenticate(req)), req.params.principal_id, req.body);
    auth.forget();
    return { data: null };
  });

  app.delete('/principal/:principal_id', { ...needs('principal-delete', { byType: true }), schema: { ...hide, params: Params } }, async (req) => {
    await services.principals.delete(actorOf(await auth.authenticate(req)), req.params.principal_id);
    auth.forget();
    return { data: null };
  });
}
