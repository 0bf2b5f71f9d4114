import { createHash } from 'node:crypto';
import { ServiceError } from '../../../services/errors.ts';
import { BLOB_DIGESTS } from '../core/capabilities.ts';
import { checkIds, readOptionalInt, readOptionalStringArray, requireAccount, resolveCreationId } from '../core/index.ts';
import { MAX_IDS } from '../mail/common.ts';
import { MethodError, type Args, type MethodContext } from '../types.ts';

const DATA = ['data', 'data:asText', 'data:asBase64'];
const HASH: Record<string, string> = { sha: 'sha1', 'sha-256': 'sha256' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(octets: Buffer): string | null {
  try {
    return utf8.decode(octets);
  } catch {
    return null;
  }
}

/** Blob/get (RFC 9404 §4.2): a window of a blob's octets as text or base64, digests and size. */
export async function blobGet(args: Args, ctx: MethodContext): Promise<Args> {
  const accountId = requireAccount(args, ctx);
  const ids = checkIds(args.ids, MAX_IDS);
  if (ids === null) throw new MethodError('invalidArguments', 'ids is required: blobs cannot be listed');
  const properties = readOptionalStringArray(args, 'properties') ?? ['data', 'size'];
  for (const p of properties) {
    const known = DATA.includes(p) || p === 'size' || (p.startsWith('digest:') && BLOB_DIGESTS.includes(p.slice(7)));
    if (!known) throw new MethodError('invalidArguments', `unknown property ${p}`);
  }
  const offset = readOptionalInt(args, 'offset', { min: 0 }) ?? 0;
  const length = readOptionalInt(args, 'length', { min: 0 });
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const raw of ids) {
    let id = raw;
    let content: Buffer;
    try {
      id = resolveCreationId(raw, ctx);
      content = (await ctx.services.blobs.read(accountId, id)).content;
    } catch (err) {
      if ((err instanceof ServiceError && err.code === 'notFound') || err instanceof MethodError) {
        notFound.push(id);
        continue;
      }
      throw err;
    }
    const end = length === null ? content.length : Math.min(offset + length, content.length);
    const octets = content.subarray(Math.min(offset, content.length), end);
    const out: Record<string, unknown> = { id };
    if (offset > content.length || (length !== null && offset + length > content.length)) out.isTruncated = true;
    const wantsText = properties.includes('data') || properties.includes('data:asText');
    const text = wantsText ? asText(octets) : null;
    if (wantsText && text === null) out.isEncodingProblem = true;
    if (properties.includes('data:asText')) out['data:asText'] = text;
    if (properties.includes('data') && text !== null) out['data:asText'] = text;
    if (properties.includes('data:asBase64') || (properties.includes('data') && text === null)) out['data:asBase64'] = octets.toString('base64');
    for (const p of properties) if (p.startsWith('digest:')) out[p] = createHash(HASH[p.slice(7)]).update(octets).digest('base64');
    if (properties.includes('size')) out.size = content.length;
    list.push(out);
  }
  return { accountId, list, notFound };
}
