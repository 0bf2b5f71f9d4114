import { Type } from '@sinclair/typebox';
import type { JmapLimits } from '../../jmap/core/limits.ts';
import type { Principal } from '../../../services/directory/directory.ts';
import { ServiceError } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { contentDisposition } from '../rest/content-disposition.ts';
import { ConcurrencyLimit } from './concurrency.ts';
import { poolIds, principalOf, requireUser } from './principal.ts';

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** Only an account of the principal's pool: another id is reported as not found, like every other face. */
function ownAccount(accountId: string, principal: Principal): string {
  if (!poolIds(principal).includes(accountId)) throw new ServiceError('notFound', `account ${accountId} not found`);
  return accountId;
}

/** Blob upload and download (RFC 8620 §6), in their own scope so uploads take any content type as bytes. */
export async function blobRoutes(app: App, { auth, services }: RouteDeps, limits: JmapLimits): Promise<void> {
  const uploads = new ConcurrencyLimit(limits.maxConcurrentUpload);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxSizeUpload }, (_req, body, done) => done(null, body));

  app.post(
    '/upload/:accountId',
    { schema: { hide: true, params: Type.Object({ accountId: Type.String({ maxLength: 64 }) }) }, onRequest: requireUser(auth) },
    async (req, reply) => {
      const principal = principalOf(req);
      const accountId = ownAccount(req.params.accountId, principal);
      const release = uploads.tryAcquire(principal.id);
      if (!release) throw new ServiceError('unavailable', `at most ${limits.maxConcurrentUpload} uploads may run at once`);
      try {
        const type = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim().toLowerCase();
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const blob = await services.blobs.upload(accountId, body, MEDIA_TYPE.test(type) ? type : 'application/octet-stream');
        return reply.code(201).send({ accountId, ...blob });
      } finally {
        release();
      }
    },
  );

  app.get(
    '/raw/:accountId/:blobId/:name',
    {
      schema: {
        hide: true,
        params: Type.Object({ accountId: Type.String({ maxLength: 64 }), blobId: Type.String({ maxLength: 200 }), name: Type.String({ maxLength: 255 }) }),
        querystring: Type.Object({ type: Type.Optional(Type.String({ maxLength: 255 })) }),
      },
      onRequest: requireUser(auth),
    },
    async (req, reply) => {
      const accountId = ownAccount(req.params.accountId, principalOf(req));
      const blob = await services.blobs.read(accountId, req.params.blobId);
      const type = req.query.type && MEDIA_TYPE.test(req.query.type) ? req.query.type : (blob.type ?? 'application/octet-stream');
      return reply
        .type(type)
        .header('content-disposition', contentDisposition('attachment', req.params.name))
        .header('x-content-type-options', 'nosniff')
        // Blob ids name immutable content (RFC 8620 §6.2), so they may be cached for good.
        .header('cache-control', 'private, immutable, max-age=31536000')
        .send(blob.content);
    },
  );
}
