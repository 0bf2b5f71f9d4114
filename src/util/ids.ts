import { randomBytes } from 'node:crypto';

/**
 * Opaque, URL-safe ids with a type prefix (DESIGN.md §3). The body is 48 bits of milliseconds then
 * 64 random bits in Crockford base32, so ids sort by creation time (handy for stable cursors)
 * without exposing any database sequence.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix = 'd' | 'u' | 'a' | 'm' | 'e' | 't' | 'k' | 'x' | 'p' | 'q' | 'r';

export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  let out = prefix;
  // 10 chars of time (50 bits, top 2 are zero for centuries).
  for (let i = 9; i >= 0; i--) out += ALPHABET[Math.floor(now / 2 ** (5 * i)) % 32];
  const rnd = randomBytes(8);
  let acc = 0n;
  for (const b of rnd) acc = (acc << 8n) | BigInt(b);
  for (let i = 12; i >= 0; i--) out += ALPHABET[Number((acc >> BigInt(5 * i)) & 31n)];
  return out;
}

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.length === 24 && value[0] === prefix && /^[0-9a-hjkmnp-tv-z]+$/.test(value.slice(1));
}
