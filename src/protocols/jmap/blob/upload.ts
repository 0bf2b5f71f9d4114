import { MAX_DATA_SOURCES } from '../core/capabilities.ts';
import { readObject, requireAccount } from '../core/index.ts';
import { setError } from '../mail/set-errors.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';
import { readSources } from './sources.ts';

/** Blob/upload (RFC 9404 §4.1): each creation is stored like an /upload and joins the creation ids. */
export async function blobUpload(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const create = readObject(args, 'create');
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, unknown> = {};
  for (const [cid, raw] of Object.entries(create)) {
    try {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MethodError('invalidProperties', 'an UploadObject must be an object');
      const o = raw as Record<string, unknown>;
      const unknown = Object.keys(o).filter((k) => k !== 'data' && k !== 'type');
      if (unknown.length) throw new MethodError('invalidProperties', `unknown properties: ${unknown.join(', ')}`, { properties: unknown });
      if (!Array.isArray(o.data)) throw new MethodError('invalidProperties', 'data must be an array of DataSourceObjects', { properties: ['data'] });
      if (o.data.length > MAX_DATA_SOURCES) throw new MethodError('invalidProperties', `at most ${MAX_DATA_SOURCES} data sources per blob`, { properties: ['data'] });
      if (o.type !== undefined && o.type !== null && typeof o.type !== 'string') throw new MethodError('invalidProperties', 'type must be a string or null', { properties: ['type'] });
      const content = await readSources(o.data, accountId, ctx, ctx.services.blobs.maxSize);
      const blob = await ctx.services.blobs.upload(accountId, content, (o.type as string | null | undefined) ?? 'application/octet-stream');
      ctx.createdIds.set(cid, blob.blobId);
      created[cid] = { id: blob.blobId, type: blob.type, size: blob.size };
    } catch (err) {
      notCreated[cid] = setError(err);
    }
  }
  return { accountId, created, notCreated };
}
