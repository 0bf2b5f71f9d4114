import { MethodError, type Args } from '../types.ts';
import { readBoolean, readInt, readOptionalString, readUnsignedInt } from './args.ts';

/**
 * The /query window (RFC 8620 §5.5) over a result list already in memory: position (negative
 * counts from the end), anchor with anchorOffset, limit, and the total when asked for.
 */
export function listWindow(all: string[], args: Args, maxLimit: number): { position: number; ids: string[]; total?: number } {
  const position = readInt(args, 'position', { default: 0 });
  const limit = Math.min(readUnsignedInt(args, 'limit', maxLimit), maxLimit);
  let start = position < 0 ? Math.max(0, all.length + position) : Math.min(position, all.length);
  const anchor = readOptionalString(args, 'anchor');
  if (anchor !== null) {
    const at = all.indexOf(anchor);
    if (at < 0) throw new MethodError('anchorNotFound', `${anchor} is not in the results`);
    start = Math.min(all.length, Math.max(0, at + readInt(args, 'anchorOffset', { default: 0 })));
  }
  return { position: start, ids: all.slice(start, start + limit), ...(readBoolean(args, 'calculateTotal', false) ? { total: all.length } : {}) };
}
