import { ServiceError } from '../../../services/errors.ts';
import { resolveCreationId } from '../core/index.ts';
import { MethodError, type MethodContext } from '../types.ts';

/** RFC 9404 §4.1 DataSourceObjects: turns one UploadObject's `data` array into octets. */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const bad = (description: string) => new MethodError('invalidProperties', description, { properties: ['data'] });

function unsigned(v: unknown, name: string, i: number): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`data/${i}/${name} must be an UnsignedInt or null`);
  return v;
}

async function one(source: unknown, i: number, accountId: string, ctx: MethodContext): Promise<Buffer> {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) throw bad(`data/${i} must be a DataSourceObject`);
  const s = source as Record<string, unknown>;
  const keys = Object.keys(s);
  if (keys.length === 1 && keys[0] === 'data:asText') {
    const text = s['data:asText'];
    if (typeof text !== 'string' || LONE_SURROGATE.test(text)) throw bad(`data/${i}/data:asText must be a valid UTF-8 string`);
    return Buffer.from(text, 'utf8');
  }
  if (keys.length === 1 && keys[0] === 'data:asBase64') {
    const b64 = s['data:asBase64'];
    if (typeof b64 !== 'string' || !BASE64.test(b64)) throw bad(`data/${i}/data:asBase64 is not valid base64`);
    return Buffer.from(b64, 'base64');
  }
  if ('blobId' in s && keys.every((k) => ['blobId', 'offset', 'length'].includes(k))) {
    let blobId: string;
    try {
      blobId = resolveCreationId(s.blobId, ctx, 'invalidProperties');
    } catch {
      throw bad(`data/${i}/blobId does not name a blob`);
    }
    const offset = unsigned(s.offset, 'offset', i) ?? 0;
    const length = unsigned(s.length, 'length', i);
    let content: Buffer;
    try {
      content = (await ctx.services.blobs.read(accountId, blobId)).content;
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'notFound') throw bad(`data/${i}: blob ${blobId} not found`);
      throw err;
    }
    const end = length === null ? content.length : offset + length;
    // RFC 9404 §4.1: a range that cannot be fully satisfied invalidates the creation.
    if (offset > content.length || end > content.length) throw bad(`data/${i}: the range ${offset}+${length ?? 'rest'} is outside the ${content.length}-octet blob`);
    return content.subarray(offset, end);
  }
  throw bad(`data/${i} must have exactly one of data:asText, data:asBase64 or blobId (with offset/length)`);
}

/** The concatenated octets; stops as soon as the total passes maxSize. */
export async function readSources(data: unknown[], accountId: string, ctx: MethodContext, maxSize: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for (let i = 0; i < data.length; i++) {
    const part = await one(data[i], i, accountId, ctx);
    total += part.length;
    if (total > maxSize) throw new MethodError('tooLarge', `the blob would exceed maxSizeBlobSet (${maxSize} octets)`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}
