import { createHash, randomFillSync } from 'node:crypto';

/**
 * Opaque, URL-safe ids with a type prefix (DESIGN.md §3). The body is 48 bits of milliseconds then
 * 64 bits (random, or stepping up within a millisecond) in Crockford base32, so ids sort by
 * creation time (handy for stable cursors) without exposing any database sequence.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

// w webhook, v webhook event, y webhook delivery (ADR 0010); s JMAP EmailSubmission (ADR 0022);
// c OAuth client, f OAuth grant, h OAuth refresh token (ADR 0025); b application-specific
// password, j auth log entry (ADR 0024).
export type IdPrefix = 'd' | 'u' | 'a' | 'm' | 'e' | 't' | 'k' | 'x' | 'p' | 'q' | 'r' | 'w' | 'v' | 'y' | 's' | 'c' | 'f' | 'h' | 'b' | 'j' | PrincipalIdPrefix;
// Principals other than individuals (u) and domains (d): g group, l list, o role, i apiKey, n tenant (ADR 0026).
type PrincipalIdPrefix = 'g' | 'l' | 'o' | 'i' | 'n';

const TAIL_BITS = 64n;
const MAX_TAIL = (1n << TAIL_BITS) - 1n;

const bits = (b: Buffer): bigint => b.subarray(0, 8).reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);

// Random bytes drawn 4 KB at a time: one call into the CRNG per 512 ids instead of one per id,
// which was 3% of a mirror's indexing (thousands of ids a second).
const entropy = Buffer.alloc(4096);
let used = entropy.length;
function random64(): bigint {
  if (used === entropy.length) {
    randomFillSync(entropy);
    used = 0;
  }
  const value = entropy.readBigUInt64BE(used);
  used += 8;
  return value;
}

function encode(prefix: IdPrefix, ms: number, tail: bigint): string {
  let out: string = prefix;
  // 10 chars of time (50 bits, top 2 are zero for centuries).
  for (let i = 9; i >= 0; i--) out += ALPHABET[Math.floor(ms / 2 ** (5 * i)) % 32];
  for (let i = 12; i >= 0; i--) out += ALPHABET[Number((tail >> BigInt(5 * i)) & 31n)];
  return out;
}

let lastMs = 0;
let lastTail = 0n;

/**
 * Ids made by one process always increase, as ULID's monotonic mode does: within one
 * millisecond (or while the clock steps back) the tail grows by a random step instead of being
 * drawn afresh, so "newest first" lists and cursors never shuffle things made together.
 */
export function newId(prefix: IdPrefix): string {
  let ms = Date.now();
  let tail: bigint;
  if (ms <= lastMs) {
    ms = lastMs;
    tail = lastTail + 1n + (random64() & 0xffffffffn);
    if (tail > MAX_TAIL) {
      ms++;
      tail = random64() >> 1n;
    }
  } else tail = random64();
  lastMs = ms;
  lastTail = tail;
  return encode(prefix, ms, tail);
}

/**
 * An id that is the same every time it is derived from the same time and key: for things that
 * may be produced more than once (by a retry, or by two nodes) and must still be one thing.
 */
export function derivedId(prefix: IdPrefix, ms: number, key: string): string {
  return encode(prefix, ms, bits(createHash('sha256').update(key).digest()));
}

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.length === 24 && value[0] === prefix && /^[0-9a-hjkmnp-tv-z]+$/.test(value.slice(1));
}
