import { isPlainObject } from './request.ts';

/** Thrown when a path does not resolve; the caller turns it into invalidResultReference. */
export class PointerError extends Error {
  override name = 'PointerError';
}

const INDEX = /^(0|[1-9][0-9]*)$/;

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PointerError(`path "${path}" must be empty or start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(value: unknown, rest: string[], at: string): unknown {
  if (rest.length === 0) return value;
  const [token, ...tail] = rest;
  const here = `${at}/${token}`;
  if (Array.isArray(value)) {
    if (token === '*') return mapOver(value.entries(), tail, at);
    if (!INDEX.test(token) || Number(token) >= value.length) throw new PointerError(`${here}: no such array item`);
    return walk(value[Number(token)], tail, here);
  }
  if (isPlainObject(value)) {
    if (Object.hasOwn(value, token)) return walk(value[token], tail, here);
    // Beyond RFC 8620, which maps "*" over arrays only: over an object's values, in order, so
    // "/created/*/id" collects the ids a /set created. A real "*" property still wins above.
    if (token === '*') return mapOver(Object.entries(value), tail, at);
    throw new PointerError(`${here}: no such property`);
  }
  throw new PointerError(`${here}: ${at || 'the result'} is not an object or array`);
}

// Each item's result is spliced in when it is itself an array, so "/list/*/emailIds" is one flat list of ids.
function mapOver(items: Iterable<[string | number, unknown]>, tail: string[], at: string): unknown[] {
  const out: unknown[] = [];
  for (const [key, item] of items) {
    const r = walk(item, tail, `${at}/${key}`);
    if (Array.isArray(r)) out.push(...r);
    else out.push(r);
  }
  return out;
}

/** RFC 6901 evaluation plus the "*" mapping of RFC 8620 §3.7 (and over object values, see walk). */
export function evaluatePointer(document: unknown, path: string): unknown {
  return walk(document, tokens(path), '');
}
