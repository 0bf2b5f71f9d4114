import { Type } from '@sinclair/typebox';
import { Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { JmapLimits } from '../../jmap/core/limits.ts';
import type { Principal } from '../../../services/directory/directory.ts';
import { ServiceError } from '../../../services/errors.ts';
import type { App, RouteDeps } from '../app.ts';
import { contentDisposition } from '../rest/content-disposition.ts';
import { ConcurrencyLimit } from './concurrency.ts';
import { poolIds, principalOf, requireUser } from './principal.ts';
import { needs } from '../route-permission.ts';

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** Only an account of the principal's pool: another id is reported as not found, like every other face. */
function ownAccount(accountId: string, principal: Principal): string {
  if (!poolIds(principal).includes(accountId)) throw new ServiceError('notFound', `account ${accountId} not found`);
  return accountId;
}

/** An account whose blobs live on its upstream JMAP server: they stream through, never stored here. */
const isProxied = (principal: Principal, accountId: string) => principal.accounts.some((a) => a.id === accountId && a.kind === 'jmap');

const tooLarge = (max: number) => new ServiceError('tooLarge', `the upload is larger than the limit of ${max} bytes`);

/**
 * Reads and drops what is left of a body nobody will use, as Node does for any body a handler
 * leaves unread: a half-read request would stall the next one on its keep-alive connection.
 */
function discardRest(body: Readable): void {
  body.unpipe();
  body.resume();
}

/** The body's bytes as they arrive, failing with tooLarge once they pass the limit. */
function limited(body: Readable, max: number): Readable {
  let size = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(size > max ? tooLarge(max) : null, size > max ? undefined : chunk);
    },
  });
  out.on('error', () => discardRest(body));
  return body.pipe(out);
}

/** Blob upload and download (RFC 8620 §6), in their own scope so uploads take any content type as bytes. */
export async function blobRoutes(app: App, { auth, services }: RouteDeps, limits: JmapLimits): Promise<void> {
  const uploads = new ConcurrencyLimit(limits.maxConcurrentUpload);
  app.removeAllContentTypeParsers();
  // A proxied upload's body may be left half read: refused before it was read (not in the pool,
  // too many uploads), or by an upstream that answered early.
  app.addHook('onResponse', async (req) => {
    if (!req.raw.complete) discardRest(req.raw);
  });
  // Uploads to a proxied account stay a stream for the handler to pass on; others are read here.
  app.addContentTypeParser('*', (req, payload, done) => {
    if (Number(req.headers['content-length']) > limits.maxSizeUpload) return done(tooLarge(limits.maxSizeUpload), undefined);
    const body = limited(payload as Readable, limits.maxSizeUpload);
    const { accountId } = req.params as { accountId?: string };
    if (req.caller?.kind === 'user' && accountId && isProxied(req.caller.principal, accountId)) return done(null, body);
    buffer(body).then((bytes) => done(null, bytes), (err: Error) => done(err, undefined));
  });

  app.post(
    '/upload/:accountId',
    { ...needs('jmap-authenticate'), schema: { hide: true, params: Type.Object({ accountId: Type.String({ maxLength: 64 }) }) }, onRequest: requireUser(auth) },
    async (req, reply) => {
      const principal = principalOf(req);
      const accountId = ownAccount(req.params.accountId, principal);
      const release = uploads.tryAcquire(principal.id);
      if (!release) throw new ServiceError('unavailable', `at most ${limits.maxConcurrentUpload} uploads may run at once`);
      try {
        const raw = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim().toLowerCase();
        const type = MEDIA_TYPE.test(raw) ? raw : 'application/octet-stream';
        if (isProxied(principal, accountId)) {
          const content = req.body instanceof Readable ? req.body : Readable.from([]);
          return reply.code(201).send(await services.jmapProxy.upload(principal, accountId, content, type));
        }
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const blob = await services.blobs.upload(accountId, body, type);
        return reply.code(201).send({ accountId, ...blob });
      } finally {
        release();
      }
    },
  );

  app.get(
    '/raw/:accountId/:blobId/:name',
    {
      ...needs('jmap-authenticate'),
      schema: {
        hide: true,
        params: Type.Object({ accountId: Type.String({ maxLength: 64 }), blobId: Type.String({ maxLength: 200 }), name: Type.String({ maxLength: 255 }) }),
        querystring: Type.Object({ type: Type.Optional(Type.String({ maxLength: 255 })) }),
      },
      onRequest: requireUser(auth),
    },
    async (req, reply) => {
      const principal = principalOf(req);
      const accountId = ownAccount(req.params.accountId, principal);
      const asked = req.query.type && MEDIA_TYPE.test(req.query.type) ? req.query.type : null;
      const blob = isProxied(principal, accountId)
        ? await services.jmapProxy.download(principal, accountId, req.params.blobId, req.params.name, asked)
        : { ...(await services.blobs.read(accountId, req.params.blobId)), size: null };
      if (blob.size !== null) reply.header('content-length', blob.size);
      return reply
        .type(asked ?? blob.type ?? 'application/octet-stream')
        .header('content-disposition', contentDisposition('attachment', req.params.name))
        .header('x-content-type-options', 'nosniff')
        // Blob ids name immutable content (RFC 8620 §6.2), so they may be cached for good.
        .header('cache-control', 'private, immutable, max-age=31536000')
        .send(blob.content);
    },
  );
}
