import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../../app.ts';
import { Nullable } from '../../rest/schemas.ts';
import { needs } from '../../route-permission.ts';

/** The seed's POST /dkim and GET /dns/records/{domain} over the DKIM and DNS record services. */
export function dkimRoutes(app: App, { services }: RouteDeps): void {
  app.post(
    '/dkim',
    {
      ...needs('dkim-signature-create'),
      schema: {
        body: Type.Object({
          // Stalwart's id names a settings entry; Gannet names a key by domain and selector.
          id: Type.Optional(Nullable(Type.String({ maxLength: 300 }))),
          algorithm: Type.String({ minLength: 1, maxLength: 20, description: 'Ed25519 or Rsa (any case)' }),
          domain: Type.String({ minLength: 1, maxLength: 300 }),
          selector: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 63 }))),
        }),
      },
    },
    async (req) => {
      await services.dkim.create(req.body.domain, { algorithm: req.body.algorithm, selector: req.body.selector });
      return { data: null };
    },
  );

  app.get('/dns/records/:domain', { ...needs('dns-records-get'), schema: { params: Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300 }) }) } }, async (req) => ({
    data: (await services.dns.records(req.params.domain)).records,
  }));
}
