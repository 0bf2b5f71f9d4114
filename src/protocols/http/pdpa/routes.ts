import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { principalOf, requireUser } from '../jmap/principal.ts';
import { contentDisposition } from '../rest/content-disposition.ts';
import { needs } from '../route-permission.ts';

const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'];

/**
 * GET/POST /pdpa on the JMAP port, user credentials only (the admin token has no account).
 * In its own scope so the import body parser, sized for whole archives, applies nowhere else.
 */
export async function pdpaRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  const pdpa = services.pdpa;
  // A buffered import can take maxArchiveBytes of memory: one at a time per account.
  const running = new Set<string>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(ZIP_TYPES, { parseAs: 'buffer', bodyLimit: pdpa.limits.maxArchiveBytes }, (_req, body, done) => done(null, body));

  app.get('/pdpa', { ...needs('data-export'), schema: { hide: true }, onRequest: requireUser(auth) }, async (req, reply) => {
    const principal = principalOf(req);
    return reply
      .type('application/zip')
      .header('content-disposition', contentDisposition('attachment', `pdpa-${principal.accountId}.zip`))
      .header('cache-control', 'no-store')
      .send(pdpa.export(principal));
  });

  app.post(
    '/pdpa',
    { ...needs('data-import'), schema: { hide: true, querystring: Type.Object({ prefix: Type.Optional(Type.String({ maxLength: 255 })) }) }, onRequest: requireUser(auth) },
    async (req) => {
      const principal = principalOf(req);
      const body = Buffer.isBuffer(req.body) ? req.body : null;
      if (!body || body.length === 0) throw new ServiceError('invalid', 'archive: send the zip as the body (Content-Type: application/zip)', [{ field: 'archive', message: 'is empty' }]);
      if (running.has(principal.accountId)) throw new ServiceError('unavailable', 'an import into this account is already running');
      running.add(principal.accountId);
      try {
        return await pdpa.import(principal, body, req.query.prefix);
      } finally {
        running.delete(principal.accountId);
      }
    },
  );
}
