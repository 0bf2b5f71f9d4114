import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque, URL-safe ids with a type prefix (DESIGN.md §3). The body is 48 bits of milliseconds then
 * 64 random bits in Crockford base32, so ids sort by creation time (handy for stable cursors)
 * without exposing any database sequence.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

// w webhook, v webhook event, y webhook delivery (ADR 0010); s JMAP EmailSubmission (ADR 0022).
export type IdPrefix = 'd' | 'u' | 'a' | 'm' | 'e' | 't' | 'k' | 'x' | 'p' | 'q' | 'r' | 'w' | 'v' | 'y' | 's' | PrincipalIdPrefix;
// Principals other than individuals (u) and domains (d): g group, l list, o role, i apiKey, n tenant (ADR 0026).
type PrincipalIdPrefix = 'g' | 'l' | 'o' | 'i' | 'n';

function encode(prefix: IdPrefix, ms: number, tail: Buffer): string {
  let out: string = prefix;
  // 10 chars of time (50 bits, top 2 are zero for centuries).
  for (let i = 9; i >= 0; i--) out += ALPHABET[Math.floor(ms / 2 ** (5 * i)) % 32];
  let acc = 0n;
  for (const b of tail.subarray(0, 8)) acc = (acc << 8n) | BigInt(b);
  for (let i = 12; i >= 0; i--) out += ALPHABET[Number((acc >> BigInt(5 * i)) & 31n)];
  return out;
}

export function newId(prefix: IdPrefix): string {
  return encode(prefix, Date.now(), randomBytes(8));
}

/**
 * An id that is the same every time it is derived from the same time and key: for things that
 * may be produced more than once (by a retry, or by two nodes) and must still be one thing.
 */
export function derivedId(prefix: IdPrefix, ms: number, key: string): string {
  return encode(prefix, ms, createHash('sha256').update(key).digest());
}

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.length === 24 && value[0] === prefix && /^[0-9a-hjkmnp-tv-z]+$/.test(value.slice(1));
}
